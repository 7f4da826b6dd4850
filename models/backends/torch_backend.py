"""PyTorch backend: eager torch on CPU or CUDA, from the shipped torch checkpoint.

On CUDA it runs in FP16 by default (``BackendOptions.precision``), and with ``compile=True`` through
``torch.compile(mode="reduce-overhead")``, which captures CUDA graphs per frame size. Frames go up
through one pinned host buffer per frame size (no per-frame pinned allocation).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from models.catalog import Weights, require_file
from models.errors import BackendError

CUDA_MISSING = "torch has no CUDA device here"


def available() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install 'streamer[train]')"
    return None


def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


class TorchBackend:
    """Runs the checkpoint's network behind the frame interface (:func:`models.export.frame_model`)."""

    name = "torch"
    path = "exact"

    def __init__(self, weights: Weights, device: str, threads: int, precision: str = "auto", compile: bool = False) -> None:
        """``device``: ``cpu`` or ``cuda``, decided by :func:`models.backends.open_backend`."""
        import torch

        from models.checkpoint import load_checkpoint, network_from_checkpoint
        from models.export.onnx import frame_model

        if threads:
            torch.set_num_threads(threads)
        self.device = device
        if self.device == "cpu" and precision == "fp16":
            raise BackendError("FP16 runs on CUDA only; use --device cuda or precision fp32")
        self.precision = "fp16" if self.device == "cuda" and precision in ("auto", "fp16") else "fp32"
        dtype = torch.float16 if self.precision == "fp16" else torch.float32
        ckpt = load_checkpoint(require_file(weights.checkpoint_path(), f"checkpoint for {weights.name}"))
        net = network_from_checkpoint(ckpt).to(self.device, dtype)
        self.model = frame_model(net, dtype).eval()
        if compile:
            self.model = torch.compile(self.model, mode="reduce-overhead" if self.device == "cuda" else "default")
        self.burst = weights.burst
        self._torch = torch
        self._pinned = None
        # Streaming models keep each frame's encoder features: one encoder pass per new frame.
        arch = weights.architecture
        self.streaming = self._feature_ring(net.eval(), dtype, arch.stream_graphs) if arch.streaming else None

    def _feature_ring(self, net, dtype, stream_graphs: str):
        """The streaming ring on the network's own halves (the graphs the ONNX pair is exported from)."""
        from models.registry import resolve
        from models.runtime.burst_ring import FeatureRing

        torch = self._torch
        encoder, ring_pool, decoder = resolve(stream_graphs)(net, dtype)

        def on_device(rgb: np.ndarray):
            return torch.from_numpy(np.ascontiguousarray(rgb)).to(self.device)

        return FeatureRing(lambda frame: encoder(on_device(frame[None])), ring_pool,
                           lambda pooled, newest, frame: decoder(*pooled, *newest, on_device(frame)).cpu().numpy(),
                           torch.cat)

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            if self.streaming is not None:
                return self.streaming.enhance(frames)
            x = torch.from_numpy(frames)
            if self.device == "cuda":
                if self._pinned is None or self._pinned.shape != x.shape:
                    self._pinned = torch.empty(x.shape, dtype=torch.uint8, pin_memory=True)
                self._pinned.copy_(x)
                x = self._pinned.to("cuda", non_blocking=True)
            return self.model(x).cpu().numpy()

    def close(self) -> None:
        self.model = None
        self.streaming = None


def load(weights: Weights, options) -> TorchBackend:
    return TorchBackend(weights, options.device, options.threads, options.precision, options.compile)
