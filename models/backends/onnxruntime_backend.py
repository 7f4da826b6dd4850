"""ONNX Runtime backend: the default on CPUs, and on NVIDIA GPUs through its CUDA provider.

Two ways to run, chosen at load:

- the frame graph (``enhanced = graph(frames)``, every curve iteration at full resolution in
  float): the exact path, used for Zero-DCE, on the CUDA provider, and with ``exact=True``;
- for Zero-DCE++ on the CPU, the lookup-table fast path (:mod:`models.runtime.curve_lut`): ONNX Runtime
  runs only the small curve estimator (``NAME.curves.onnx``), the curves are one table gather.

Both are :class:`models.backends.Shareable`: ``for_stream()`` gives another video its own state on the
same sessions, and the curve estimator, exported with a batch axis, runs once for several videos.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.catalog import Weights, require_file
from models.errors import ModelError

log = logging.getLogger(__name__)


CUDA_MISSING = "onnxruntime has no CUDA provider here (pip install onnxruntime-gpu)"


def available() -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed (pip install onnxruntime)"
    return None


def cuda() -> bool:
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def _providers(device: str) -> list[str]:
    return ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]


def _options(threads: int, spin: bool):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    if not spin:
        # Idle ORT workers spin by default: next to an encoder on few cores that steals its CPU.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def _session(path: Path, providers: list[str], threads: int, spin: bool):
    import onnxruntime as ort

    try:
        return ort.InferenceSession(str(path), _options(threads, spin), providers=providers)
    except Exception as e:  # ORT raises its own exception types for a bad graph
        raise ModelError(f"cannot load {path}: {e}") from e


class OnnxRuntimeBackend:
    """Runs the exported frame graph (uint8 frames in, uint8 frame out)."""

    name = "onnxruntime"
    path = "exact"
    # The frame graph takes one burst: (T, H, W, 3) has no batch axis.
    batchable = None

    def __init__(self, weights: Weights, device: str, threads: int) -> None:
        """``device``: ``cpu`` or ``cuda``, decided by :func:`models.backends.open_backend`."""
        path = require_file(weights.onnx_path(), f"ONNX model for {weights.name}")
        providers = _providers(device)
        self.session = _session(path, providers, threads, spin=True)
        self.device = "cuda" if self.session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        self.burst = weights.burst
        self.streaming = None
        if weights.architecture.streaming:
            # Streaming models ship an encoder/decoder pair too: one encoder pass per new frame.
            # Not spinning: between the two graphs and the pool, spinning workers took the cores from
            # the video's decoder and encoder (streamer enhance, burst, 720p: 13.5 s and 25.5 CPU s
            # with spinning, 9.1 s and 14.4 CPU s without).
            from models.runtime.burst_ring import open_streaming

            self.streaming = open_streaming(path, providers, _options(threads, spin=False))

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        if self.streaming is not None:
            return self.streaming.enhance(frames)
        return self.session.run(["enhanced"], {"frames": frames})[0]

    def run_batch(self, x: np.ndarray) -> np.ndarray:
        raise ModelError("the frame graph has no batch axis")

    def for_stream(self, step: Callable[[np.ndarray], np.ndarray] | None = None) -> OnnxRuntimeBackend:
        """This model for one more video: the same sessions; the burst model's feature ring its own."""
        view = copy.copy(self)
        if self.streaming is not None:
            view.streaming = self.streaming.for_stream()
        return view

    def close(self) -> None:
        self.session = None
        self.streaming = None


