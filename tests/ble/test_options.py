"""Simulator options: drop parsing, validation, and one distinct device per --sim-devices."""

from __future__ import annotations

import argparse

import pytest

from companion.cli.sim_options import add_sim_arguments, sim_options_from_args
from companion.errors import ConfigError
from simulator import SimOptionError, SimOptions, parse_drop


def test_parse_drop_reads_at_and_for() -> None:
    assert parse_drop("25:3") == (25.0, 3.0)
    assert parse_drop("0.5:0.25") == (0.5, 0.25)


@pytest.mark.parametrize("text", ["25", "a:3", "25:0", "-1:3", ""])
def test_parse_drop_refuses_what_is_not_at_s_for_s(text: str) -> None:
    with pytest.raises(SimOptionError, match="AT_S"):
        parse_drop(text)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    return parser.parse_args(argv)


def test_each_simulated_device_gets_its_own_name_address_and_seed() -> None:
    options = sim_options_from_args(
        parse("--sim-devices", "3", "--sim-latency", "5", "--sim-drop", "1:2", "--sim-drop", "4:1")
    )
    assert len({o.name for o in options}) == 3
    assert len({o.address for o in options}) == 3
    assert len({o.seed for o in options}) == 3
    assert all(o.latency_ms == 5 and o.drops == ((1.0, 2.0), (4.0, 1.0)) for o in options)
    # Reproducible: the same arguments give the same devices.
    assert sim_options_from_args(parse("--sim-devices", "3")) == sim_options_from_args(
        parse("--sim-devices", "3")
    )


def test_out_of_range_options_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="battery"):
        sim_options_from_args(parse("--sim-battery", "140"))


def test_addresses_are_random_static() -> None:
    first_byte = int(SimOptions(seed=5).address.split(":")[0], 16)
    assert first_byte & 0xC0 == 0xC0
