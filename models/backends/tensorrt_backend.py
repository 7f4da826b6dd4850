"""TensorRT backend: the shipped ONNX frame graph compiled to an engine, FP16 with an FP32 fallback.

- Build: ONNX parser -> network; ``BuilderFlag.FP16`` where the GPU has fast FP16; one
  optimization profile for the ``frames`` input (min/opt/max from :func:`engine_cache.profile_for`);
  a timing cache kept on disk; ``build_serialized_network``.
- Cache: :class:`engine_cache.EngineCache`, keyed by sha256 of the ONNX file + TensorRT version +
  GPU name + compute capability + precision + profile; atomic writes; an engine that fails to
  deserialize is rebuilt. ``streamer export MODEL --format tensorrt`` builds it ahead of time.
- Run: CUDA memory and streams come from **torch** (installed by the ``tensorrt`` extra): device
  buffers are CUDA tensors whose ``data_ptr()`` goes to ``set_tensor_address``, host buffers are
  pinned. Two slots, allocated once per frame size: frame N+1 is uploaded on a copy stream while
  frame N runs on the compute stream (``submit``/``fetch``); ``enhance`` is submit + fetch.

TensorRT is imported only here, and only when the backend is loaded.
"""

from __future__ import annotations

import importlib.util
import logging
from collections import deque
from pathlib import Path

import numpy as np

from models.backends.engine_cache import EngineCache, EngineKey, Profile, profile_for
from models.catalog import Weights, require_file, sha256
from models.errors import BackendError

log = logging.getLogger(__name__)

INPUT, OUTPUT = "frames", "enhanced"
SLOTS = 2


CUDA_MISSING = "TensorRT needs an NVIDIA GPU and driver"


def cuda() -> bool:
    """TensorRT runs on the GPU only: wherever it is available, it runs there."""
    return available() is None


def available() -> str | None:
    if importlib.util.find_spec("tensorrt") is None:
        return "tensorrt is not installed (it needs an NVIDIA GPU: pip install 'streamer[tensorrt]')"
    if importlib.util.find_spec("torch") is None:
        return "TensorRT runs on CUDA memory from torch, which is not installed (pip install 'streamer[tensorrt]')"
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device is visible (TensorRT needs an NVIDIA GPU and driver)"
    return None


def build_engine(onnx: Path, profile: Profile, precision: str, timing_cache: bytes) -> tuple[bytes, bytes]:
    """Compile ``onnx`` for ``profile``; returns (serialized engine, updated timing cache)."""
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode in TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise BackendError(f"TensorRT cannot parse {onnx}: {errors}")
    config = builder.create_builder_config()
    if precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    trt_profile = builder.create_optimization_profile()
    trt_profile.set_shape(INPUT, profile.min, profile.opt, profile.max)
    config.add_optimization_profile(trt_profile)
    cache = config.create_timing_cache(timing_cache)
    config.set_timing_cache(cache, ignore_mismatch=False)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendError(f"TensorRT could not build a {precision} engine for {onnx} (see the log above)")
    return bytes(serialized), bytes(config.get_timing_cache().serialize())


