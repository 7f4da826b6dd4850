"""The TensorRT engine cache, in plain Python (no TensorRT needed, so it is tested everywhere).

An engine is only valid for the exact ONNX graph, TensorRT version, GPU, precision and input
shape profile it was built for; the cache key covers all five (the bug Torch-TensorRT's and ONNX
Runtime's caches had was a key that forgot the shapes or the version). Files are written
atomically (temporary name, then ``os.replace``), and a cached engine that fails to deserialize
is deleted and rebuilt, never run.

Layout: ``CACHE_DIR/<onnx stem>-<key[:20]>.engine`` plus one timing cache per TensorRT version
and GPU (``timing-<trt>-<gpu>.cache``), which makes rebuilds for new shapes faster.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Profiles are built for a bucket, not for one exact size, so one engine serves every frame size up
# to the bucket (opt is the size actually seen first).
BUCKETS: tuple[tuple[int, int], ...] = ((360, 640), (720, 1280), (1080, 1920), (2160, 3840))
MIN_SIDE = 32  # Zero-DCE++ pools by 12; a little margin keeps the smallest profile meaningful.
PRECISIONS = ("fp16", "fp32")


def cache_dir() -> Path:
    """``$STREAMER_CACHE/tensorrt``, else ``$XDG_CACHE_HOME/streamer/tensorrt``, else ``~/.cache/streamer/tensorrt``."""
    if os.environ.get("STREAMER_CACHE"):
        return Path(os.environ["STREAMER_CACHE"]) / "tensorrt"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "streamer" / "tensorrt"


@dataclass(frozen=True)
class Profile:
    """One optimization profile of the ``frames`` input: (T, H, W, 3) shapes min <= opt <= max."""

    min: tuple[int, int, int, int]
    opt: tuple[int, int, int, int]
    max: tuple[int, int, int, int]

    def covers(self, shape: tuple[int, ...]) -> bool:
        return len(shape) == 4 and all(lo <= s <= hi for lo, s, hi in zip(self.min, shape, self.max, strict=True))


def profile_for(shape: tuple[int, int, int, int]) -> Profile:
    """The profile for frames of ``shape`` (T, H, W, 3): opt is that shape, max the smallest bucket
    holding it in either orientation (or the shape itself beyond 4K), min ``MIN_SIDE`` square."""
    t, h, w, c = shape
    if c != 3 or t < 1 or h < MIN_SIDE or w < MIN_SIDE:
        raise ValueError(f"frames of shape {shape} cannot be profiled: need (T, H, W, 3) with H, W >= {MIN_SIDE}")
    big, small = max(h, w), min(h, w)
    max_hw = (h, w)
    for bh, bw in BUCKETS:
        if bw >= big and bh >= small:
            max_hw = (bh, bw) if w >= h else (bw, bh)
            break
    return Profile(min=(t, MIN_SIDE, MIN_SIDE, 3), opt=(t, h, w, 3), max=(t, *max_hw, 3))


@dataclass(frozen=True)
class EngineKey:
    """Everything an engine depends on. ``digest`` is its cache key."""

    onnx_sha256: str
    tensorrt_version: str
    gpu_name: str
    compute_capability: tuple[int, int]
    precision: str
    profile: Profile

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")

    @property
    def digest(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "unknown"


class EngineCache:
    """Engines on disk under ``root``, keyed by :class:`EngineKey`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir()

    def engine_path(self, name: str, key: EngineKey) -> Path:
        return self.root / f"{_slug(name)}-{key.digest[:20]}.engine"

    def timing_cache_path(self, key: EngineKey) -> Path:
        return self.root / f"timing-{_slug(key.tensorrt_version)}-{_slug(key.gpu_name)}.cache"

    def write(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` atomically: readers see the old file or the whole new one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def load_or_build(self, name: str, key: EngineKey, build: Callable[[], bytes], load: Callable[[bytes], T | None]) -> T:
        """The engine for ``key``: deserialized from the cache when it loads, else built, cached and loaded.

        ``build()`` returns a serialized engine; ``load(data)`` returns the engine or ``None`` (or
        raises) when ``data`` does not deserialize. A cached file that fails to load is deleted and
        rebuilt; a freshly built one that fails is an error (``RuntimeError``), never cached.
        """
        path = self.engine_path(name, key)
        if path.is_file():
            engine = _try_load(load, path.read_bytes())
            if engine is not None:
                log.info("TensorRT engine from cache: %s", path)
                return engine
            log.warning("cached TensorRT engine %s does not load (stale or damaged): rebuilding it", path)
            path.unlink(missing_ok=True)
        log.info("building a TensorRT engine for %s (%s, profile max %s); this takes a while once", name,
                 key.precision, "x".join(map(str, key.profile.max[1:3])))
        data = build()
        engine = _try_load(load, data)
        if engine is None:
            raise RuntimeError(f"the TensorRT engine just built for {name} does not deserialize")
        self.write(path, data)
        return engine


def _try_load(load: Callable[[bytes], T | None], data: bytes) -> T | None:
    try:
        return load(data)
    except Exception as e:  # a runtime's deserializer raises its own types on garbage
        log.debug("engine does not deserialize: %s", e)
        return None
