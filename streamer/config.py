"""The settings of an ``enhance`` job, typed and frozen; each field is one CLI flag.

The facts about the job that follow from the flags are decided here, once: the kind of the input
(:attr:`EnhanceConfig.kind`), the output address when none was given and the kind of output
(:attr:`EnhanceConfig.sink`, its address checked before anything opens), live or file mode,
whether the input is played at its own frame rate, and the temporal smoothing. Code further down
takes them from the config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from models.runtime.temporal import SmoothingConfig
from streamer.errors import ConfigError
from streamer.sinks import SinkEntry, sink_entry
from streamer.sources import SourceKind, source_kind
from streamer.urls import mask_credentials

MODES = ("auto", "file", "live")
# The sink of folder outputs: where --ray writes its videos.
FOLDER_SINK = "streamer.sinks.folder"
GATE_CHOICES = ("auto", "on", "off")
# Temporal smoothing of single-frame models on video: weight of the past in the brightness average.
DEFAULT_SMOOTHING = SmoothingConfig().strength


@dataclass(frozen=True)
class EnhanceConfig:
    """``input`` is a source spec, ``output`` an address (a file, a folder, ``rtsp://...``, ``-``;
    ``None``: :func:`default_output`)."""

    input: str
    output: str | None = None
    model: str = "zero-dce++"
    backend: str = "auto"
    device: str = "auto"
    threads: int = 0
    exact: bool = False
    weights: Path | None = None
    mode: str = "auto"
    duration_s: float | None = None
    crf: int = 18
    preset: str = "veryfast"
    copy_audio: bool = True
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect: bool = True
    reconnect_max_delay_s: float = 10.0
    # Between full reopens, a TCP connect to the camera's (or publish server's) port this often; 0: off.
    reconnect_probe_interval_s: float = 0.25
    wait_for_source: bool = False
    # None: on (DEFAULT_SMOOTHING) for video, off for images; 0: off.
    smoothing: float | None = None
    # auto: on for live sources, off for files; on; off.
    night_gate: str = "auto"
    # Smooth the input's codec block steps in the output (models.runtime.deblock).
    deblock: bool = True
    # Single-frame models on video: average still noise over the frames (models.runtime.temporal_denoise).
    temporal_denoise: bool = True
    # A network that takes its colour from the input (the burst model) does (models.runtime.colour).
    input_colour: bool = True
    # --backend triton: the server's HTTP address.
    triton_url: str | None = None
    # --ray [ADDRESS]: the videos of the input folder as one Ray task each; ``ray_address`` None starts
    # a local Ray instance.
    ray: bool = False
    ray_address: str | None = None
    # Decided from ``input`` at construction (source_kind), never again further down.
    kind: SourceKind = field(init=False)
    # Decided from ``output`` at construction (the sinks' table), never again further down.
    sink: SinkEntry = field(init=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"--mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.open_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ConfigError("timeouts must be positive")
        if self.weights is not None and self.weights.suffix not in (".onnx", ".pt"):
            raise ConfigError(f"--weights takes a .onnx or .pt file, not {self.weights}")
        if self.night_gate not in GATE_CHOICES:
            raise ConfigError(f"--night-gate must be one of {', '.join(GATE_CHOICES)}, not {self.night_gate!r}")
        if self.smoothing is not None and not 0.0 <= self.smoothing < 1.0:
            raise ConfigError(f"--smoothing takes a strength from 0 (off) to below 1, not {self.smoothing}")
        if self.triton_url is not None and self.backend != "triton":
            raise ConfigError("--triton-url is the server of --backend triton: add --backend triton")
        if self.backend == "triton" and not self.triton_url:
            raise ConfigError("--backend triton needs the server's address: --triton-url http://HOST:PORT")
        if self.backend == "triton" and self.weights is not None:
            raise ConfigError("--weights does not apply to --backend triton: the server runs the model of its repository")
        if self.ray_address is not None and not self.ray:
            raise ConfigError("a Ray address needs --ray")
        object.__setattr__(self, "kind", source_kind(self.input))
        if self.ray and self.kind is not SourceKind.IMAGES:
            what = {SourceKind.VIDEO: "a video file", SourceKind.IMAGE: "an image",
                    SourceKind.DEMO: "the built-in scene"}.get(self.kind, "a live source")
            raise ConfigError(f"--ray spreads the videos of a folder over a Ray cluster, one task per file; "
                              f"{mask_credentials(self.input)} is {what}: give a folder of videos")
        if self.output is None:
            object.__setattr__(self, "output", default_output(self.input, self.kind))
        object.__setattr__(self, "sink", sink_entry(self.output))
        if self.ray and self.sink.module != FOLDER_SINK:
            raise ConfigError(f"--ray writes one video per input file into a folder: -o takes a folder, not "
                              f"{mask_credentials(self.output)}")
        if self.sink.live:
            if self.mode == "file":
                raise ConfigError(f"-o {mask_credentials(self.output)}: {self.sink.name} is live (bounded latency, "
                                  "the oldest frames dropped when behind); --mode file does not apply: write a file to "
                                  "keep every frame")
            if self.kind.still:
                raise ConfigError("images in, video out is not supported: give an image file or a folder as output")

    def smoothing_strength(self, smooths: bool) -> float:
        """The temporal smoothing to run (:func:`smoothing_strength`)."""
        return smoothing_strength(self.smoothing, self.kind, smooths)

    @property
    def gate(self) -> bool:
        """The night gate (:func:`gate_on`)."""
        return gate_on(self.night_gate, self.kind, self.live)

    @property
    def live(self) -> bool:
        """Live mode unless the user forced one: sources that are live by nature run live, and so does
        every job that publishes a stream (an RTSP server, a pipe)."""
        if self.sink.live:
            return True
        return self.kind.live if self.mode == "auto" else self.mode == "live"

    @property
    def paced(self) -> bool:
        """A file (or the demo) published as a stream is played at its own frame rate, as a camera
        would send it: a receiver expects a live stream in real time, not a file's worth of frames
        in a burst (which the live queues would mostly drop anyway)."""
        return self.sink.live and not self.kind.live


def smoothing_strength(asked: float | None, kind: SourceKind, smooths: bool) -> float:
    """The temporal smoothing to run: ``asked`` when given; by default on for video and off for images,
    and off for models it does not apply to (``smooths``: the architecture's record; the burst model
    fuses frames itself)."""
    if asked is not None:
        return asked
    if not smooths or kind.still:
        return 0.0
    return DEFAULT_SMOOTHING


def gate_on(night_gate: str, kind: SourceKind, live: bool) -> bool:
    """The night gate (enhance only while the scene is dark): ``auto`` is on for live jobs (a camera that
    runs all day) and off for files; ``on``/``off`` force it; never for images."""
    if kind.still:
        return False
    return live if night_gate == "auto" else night_gate == "on"


def default_output(spec: str, kind: SourceKind) -> str:
    """Where ``streamer enhance SPEC`` writes when ``-o`` is not given."""
    if kind is SourceKind.DEMO:
        return "demo_enhanced.mp4"
    if kind.live:
        return "capture_enhanced.mp4"
    p = Path(os.path.normpath(spec))
    if p.name in ("", ".", ".."):  # '.' or 'a/..': a folder has a name only once made absolute
        p = Path(os.path.abspath(spec))
    if kind is SourceKind.IMAGES:
        return str(p.with_name(p.name + "_enhanced"))
    if kind is SourceKind.IMAGE:
        return str(p.with_name(f"{p.stem}_enhanced{p.suffix}"))
    return str(p.with_name(f"{p.stem}_enhanced.mp4"))