class TensorRTBackend:
    """Runs the frame graph's engine: (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, on the GPU."""

    name = "tensorrt"
    device = "cuda"
    path = "exact"

    def __init__(self, weights: Weights, precision: str = "fp16", cache: EngineCache | None = None) -> None:
        import tensorrt as trt
        import torch

        self._trt, self._torch = trt, torch
        self.onnx = require_file(weights.onnx_path(), f"ONNX model for {weights.name}")
        self._onnx_sha256 = sha256(self.onnx)
        self.burst = weights.burst
        self.precision = precision
        self._cache = cache or EngineCache()
        self._runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        self._gpu, self._cc = props.name, (props.major, props.minor)
        self._copy_stream, self._compute_stream = torch.cuda.Stream(), torch.cuda.Stream()
        self._engine = self._context = self._profile = None
        self._engine_path: Path | None = None
        self._shape: tuple[int, ...] | None = None
        self._slots: list[dict] = []
        self._turn = 0
        self._pending: deque[dict] = deque()

    # -- engine ---------------------------------------------------------------------------------
    def key(self, profile: Profile, precision: str) -> EngineKey:
        return EngineKey(self._onnx_sha256, self._trt.__version__, self._gpu, self._cc, precision, profile)

    def _load_engine(self, data: bytes):
        return self._runtime.deserialize_cuda_engine(data)

    def prepare(self, shape: tuple[int, int, int, int]) -> Path:
        """Have an engine whose profile covers ``shape`` and buffers for it; returns the engine file."""
        if self._engine is None or not self._profile.covers(shape):
            profile = profile_for(shape)
            precisions = ("fp16", "fp32") if self.precision == "fp16" else ("fp32",)
            for i, precision in enumerate(precisions):
                key = self.key(profile, precision)
                try:
                    self._engine = self._cache.load_or_build(self.onnx.stem, key, lambda k=key: self._build(k),
                                                             self._load_engine)
                    break
                except (BackendError, RuntimeError) as e:
                    if i + 1 == len(precisions):
                        raise BackendError(str(e)) from e
                    log.warning("FP16 engine failed (%s): falling back to FP32", e)
            self._profile, self.precision = profile, precision
            self._context = self._engine.create_execution_context()
            self._engine_path = self._cache.engine_path(self.onnx.stem, key)
        if shape != self._shape:
            self._allocate(shape)
        return self._engine_path

    def _build(self, key: EngineKey) -> bytes:
        timing_path = self._cache.timing_cache_path(key)
        timing = timing_path.read_bytes() if timing_path.is_file() else b""
        engine, timing = build_engine(self.onnx, key.profile, key.precision, timing)
        self._cache.write(timing_path, timing)
        return engine

    def _allocate(self, shape: tuple[int, int, int, int]) -> None:
        """Bind ``shape`` and allocate the slots' buffers (once per frame size, never per frame)."""
        torch = self._torch
        self.drain()
        if not self._context.set_input_shape(INPUT, shape):
            raise BackendError(f"the TensorRT engine does not accept frames of shape {shape}")
        out_shape = tuple(self._context.get_tensor_shape(OUTPUT))
        self._slots = [
            {
                "host_in": torch.empty(shape, dtype=torch.uint8, pin_memory=True),
                "dev_in": torch.empty(shape, dtype=torch.uint8, device="cuda"),
                "dev_out": torch.empty(out_shape, dtype=torch.uint8, device="cuda"),
                "host_out": torch.empty(out_shape, dtype=torch.uint8, pin_memory=True),
                "uploaded": torch.cuda.Event(),
                "done": torch.cuda.Event(),
            }
            for _ in range(SLOTS)
        ]
        self._shape = shape

    # -- running --------------------------------------------------------------------------------
    def submit(self, frames: np.ndarray) -> None:
        """Queue (T, H, W, 3) uint8 frames: upload on the copy stream, run on the compute stream.

        At most ``SLOTS`` submissions may wait for :meth:`fetch`; results come back in order.
        """
        if len(self._pending) >= SLOTS:
            raise BackendError("fetch() the earlier results before submitting more frames")
        self.prepare(tuple(frames.shape))
        slot = self._slots[self._turn % SLOTS]
        self._turn += 1
        slot["host_in"].numpy()[...] = frames
        with self._torch.cuda.stream(self._copy_stream):
            slot["dev_in"].copy_(slot["host_in"], non_blocking=True)
            slot["uploaded"].record(self._copy_stream)
        stream = self._compute_stream
        stream.wait_event(slot["uploaded"])
        self._context.set_tensor_address(INPUT, slot["dev_in"].data_ptr())
        self._context.set_tensor_address(OUTPUT, slot["dev_out"].data_ptr())
        if not self._context.execute_async_v3(stream.cuda_stream):
            raise BackendError("TensorRT failed to enqueue the engine")
        with self._torch.cuda.stream(stream):
            slot["host_out"].copy_(slot["dev_out"], non_blocking=True)
            slot["done"].record(stream)
        self._pending.append(slot)

    def fetch(self) -> np.ndarray:
        """The oldest submitted frame's result, (H, W, 3) uint8 RGB (a copy the caller owns)."""
        slot = self._pending.popleft()
        slot["done"].synchronize()
        return slot["host_out"].numpy().copy()

    def drain(self) -> list[np.ndarray]:
        """Results of everything still in flight, oldest first."""
        return [self.fetch() for _ in range(len(self._pending))]

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        if self._pending:
            raise BackendError("enhance() while submitted frames wait for fetch()")
        self.submit(frames)
        return self.fetch()

    def close(self) -> None:
        self._pending.clear()
        self._slots, self._context, self._engine = [], None, None


def load(weights: Weights, options) -> TensorRTBackend:
    """``options.device`` is ``cuda`` here (:func:`models.backends.resolve_device` refuses ``cpu``)."""
    return TensorRTBackend(weights)


def build_ahead(weights: Weights, width: int, height: int, precision: str = "fp16") -> Path:
    """Build (or find) the engine for ``width`` x ``height`` frames now; returns its file."""
    reason = available()
    if reason is not None:
        raise BackendError(f"backend tensorrt is unavailable: {reason}")
    backend = TensorRTBackend(weights, precision)
    try:
        return backend.prepare((weights.burst, height, width, 3))
    finally:
        backend.close()
