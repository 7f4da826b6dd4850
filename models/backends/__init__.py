"""Inference backends: one small interface, one module per backend, an explicit dict.

Every backend runs a shipped model (:mod:`models.catalog`) on frames:
``enhance(frames)`` takes (T, H, W, 3) uint8 RGB, oldest first, and returns the enhanced newest
frame as (H, W, 3) uint8 RGB. Backend modules import their runtime (onnxruntime, torch,
tensorrt) only when loaded, so listing what is available is instant.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from models.catalog import Weights
from models.errors import BackendError, ConfigError
from models.temporal import SmoothingConfig

# name -> module implementing ``available() -> str | None`` and ``load(weights, options)``.
BACKENDS: dict[str, str] = {
    "tensorrt": "models.backends.tensorrt_backend",
    "onnxruntime": "models.backends.onnxruntime_backend",
    "torch": "models.backends.torch_backend",
}

# ``auto`` takes the first available, fastest first. On CPUs ONNX Runtime beats eager torch
# (benchmarks/bench_backends.py measures both); TensorRT is the fastest where it exists.
AUTO_ORDER: tuple[str, ...] = ("tensorrt", "onnxruntime", "torch")


@dataclass(frozen=True)
class BackendOptions:
    """How to run: ``device`` is ``auto``, ``cpu`` or ``cuda``; ``threads`` 0 lets the runtime pick;
    ``exact`` runs every curve iteration at full resolution even where a faster, table-based path
    exists (Zero-DCE++ on CPUs, see :mod:`models.curve_lut`)."""

    device: str = "auto"
    threads: int = 0
    exact: bool = False
    # GPU only: ``auto`` is FP16 on CUDA (FP32 on CPUs); ``compile`` runs torch.compile with CUDA graphs.
    precision: str = "auto"
    compile: bool = False
    # Video from a single-frame model: smooth its output brightness over time (models.temporal).
    smoothing: SmoothingConfig | None = None

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device must be auto, cpu or cuda, not {self.device!r}")
        if self.precision not in ("auto", "fp16", "fp32"):
            raise ConfigError(f"precision must be auto, fp16 or fp32, not {self.precision!r}")
        if self.threads < 0:
            raise ConfigError("threads must be 0 (automatic) or positive")


class Backend(Protocol):
    """A loaded model ready to enhance frames."""

    name: str
    device: str
    burst: int

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) uint8 RGB, oldest first -> (H, W, 3) uint8 RGB."""
        ...

    def close(self) -> None: ...


def _module(name: str):
    try:
        return importlib.import_module(BACKENDS[name])
    except KeyError:
        choices = ", ".join(["auto", *BACKENDS])
        raise ConfigError(f"unknown backend {name!r}; choose one of: {choices}") from None


def availability() -> dict[str, str | None]:
    """Each backend's name -> ``None`` when usable here, else the reason it is not."""
    return {name: _module(name).available() for name in BACKENDS}


def runs_on_cuda(name: str) -> bool:
    """Whether backend ``name`` (available here) can run on an NVIDIA GPU on this machine."""
    if name == "tensorrt":
        return True
    if name == "onnxruntime":
        import onnxruntime as ort

        return "CUDAExecutionProvider" in ort.get_available_providers()
    import torch

    return torch.cuda.is_available()


def resolve(name: str, device: str = "auto") -> str:
    """Turn ``auto`` into the fastest available backend (for ``device="cuda"``: the fastest that runs
    on the GPU); check a named one is available."""
    if name == "auto":
        reasons = availability()
        usable = [c for c in AUTO_ORDER if reasons[c] is None]
        if device == "cuda":
            usable = [c for c in usable if runs_on_cuda(c)]
            if not usable:
                raise BackendError("no backend runs on CUDA here: install onnxruntime-gpu, or torch with CUDA, "
                                   "or TensorRT ('streamer[tensorrt]'); or use --device cpu")
        if usable:
            return usable[0]
        raise BackendError("no inference backend is available: pip install onnxruntime")
    reason = _module(name).available()
    if reason is not None:
        raise BackendError(f"backend {name} is unavailable: {reason}")
    return name


def open_backend(name: str, weights: Weights, options: BackendOptions = BackendOptions()) -> Backend:
    """Load ``weights`` on backend ``name`` (or ``auto``)."""
    chosen = resolve(name, options.device)
    backend = _module(chosen).load(weights, options)
    smoothing = options.smoothing
    if smoothing is None or not smoothing.enabled or getattr(backend, "smoother", None) is not None:
        return backend
    if weights.burst > 1:
        backend.close()
        raise ConfigError(f"{weights.name} fuses {weights.burst} frames itself: temporal smoothing is for single-frame models")
    from models.backends.stabilized import StabilizedBackend

    try:
        return StabilizedBackend(backend, smoothing)
    except ConfigError:
        backend.close()
        raise
