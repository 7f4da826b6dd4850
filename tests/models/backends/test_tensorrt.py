"""TensorRT: the engine cache logic everywhere (pure Python); the engine itself where TensorRT runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from models import backends, catalog
from models.backends import tensorrt_backend
from models.backends.engine_cache import EngineCache, EngineKey, Profile, profile_for
from models.errors import BackendError
from tests.conftest import dark_frames, run_cli

TRT_REASON = tensorrt_backend.available()
needs_tensorrt = pytest.mark.skipif(TRT_REASON is not None, reason=f"TensorRT unavailable: {TRT_REASON}")


def _key(**changes) -> EngineKey:
    base = EngineKey("ab" * 32, "10.3.0", "NVIDIA H100", (9, 0), "fp16", profile_for((1, 720, 1280, 3)))
    return dataclasses.replace(base, **changes)


# -- cache key and profiles (no TensorRT needed) -------------------------------------------------
def test_every_part_of_the_key_changes_the_digest() -> None:
    digests = {
        _key().digest,
        _key(onnx_sha256="cd" * 32).digest,
        _key(tensorrt_version="10.4.0").digest,
        _key(gpu_name="NVIDIA L4").digest,
        _key(compute_capability=(8, 9)).digest,
        _key(precision="fp32").digest,
        _key(profile=profile_for((1, 1080, 1920, 3))).digest,
        _key(profile=profile_for((1, 700, 1280, 3))).digest,  # same bucket, other opt shape
    }
    assert len(digests) == 8
    assert _key().digest == _key().digest  # stable across calls (no dict-order or id() in it)


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        _key(precision="int8")


def test_profiles_cover_the_frame_up_to_its_size_bucket() -> None:
    p = profile_for((1, 720, 1280, 3))
    assert p.opt == (1, 720, 1280, 3) and p.max == (1, 720, 1280, 3) and p.min == (1, 32, 32, 3)
    p = profile_for((1, 700, 1000, 3))
    assert p.max == (1, 720, 1280, 3) and p.covers((1, 700, 1000, 3)) and p.covers((1, 64, 64, 3))
    assert not p.covers((1, 1080, 1920, 3)) and not p.covers((2, 700, 1000, 3))
    assert profile_for((1, 1920, 1080, 3)).max == (1, 1920, 1080, 3)  # portrait keeps its orientation
    assert profile_for((1, 4000, 5000, 3)).max == (1, 4000, 5000, 3)  # beyond 4K: the frame itself
    with pytest.raises(ValueError):
        profile_for((1, 8, 8, 3))


class CountingBuilder:
    """The build and load callables the cache is given: counts builds; bytes that start with ENGINE load."""

    def __init__(self) -> None:
        self.builds = 0

    def build(self) -> bytes:
        self.builds += 1
        return b"ENGINE-" + str(self.builds).encode()

    @staticmethod
    def load(data: bytes) -> bytes | None:
        return data if data.startswith(b"ENGINE") else None


def test_cache_builds_once_then_loads(tmp_path: Path) -> None:
    cache, rt = EngineCache(tmp_path), CountingBuilder()
    assert cache.load_or_build("m", _key(), rt.build, rt.load) == b"ENGINE-1"
    assert cache.load_or_build("m", _key(), rt.build, rt.load) == b"ENGINE-1"
    assert rt.builds == 1
    cache.load_or_build("m", _key(precision="fp32"), rt.build, rt.load)
    assert rt.builds == 2 and len(list(tmp_path.glob("m-*.engine"))) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_a_cached_engine_that_does_not_load_is_rebuilt(tmp_path: Path) -> None:
    cache, rt = EngineCache(tmp_path), CountingBuilder()
    cache.load_or_build("m", _key(), rt.build, rt.load)
    path = cache.engine_path("m", _key())
    path.write_bytes(b"garbage from an older TensorRT")
    assert cache.load_or_build("m", _key(), rt.build, rt.load) == b"ENGINE-2"
    assert path.read_bytes() == b"ENGINE-2"


def test_a_build_that_does_not_load_is_never_cached(tmp_path: Path) -> None:
    cache = EngineCache(tmp_path)
    with pytest.raises(RuntimeError, match="does not deserialize"):
        cache.load_or_build("m", _key(), lambda: b"broken", CountingBuilder.load)
    assert not list(tmp_path.iterdir())


def test_a_failing_build_leaves_no_file(tmp_path: Path) -> None:
    def build() -> bytes:
        raise BackendError("parser said no")

    with pytest.raises(BackendError):
        EngineCache(tmp_path).load_or_build("m", _key(), build, CountingBuilder.load)
    assert not list(tmp_path.iterdir())


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    cache = EngineCache(tmp_path)
    target = tmp_path / "sub" / "x.engine"
    cache.write(target, b"one")
    cache.write(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in target.parent.iterdir()] == ["x.engine"]


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from models.backends.engine_cache import cache_dir

    monkeypatch.setenv("STREAMER_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path / "tensorrt"


def test_profile_is_a_frozen_value() -> None:
    p = Profile((1, 32, 32, 3), (1, 64, 64, 3), (1, 64, 64, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.opt = (1, 1, 1, 3)  # type: ignore[misc]


# -- without TensorRT: a clear reason, never a crash ----------------------------------------------
@pytest.mark.skipif(TRT_REASON is None, reason="TensorRT is available here")
def test_unavailable_tensorrt_says_why_everywhere(tmp_path: Path) -> None:
    assert backends.availability()["tensorrt"] == TRT_REASON
    with pytest.raises(BackendError, match="tensorrt is unavailable"):
        backends.resolve("tensorrt")
    r = run_cli("models")
    assert f"tensorrt    unavailable: {TRT_REASON}" in r.stdout
    r = run_cli("export", "zero-dce++", "--format", "tensorrt")
    assert r.returncode == 6 and "tensorrt is unavailable" in r.stderr and "Traceback" not in r.stderr


# -- with TensorRT --------------------------------------------------------------------------------
@pytest.mark.tensorrt
@pytest.mark.gpu
@needs_tensorrt
@pytest.mark.parametrize("model", list(catalog.CATALOG))
def test_tensorrt_matches_torch_within_fp16_tolerance(model: str, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    weights = catalog.get(model)
    trt = tensorrt_backend.TensorRTBackend(weights, cache=EngineCache(tmp_path))
    ref = backends.open_backend("torch", weights, backends.BackendOptions(device="cpu"))
    for frame in dark_frames(3, 640, 360):
        got = trt.enhance(frame[None]).astype(int)
        want = ref.enhance(frame[None]).astype(int)
        assert got.shape == want.shape
        assert np.abs(got - want).mean() < 0.5 and np.abs(got - want).max() <= 4


@pytest.mark.tensorrt
@pytest.mark.gpu
@needs_tensorrt
def test_tensorrt_pipelined_submit_fetch_keeps_order_and_cache_is_reused(tmp_path: Path) -> None:
    weights = catalog.get("zero-dce++")
    cache = EngineCache(tmp_path)
    trt = tensorrt_backend.TensorRTBackend(weights, cache=cache)
    frames = dark_frames(4, 320, 180)
    one_by_one = [trt.enhance(f[None]) for f in frames]
    trt.submit(frames[0][None])
    piped = []
    for f in frames[1:]:
        trt.submit(f[None])
        piped.append(trt.fetch())
    piped += trt.drain()
    assert all(np.array_equal(a, b) for a, b in zip(one_by_one, piped, strict=True))
    engine = trt.prepare((1, 180, 320, 3))
    engine.write_bytes(b"stale")  # a damaged cache entry is rebuilt, not run
    again = tensorrt_backend.TensorRTBackend(weights, cache=cache)
    assert np.array_equal(again.enhance(frames[0][None]), one_by_one[0])
    assert engine.read_bytes() != b"stale"
