"""Inference backends: one small interface, one module per backend, an explicit dict.

Every backend runs a shipped model (:mod:`models.catalog`) on frames:
``enhance(frames)`` takes (T, H, W, 3) uint8 RGB, oldest first, and returns the enhanced newest
frame as (H, W, 3) uint8 RGB. Backend modules import their runtime (onnxruntime, torch,
tensorrt) only when loaded, so listing what is available is instant.

A backend module implements ``available() -> str | None`` (why it cannot run here),
``cuda() -> bool`` (whether it can run on an NVIDIA GPU here) and ``load(weights, options)``.
:func:`open_backend` decides everything once: which backend (``auto``: the fastest available),
which device (``options.device`` resolved to ``cpu`` or ``cuda`` before ``load`` sees it), and
whether temporal smoothing wraps it (the architecture's record says whether it applies).

Optional capabilities are small protocols, checked with ``isinstance``: :class:`Pipelined`
(``submit``/``fetch``/``drain``: upload frame N+1 while frame N runs), :class:`CurveMapped`
(a curve model that can hand over its low-resolution curve map, which smoothing uses) and
:class:`Shareable` (one loaded model, many videos: each gets its own state, the sessions are shared,
and the stateless heavy step can run once for several of them).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

from models.backends.output_layer import output_layer
from models.catalog import Weights
from models.errors import BackendError, ConfigError
from models.runtime.colour import ColourConfig
from models.runtime.deblock import DeblockConfig
from models.runtime.gate import GateConfig
from models.runtime.temporal import SmoothingConfig
from models.runtime.temporal_denoise import TemporalDenoiseConfig

# name -> module implementing ``available()``, ``cuda()`` and ``load(weights, options)``.
BACKENDS: dict[str, str] = {
    "tensorrt": "models.backends.tensorrt_backend",
    "onnxruntime": "models.backends.onnxruntime_backend",
    "torch": "models.backends.torch_backend",
    "triton": "models.backends.triton_backend",
}

# ``auto`` takes the first available, fastest first. On CPUs ONNX Runtime beats eager torch
# (benchmarks/bench_backends.py measures both); TensorRT is the fastest where it exists. A remote
# backend (triton) needs a server's address, so it runs only when named.
AUTO_ORDER: tuple[str, ...] = ("tensorrt", "onnxruntime", "torch")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class BackendOptions:
    """How to run: ``device`` is ``auto``, ``cpu`` or ``cuda`` (a backend's ``load`` only ever sees
    ``cpu`` or ``cuda``: :func:`open_backend` decides); ``threads`` 0 lets the runtime pick;
    ``exact`` runs the network at full resolution even where a faster path exists on CPUs: every
    curve iteration instead of the lookup table (Zero-DCE++, :mod:`models.runtime.curve_lut`), the
    whole frame instead of the working size (the burst model, :mod:`models.backends.resized`)."""

    device: str = "auto"
    threads: int = 0
    exact: bool = False
    # GPU only: ``auto`` is FP16 on CUDA (FP32 on CPUs); ``compile`` runs torch.compile with CUDA graphs.
    precision: str = "auto"
    compile: bool = False
    # Video from a single-frame model: smooth its output brightness over time (models.runtime.temporal).
    smoothing: SmoothingConfig | None = None
    # Video: enhance only while the scene is dark, with hysteresis and a fade (models.runtime.gate);
    # ``frame_interval_s`` is the video's frame time, which the fade is measured in.
    gate: GateConfig | None = None
    frame_interval_s: float = 1.0 / 30.0
    # A remote backend's server (triton: its HTTP address, ``--triton-url``).
    url: str | None = None
    # Video: smooth the input's codec block steps in the output (models.runtime.deblock); None: off.
    deblock: DeblockConfig | None = None
    # Video from a single-frame model that restores its input: average still noise over the frames
    # (models.runtime.temporal_denoise); None: off.
    denoise: TemporalDenoiseConfig | None = None
    # A network whose architecture takes its colour from the input (models.runtime.colour); None: the
    # network's own colour.
    colour: ColourConfig | None = ColourConfig()

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(f"device must be auto, cpu or cuda, not {self.device!r}")
        if self.precision not in ("auto", "fp16", "fp32"):
            raise ConfigError(f"precision must be auto, fp16 or fp32, not {self.precision!r}")
        if self.threads < 0:
            raise ConfigError("threads must be 0 (automatic) or positive")
        if self.frame_interval_s <= 0:
            raise ConfigError("the frame interval must be positive")


class Backend(Protocol):
    """A loaded model ready to enhance frames. ``path`` names how it runs (``exact``, or ``lut``
    for the lookup-table fast path)."""

    name: str
    device: str
    burst: int
    path: str

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) uint8 RGB, oldest first -> (H, W, 3) uint8 RGB."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Pipelined(Protocol):
    """A backend that can take frame N+1 while frame N runs (TensorRT: upload on a copy stream)."""

    def submit(self, frames: np.ndarray) -> None:
        """Queue (T, H, W, 3) uint8 RGB (copied: the caller's buffer may move on)."""
        ...

    def fetch(self) -> np.ndarray:
        """The oldest submitted burst's result, (H, W, 3) uint8 RGB."""
        ...

    def drain(self) -> list[np.ndarray]:
        """The results of everything still submitted, oldest first."""
        ...


@runtime_checkable
class CurveMapped(Protocol):
    """A curve model that runs in two steps, so smoothing can look at (and change) the curve map.

    ``curve_map(frames)`` -> (alphas (C, h, w) float32 in [-1, 1], thumbnail (3, h, w) float32 in
    [0, 1]: the newest frame at the map's size); ``apply_curve_map(frames, alphas, thumbnail, gain)`` ->
    the enhanced newest frame, (H, W, 3) uint8 RGB (``thumbnail``: the one ``curve_map`` gave;
    ``gain``: None, or a (1, h, w) gain map at the map's size multiplied onto the result, upsampled);
    ``iterations``: how often the curve is applied; ``curve_rule``: how
    (:data:`models.nets.zero_dce.CURVE_RULES`).
    """

    iterations: int
    curve_rule: str

    def curve_map(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def apply_curve_map(self, frames: np.ndarray, alphas: np.ndarray, thumbnail: np.ndarray,
                        gain: np.ndarray | None = None) -> np.ndarray: ...


@runtime_checkable
class Shareable(Protocol):
    """A loaded model that several videos (cameras) can run on at once in one process.

    ``for_stream(step)`` is a backend for one more video on the same loaded weights: it shares the
    runtime sessions and has its own per-video state and buffers (the burst model's feature ring, the
    curve table's work buffers); closing it leaves the shared model loaded. ``run_batch(x)`` is the
    stateless heavy step, x (N, ...) float32 -> (N, ...) float32 (Zero-DCE++: the curve estimator,
    thumbnails (N, 3, h, w) in [0, 1] -> curve maps (N, 3, h, w) in [-1, 1]); ``batchable`` says
    whether N may exceed 1 (the graph has a dynamic batch axis), ``None`` where there is no such step.
    A stream built with ``step`` calls ``step(x)`` (N = 1) instead of ``run_batch``: a batcher that runs
    the inputs of several streams together.
    """

    batchable: bool | None

    def run_batch(self, x: np.ndarray) -> np.ndarray: ...

    def for_stream(self, step: Callable[[np.ndarray], np.ndarray] | None = None) -> Backend: ...


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
    return bool(_module(name).cuda())


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


def resolve_device(name: str, device: str) -> str:
    """``cpu`` or ``cuda``: where backend ``name`` (available here) runs for the asked ``device``."""
    module = _module(name)
    if device == "cpu":
        if name == "tensorrt":
            raise BackendError("backend tensorrt runs on the GPU only; use --device auto or cuda")
        return "cpu"
    if module.cuda():
        return "cuda"
    if device == "cuda":
        raise BackendError(f"backend {name} cannot run on CUDA here: {module.CUDA_MISSING}")
    return "cpu"


def load(name: str, weights: Weights, options: BackendOptions = BackendOptions()) -> Backend:
    """The model alone on backend ``name`` (or ``auto``), on the device decided here: no per-video
    layers (working size, smoothing, gate), for a caller that shares it between videos and adds
    them per video with :func:`wrap`."""
    if weights.chain:  # each stage loaded here, on the same backend
        from models.backends.chained import load_chain

        return load_chain(name, weights, options)
    chosen = resolve(name, options.device)
    return _module(chosen).load(weights, replace(options, device=resolve_device(chosen, options.device),
                                                 smoothing=None, gate=None))


def open_backend(name: str, weights: Weights, options: BackendOptions = BackendOptions()) -> Backend:
    """Load ``weights`` on backend ``name`` (or ``auto``), on the device decided here, smoothed over
    time when ``options.smoothing`` is on (a ``ConfigError`` for a model it does not apply to), behind
    the night gate when ``options.gate`` is set."""
    smoothing = options.smoothing if options.smoothing is not None and options.smoothing.enabled else None
    if smoothing is not None and not weights.architecture.smoothing:
        raise ConfigError(f"{weights.name} fuses {weights.burst} frames itself: temporal smoothing is for single-frame models")
    backend = load(name, weights, options)
    try:
        return wrap(backend, weights, options)
    except ConfigError:
        backend.close()
        raise


def layers(backend: Backend) -> list[Backend]:
    """A wrapped backend and every layer under it (each layer's ``inner``), outermost first: the last
    is the loaded model itself (a chain: its :class:`~models.backends.chained.ChainedBackend`)."""
    out = [backend]
    while hasattr(out[-1], "inner"):
        out.append(out[-1].inner)
    return out


def wrap(backend: Backend, weights: Weights, options: BackendOptions) -> Backend:
    """The per-video layers around a loaded ``backend`` of ``weights``, innermost first: the input's
    colour where the architecture takes it and ``options.colour`` is set; the greyscale
    rule (a grey input frame gives a grey output) unless the network keeps grey by itself or
    translates; on a CPU and unless
    ``options.exact``, the architecture's working size (:mod:`models.backends.resized`); an exposed
    frame handed back as it came in where the model has a strength (:mod:`models.backends.exposed`); temporal
    smoothing when ``options.smoothing`` is on (a ``ConfigError`` for a model it does not apply to);
    the temporal denoiser when ``options.denoise`` is set, for a single-frame model that restores
    its input (not a burst model, which fuses frames itself, nor a translation); the deblocking
    filter unless ``options.deblock`` is ``None``; then the night gate when ``options.gate`` is set.
    Each wrapped backend keeps the state of one video. A chain of models
    (:attr:`models.catalog.Weights.chain`) is wrapped as a whole."""
    smoothing = options.smoothing if options.smoothing is not None and options.smoothing.enabled else None
    if smoothing is not None and not weights.architecture.smoothing:
        raise ConfigError(f"{weights.name} fuses {weights.burst} frames itself: temporal smoothing is for single-frame models")
    strength = weights.strength()
    # Innermost: at the working size, where they cost least.
    if weights.architecture.colour_from_input and options.colour is not None:
        from models.backends.coloured import ColourKeptBackend

        backend = output_layer(ColourKeptBackend, backend, options.colour, strength)
    if not (weights.architecture.keeps_grey or weights.architecture.translation):
        from models.backends.grey import GreyKeptBackend

        backend = output_layer(GreyKeptBackend, backend)
    # A chain's stages have their working sizes already (models.backends.chained).
    if (weights.architecture.max_pixels is not None and not weights.chain and backend.device == "cpu"
            and not options.exact):
        from models.backends.resized import ResizedBackend

        backend = ResizedBackend(backend, weights.architecture.max_pixels, strength)
    if strength is not None:
        from models.backends.exposed import ExposedKeptBackend

        backend = output_layer(ExposedKeptBackend, backend, strength)
    if smoothing is not None:
        from models.backends.stabilized import stabilize

        backend = stabilize(backend, smoothing)
    if options.denoise is not None and weights.architecture.temporal_denoise:
        from models.backends.denoised import TemporallyDenoisedBackend

        backend = output_layer(TemporallyDenoisedBackend, backend, options.denoise)
    if options.deblock is not None:
        from models.backends.deblocked import DeblockedBackend

        backend = output_layer(DeblockedBackend, backend, options.deblock)
    if options.gate is not None:
        from models.backends.gated import GatedBackend

        backend = GatedBackend(backend, options.gate, options.frame_interval_s)
    return backend