class CurveLutBackend:
    """Zero-DCE++ on the CPU: ORT estimates the 1/scale curve map, numpy applies it at full resolution:
    :class:`~models.runtime.tone.ColourTrueCurves` (one fused pass) for the colour-true rule,
    :class:`~models.runtime.curve_lut.CurveLUT` (a table gather per sample) for the per-channel rule.

    Matches the exact path up to one uint8 level on a few samples.
    Implements :class:`models.backends.CurveMapped`, so temporal smoothing works on its own small
    curve map and thumbnail instead of pooling the enhanced frame.
    """

    name = "onnxruntime"
    path = "lut"
    device = "cpu"

    def __init__(self, weights: Weights, curves: Path, threads: int) -> None:
        import cv2

        from models.backends.stabilized import GainApplier
        from models.runtime.curve_lut import CurveLUT, pool
        from models.runtime.tone import ColourTrueCurves, exposure_strength

        # The estimator is tiny (~2 ms at 720p): one thread, no spinning, leaves the cores to the codec.
        self.session = _session(curves, ["CPUExecutionProvider"], threads or 1, spin=False)
        # OpenCV's pool is process-wide; the gather and resize are memory-bound and the encoder
        # and decoder threads already use the other cores.
        cv2.setNumThreads(threads or 1)
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            self.scale, self.iterations = int(meta["scale"]), int(meta["iterations"])
        except (KeyError, ValueError):
            raise ModelError(f"{curves} lacks its scale/iterations metadata; re-export it with 'streamer export'") from None
        # Graphs exported before the colour-true rule carry no rule: they were trained per channel.
        self.curve_rule = meta.get("curve_rule", "per-channel")
        self.colour_true = self.curve_rule == "colour-true"
        self._new_lut = lambda: ColourTrueCurves(self.iterations) if self.colour_true else CurveLUT(self.iterations)
        self.lut = self._new_lut()
        self._gain = GainApplier()
        self._pool = pool
        self._strength = exposure_strength
        self.burst = weights.burst
        # Graphs exported before the batch axis take one thumbnail per call.
        self.batchable = not isinstance(self.session.get_inputs()[0].shape[0], int)
        self._step = self.run_batch

    def curve_map(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The newest frame's 1/scale curve map (3, h, w), scaled by its exposure strength under the
        colour-true rule, and the pooled frame it was estimated from (3, h, w)."""
        rgb = np.ascontiguousarray(frames[-1])
        try:
            small = self._pool(rgb, self.scale)
        except ValueError as e:
            raise ModelError(str(e)) from e
        alphas = self._step(small)[0]
        if self.colour_true:
            alphas *= self._strength(rgb)
        return alphas, small[0]

    def apply_curve_map(self, frames: np.ndarray, alphas: np.ndarray, thumbnail: np.ndarray,
                        gain: np.ndarray | None = None) -> np.ndarray:
        rgb = np.ascontiguousarray(frames[-1])
        if self.colour_true:  # the gain in the same pass
            return self.lut.apply(rgb, alphas, self._strength(rgb), thumbnail, gain)
        out = self.lut.apply(rgb, alphas[None])
        return out if gain is None else self._gain.apply(out, gain)

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        alphas, thumbnail = self.curve_map(frames)
        return self.apply_curve_map(frames, alphas, thumbnail)

    def run_batch(self, small: np.ndarray) -> np.ndarray:
        """The curve estimator: thumbnails (N, 3, h, w) float32 in [0, 1] -> alphas (N, 3, h, w) in [-1, 1]."""
        return self.session.run(["alphas"], {"small": small})[0]

    def for_stream(self, step: Callable[[np.ndarray], np.ndarray] | None = None) -> CurveLutBackend:
        """This model for one more video: the same session, its own curve buffers; ``step`` (a batcher)
        runs its thumbnails instead of :meth:`run_batch`."""
        view = copy.copy(self)
        view.lut = self._new_lut()
        view._gain = type(self._gain)()
        view._step = step or self.run_batch
        return view

    def close(self) -> None:
        self.session = None


def load(weights: Weights, options) -> OnnxRuntimeBackend | CurveLutBackend:
    """The lookup-table fast path where the architecture has one and it may run (CPU, not ``exact``),
    else the frame graph."""
    if weights.architecture.curve_lut and not options.exact and options.device == "cpu":
        curves = weights.companion("curves")
        if curves.is_file():
            return CurveLutBackend(weights, curves, options.threads)
        log.info("no curve estimator graph beside %s: running the exact path", weights.onnx_path())
    return OnnxRuntimeBackend(weights, options.device, options.threads)
