"""Bad input, fuzzed: seeded byte-mutated and truncated variants of a small clip through ``streamer enhance``.

Every variant must end, within the timeout, either with exit 0 and a playable output, or with a
non-zero exit and one ``streamer: error:`` line; never a traceback, a crash or an internal error.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import av
import pytest

from tests.conftest import dark_frames, decode, run_cli, write_clip

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("STREAMER_FUZZ_SEED", "6"))  # another seed explores other variants
TIMEOUT_S = 90  # per variant: far above a normal run (~2 s), so only a real hang trips it


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    """One variant of ``data``; ``kind`` says how it was damaged."""
    b = bytearray(data)
    n = len(b)
    if kind.startswith("cut"):
        return bytes(b[: max(1, int(n * float(kind[3:])))])
    if kind == "flip":  # a few random bytes anywhere
        for _ in range(rng.randint(1, 64)):
            b[rng.randrange(n)] = rng.randrange(256)
    elif kind == "block":  # a run of noise or zeros, as a bad sector would leave
        size = rng.randint(64, 8192)
        start = rng.randrange(n - size)
        b[start:start + size] = bytes(size) if rng.random() < 0.5 else rng.randbytes(size)
    elif kind == "head":  # the box headers at the start (ftyp, and the size fields after it)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(min(n, 64))] = rng.randrange(256)
    elif kind == "index":  # the moov index at the end (PyAV writes it last)
        for _ in range(rng.randint(1, 32)):
            b[n - 1 - rng.randrange(min(n, 4096))] = rng.randrange(256)
    elif kind == "splice":  # a chunk repeated elsewhere: packets that lie about their place
        size = rng.randint(512, 8192)
        src, dst = rng.randrange(n - size), rng.randrange(n - size)
        b[dst:dst + size] = b[src:src + size]
    return bytes(b)


KINDS = ([f"cut{f}" for f in (0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999)]
         + ["flip"] * 10 + ["block"] * 8 + ["head"] * 4 + ["index"] * 4 + ["splice"] * 4)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    clip = write_clip(folder / "clip.mp4", dark_frames(24, 160, 96))  # with an AAC track
    data = clip.path.read_bytes()
    rng = random.Random(SEED)
    paths = []
    for i, kind in enumerate(KINDS):
        path = folder / f"v{i:02d}_{kind}.mp4"
        path.write_bytes(mutate(data, kind, rng))
        paths.append(path)
    return paths


@pytest.mark.parametrize("i", range(len(KINDS)), ids=[f"{i:02d}-{k}" for i, k in enumerate(KINDS)])
def test_fuzzed_clip_never_crashes_hangs_or_tracebacks(variants: list[Path], i: int, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    r = run_cli("enhance", str(variants[i]), "-o", str(out), "--preset", "ultrafast", timeout=TIMEOUT_S)
    assert "Traceback" not in r.stderr + r.stdout
    assert "internal error" not in r.stderr
    assert r.returncode in (0, 3), r.stderr  # done, or bad input (exit 3), nothing else
    if r.returncode == 0:
        frames, _ = decode(out)
        assert frames, r.stderr
        with av.open(str(out)) as c:
            assert c.streams.video[0].codec_context.name == "h264"
    else:
        errors = [line for line in r.stderr.splitlines() if line.startswith("streamer: error: ")]
        assert len(errors) == 1, r.stderr
        assert variants[i].name in errors[0]  # says which file
        assert not out.exists() and not list(tmp_path.glob("*.partial.*"))
