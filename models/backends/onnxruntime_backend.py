"""ONNX Runtime backend: the default on CPUs, and on NVIDIA GPUs through its CUDA provider."""

from __future__ import annotations

import importlib.util

import numpy as np

from models.catalog import Weights, require_file
from models.errors import BackendError, ModelError


def available() -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed (pip install onnxruntime)"
    return None


class OnnxRuntimeBackend:
    """Runs the exported frame graph (uint8 frames in, uint8 frame out)."""

    name = "onnxruntime"

    def __init__(self, weights: Weights, device: str, threads: int) -> None:
        import onnxruntime as ort

        path = require_file(weights.onnx_path(), f"ONNX model for {weights.name}")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        elif device == "cuda":
            raise BackendError("onnxruntime has no CUDA provider here (pip install onnxruntime-gpu)")
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=providers)
        except Exception as e:  # ORT raises its own exception types for a bad graph
            raise ModelError(f"cannot load {path}: {e}") from e
        self.device = "cuda" if self.session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        self.burst = weights.burst
        self.streaming = None
        if weights.burst > 1:
            # Burst models ship an encoder/decoder pair too: one encoder pass per new frame.
            from models.burst_runtime import open_streaming

            self.streaming = open_streaming(path, providers, opts)

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        if self.streaming is not None:
            return self.streaming.enhance(frames)
        return self.session.run(["enhanced"], {"frames": frames})[0]

    def close(self) -> None:
        self.session = None
        self.streaming = None


def load(weights: Weights, options) -> OnnxRuntimeBackend:
    return OnnxRuntimeBackend(weights, options.device, options.threads)
