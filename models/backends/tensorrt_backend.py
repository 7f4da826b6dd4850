"""TensorRT backend seam.

The engine builder (ONNX parser -> FP16 engine, optimization profiles, engine cache) is the
speed work's to write; until it lands this backend reports itself unavailable with the reason,
so ``auto`` never picks it and ``--backend tensorrt`` fails with one clear line.
"""

from __future__ import annotations

import importlib.util

from models.errors import BackendError


def available() -> str | None:
    if importlib.util.find_spec("tensorrt") is None:
        return "tensorrt is not installed (it needs an NVIDIA GPU: pip install 'streamer[tensorrt]')"
    return "the TensorRT engine builder is not part of this version yet; use onnxruntime"


def load(weights, options):
    raise BackendError(f"backend tensorrt is unavailable: {available()}")
