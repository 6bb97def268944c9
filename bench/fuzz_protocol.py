"""Fuzzes the protocol decoder and reassembler; prints one JSON object.

    .venv/bin/python bench/fuzz_protocol.py [--frames 1000000] [--seed 1]

Frames are random bytes (a quarter) or canonical frames from firmware_protocol/vectors.json
with one to four mutations (bit flips, boundary values, cuts, extensions, splices). Each frame
goes to `decode`, and as a fragment to a `Reassembler`; every fourth mutated frame is also
cut into fragments that arrive dropped, duplicated or swapped. Anything raised other than
ProtocolError is a bug: it is counted, a few are shown, and the exit status is 1.
The decode rate counts only the time spent inside `decode`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import firmware_protocol
from firmware_protocol import ProtocolError, Reassembler, decode, fragment

CHUNK = 50_000
MAX_EXAMPLES = 5
INTERESTING = (0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xFE, 0xFF)


def load_frames() -> list[bytes]:
    path = Path(firmware_protocol.__file__).with_name("vectors.json")
    vectors = json.loads(path.read_text(encoding="utf-8"))
    frames = [bytes.fromhex(v["hex"]) for v in vectors["valid"]]
    frames += [bytes.fromhex(v["hex"]) for v in vectors["invalid"]]
    return frames


def mutate(rng: random.Random, frame: bytes, corpus: list[bytes]) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(8)
        if choice == 0 and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:
            data[rng.randrange(len(data))] = rng.choice(INTERESTING)
        elif choice == 2 and data:
            del data[rng.randrange(len(data)) :]
        elif choice == 3:
            data += rng.randbytes(rng.randint(1, 16))
        elif choice == 4 and data:
            del data[rng.randrange(len(data))]
        elif choice == 5:
            data.insert(rng.randrange(len(data) + 1), rng.randrange(256))
        elif choice == 6:
            other = rng.choice(corpus)
            cut = rng.randrange(len(data) + 1)
            data = data[:cut] + other[rng.randrange(len(other) + 1) :]
        elif len(data) > 4:
            # A count or length byte that lies: the body's first byte is one in most layouts.
            data[4] = rng.randrange(256)
    if len(data) >= 2 and rng.random() < 0.5:
        data[0] = 1  # keep the version right half the time so bodies get decoded
    return bytes(data)


def make_frames(rng: random.Random, count: int, corpus: list[bytes]) -> list[bytes]:
    frames = []
    for _ in range(count):
        if rng.random() < 0.25:
            frames.append(rng.randbytes(rng.randint(0, 64)))
        else:
            frames.append(mutate(rng, rng.choice(corpus), corpus))
    return frames


def fragment_stream(rng: random.Random, frame: bytes) -> list[bytes]:
    """The frame's fragments at a random ATT payload, then dropped, duplicated or swapped."""
    if not frame:
        return [b""]
    try:
        pieces = fragment(frame, rng.randint(3, 40), rng.randrange(256))
    except ProtocolError:
        return [frame]
    roll = rng.random()
    if roll < 0.2 and len(pieces) > 1:
        del pieces[rng.randrange(len(pieces))]
    elif roll < 0.4:
        pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(pieces))
    elif roll < 0.6 and len(pieces) > 1:
        i = rng.randrange(len(pieces) - 1)
        pieces[i], pieces[i + 1] = pieces[i + 1], pieces[i]
    return pieces


class Findings:
    def __init__(self) -> None:
        self.count = 0
        self.examples: list[dict[str, str]] = []

    def record(self, where: str, data: bytes, exc: BaseException) -> None:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(
                {
                    "where": where,
                    "input": data.hex(),
                    "exception": repr(exc),
                    "traceback": "".join(traceback.format_exception(exc)[-3:]),
                }
            )


