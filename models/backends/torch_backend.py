"""PyTorch backend: eager torch on CPU or CUDA, from the shipped torch checkpoint."""

from __future__ import annotations

import importlib.util

import numpy as np

from models.catalog import Weights, require_file
from models.errors import BackendError


def available() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install 'streamer[train]')"
    return None


class TorchBackend:
    """Runs the checkpoint's network behind the frame interface (:func:`models.export.frame_model`)."""

    name = "torch"

    def __init__(self, weights: Weights, device: str, threads: int) -> None:
        import torch

        from models.checkpoint import load_checkpoint, network_from_checkpoint
        from models.export import frame_model

        if threads:
            torch.set_num_threads(threads)
        if device == "cuda" and not torch.cuda.is_available():
            raise BackendError("torch has no CUDA device here")
        self.device = "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
        ckpt = load_checkpoint(require_file(weights.checkpoint_path(), f"checkpoint for {weights.name}"))
        self.model = frame_model(network_from_checkpoint(ckpt)).to(self.device).eval()
        self.burst = weights.burst
        self._torch = torch

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(frames).to(self.device, non_blocking=True)
            return self.model(x).cpu().numpy()

    def close(self) -> None:
        self.model = None


def load(weights: Weights, options) -> TorchBackend:
    return TorchBackend(weights, options.device, options.threads)
