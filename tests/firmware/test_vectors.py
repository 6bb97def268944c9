"""The firmware's core agrees with every case of vectors.json, in MicroPython and CPython.

MicroPython is its WebAssembly port; CPython is the interpreter running the tests (the
simulator runs the same core there). Both must give what the vectors say.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from firmware_protocol import codec as hub_codec
from tests.firmware.fields import fields
from tests.firmware.micropython import MicroPython
from tests.firmware.outcomes import outcomes
from tests.protocol.vector_fields import fields_of
from tests.protocol.vectors import load_vectors

VECTORS = load_vectors()
RUN_IN_MICROPYTHON = """
import json
from tests.firmware.outcomes import outcomes
with open('/vectors.json') as f:
    print(json.dumps(outcomes(json.load(f))))
"""


@pytest.fixture(scope="module", params=["micropython", "cpython"])
def core(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the core made of every vector, in the interpreter named by the parameter."""
    if request.param == "cpython":
        # Through JSON, as from MicroPython, so both are compared alike.
        found: dict[str, Any] = json.loads(json.dumps(outcomes(VECTORS)))
        return found
    micropython: MicroPython = request.getfixturevalue("micropython")
    result: dict[str, Any] = micropython.result(RUN_IN_MICROPYTHON)
    return result


def _named(section: str) -> pytest.MarkDecorator:
    cases = VECTORS[section]
    return pytest.mark.parametrize("case", cases, ids=[c["name"] for c in cases])


@_named("valid")
def test_valid_frame_decodes_to_its_fields_and_encodes_back(
    core: dict[str, Any], case: dict[str, Any]
) -> None:
    outcome = core["valid"][case["name"]]
    assert outcome.get("error") is None
    assert outcome["type"] == case["type"]
    assert outcome["fields"] == case["fields"]
    assert outcome["hex"] == case["hex"]
    assert outcome["encoded_from_fields"] == case["hex"]


@_named("invalid")
def test_invalid_frame_is_refused_with_its_code(core: dict[str, Any], case: dict[str, Any]) -> None:
    assert core["invalid"][case["name"]] == case["code"]


@_named("device_checks")
def test_device_refuses_the_batch_and_reports_it(
    core: dict[str, Any], case: dict[str, Any]
) -> None:
    outcome = core["device_checks"][case["name"]]
    assert outcome["accepted_replies"] == ["Status"] * len(case["accepted_frames"])
    expected = fields_of(hub_codec.decode(bytes.fromhex(case["error_report"])))
    refused_seq = fields_of(hub_codec.decode(bytes.fromhex(case["hex"])))["seq"]
    assert outcome["report_type"] == "ErrorReport"
    # The report's own seq counts the device's earlier messages; the rest is the vector's.
    assert {**outcome["report"], "seq": expected["seq"]} == expected
    assert outcome["report"]["ref_seq"] == refused_seq
    assert outcome["unchanged"] is True


@_named("fragments")
def test_fragments_split_and_join(core: dict[str, Any], case: dict[str, Any]) -> None:
    outcome = core["fragments"][case["name"]]
    assert outcome["fragments"] == case["fragments"]
    assert outcome["partial"] == [False] * (len(case["fragments"]) - 1)
    assert outcome["joined"] == case["message"]


@_named("reassembly_errors")
def test_reassembly_error_on_the_last_fragment(core: dict[str, Any], case: dict[str, Any]) -> None:
    assert core["reassembly_errors"][case["name"]] == case["code"]


@pytest.mark.parametrize(
    "row",
    VECTORS["transitions"],
    ids=[f"{r['state']} + {r['message']}" for r in VECTORS["transitions"]],
)
def test_state_transition(core: dict[str, Any], row: dict[str, Any]) -> None:
    assert core["transitions"][f"{row['state']} + {row['message']}"] == row["then"]


def test_pattern_table_uploads_decode_and_encode_back(core: dict[str, Any]) -> None:
    assert core["pattern_tables"] == [case["messages"] for case in VECTORS["pattern_tables"]]


def test_fields_helper_matches_the_hub_on_every_valid_vector() -> None:
    # The helper the comparisons above go through must itself read the vectors as the hub does.
    from firmware_protocol.micropython.core import codec

    for case in VECTORS["valid"]:
        frame = bytes.fromhex(case["hex"])
        assert fields(codec.decode(frame)) == fields_of(hub_codec.decode(frame))