def decode_all(frames: list[bytes], codes: Counter[str], findings: Findings) -> tuple[int, float]:
    """Decodes every frame; returns (valid messages, seconds spent)."""
    ok = 0
    start = time.perf_counter()
    for data in frames:
        try:
            decode(data)
            ok += 1
        except ProtocolError as exc:
            codes[exc.code.name if exc.code is not None else "none"] += 1
        except Exception as exc:  # noqa: BLE001 - finding these is the point
            findings.record("decode", data, exc)
    return ok, time.perf_counter() - start


def reassemble_all(
    rng: random.Random,
    frames: list[bytes],
    codes: Counter[str],
    findings: Findings,
    clock: list[float],
) -> tuple[int, int, float]:
    """Feeds every frame (and some fragment streams); returns (fragments, messages, seconds)."""
    reassembler = Reassembler()
    fed = 0
    messages = 0
    spent = 0.0
    for index, data in enumerate(frames):
        stream = fragment_stream(rng, data) if index % 4 == 0 else [data]
        for piece in stream:
            clock[0] += rng.choice((0.001, 0.01, 0.5, 2.5))
            fed += 1
            start = time.perf_counter()
            try:
                out = reassembler.feed(piece, clock[0])
            except ProtocolError as exc:
                codes[exc.code.name if exc.code is not None else "none"] += 1
                out = None
            except Exception as exc:  # noqa: BLE001 - finding these is the point
                findings.record("reassemble", piece, exc)
                out = None
            spent += time.perf_counter() - start
            if out is not None:
                messages += 1
                try:
                    decode(out)
                except ProtocolError:
                    pass
                except Exception as exc:  # noqa: BLE001
                    findings.record("decode after reassembly", out, exc)
    return fed, messages, spent


def valid_decode_rate(corpus: list[bytes], rounds: int = 20_000) -> float:
    """Decodes per second of well-formed frames only (the hub's and device's real load)."""
    valid = []
    for data in corpus:
        try:
            decode(data)
        except ProtocolError:
            continue
        valid.append(data)
    start = time.perf_counter()
    for _ in range(rounds):
        for data in valid:
            decode(data)
    return rounds * len(valid) / (time.perf_counter() - start)


def run(frames_total: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    corpus = load_frames()
    findings = Findings()
    decode_codes: Counter[str] = Counter()
    reassembly_codes: Counter[str] = Counter()
    decoded_ok = 0
    decode_seconds = 0.0
    fragments_fed = 0
    reassembled = 0
    reassembly_seconds = 0.0
    clock = [0.0]
    wall = time.perf_counter()
    done = 0
    while done < frames_total:
        batch = make_frames(rng, min(CHUNK, frames_total - done), corpus)
        ok, seconds = decode_all(batch, decode_codes, findings)
        decoded_ok += ok
        decode_seconds += seconds
        fed, messages, seconds = reassemble_all(rng, batch, reassembly_codes, findings, clock)
        fragments_fed += fed
        reassembled += messages
        reassembly_seconds += seconds
        done += len(batch)
    return {
        "frames": frames_total,
        "seed": seed,
        "unexpected_exceptions": findings.count,
        "examples": findings.examples,
        "decode": {
            "valid_messages": decoded_ok,
            "protocol_errors": sum(decode_codes.values()),
            "errors_by_code": dict(decode_codes.most_common()),
            "seconds": round(decode_seconds, 3),
            "rate_per_s": round(frames_total / decode_seconds) if decode_seconds else None,
            "valid_frames_rate_per_s": round(valid_decode_rate(corpus)),
        },
        "reassembler": {
            "fragments": fragments_fed,
            "messages": reassembled,
            "errors_by_code": dict(reassembly_codes.most_common()),
            "seconds": round(reassembly_seconds, 3),
            "rate_per_s": round(fragments_fed / reassembly_seconds) if reassembly_seconds else None,
        },
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpus",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=1_000_000, help="frames to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed (runs repeat exactly)")
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    report = run(args.frames, args.seed)
    print(json.dumps(report))
    return 1 if report["unexpected_exceptions"] else 0


if __name__ == "__main__":
    sys.exit(main())
