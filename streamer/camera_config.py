"""The camera list of one process, typed and frozen: ``--source NAME=SPEC`` flags or a TOML file.

A file lists cameras in a ``[[camera]]`` array; the keys above it are the process's, shared by every
camera (one model pool: each model is loaded once for all of them)::

    backend = "auto"            # auto, onnxruntime, torch, tensorrt
    device = "auto"             # auto, cpu, cuda
    threads = 0                 # inference threads, 0: automatic
    open_timeout = 10           # seconds to connect to a stream
    read_timeout = 5            # seconds to wait for stream data
    reconnect_max_delay = 10    # longest wait between reconnect attempts, s
    batch_window_ms = 3         # how long a frame waits for other cameras' to share one model call
    exact = false               # the full-resolution path, not the CPU fast path

    [[camera]]
    name = "porch"                                      # required: letters, digits, - and _
    source = "rtsp://user:password@192.168.1.20/stream1"  # required: any source ``streamer enhance`` takes
    output = "recordings/porch.mp4"                     # optional: an output address (file, folder, ...)
    model = "zero-dce++"                                # optional (default zero-dce++)
    night_gate = "auto"                                 # auto (on for cameras and streams), on, off
    smoothing = 0.8                                     # optional: 0 turns it off
    crf = 23                                            # optional, video outputs: x264 quality
    preset = "veryfast"                                 # optional, video outputs: x264 preset

Everything is checked at load: a missing or unknown key, a wrong type, an unknown model or backend, a
duplicate name or output is a :class:`~streamer.errors.ConfigError` of one line that names the file
and the camera (never the source, which may hold a password).

What follows from a camera's settings is decided here, once, as :class:`~streamer.config.EnhanceConfig`
decides it for one job: the source's kind, the temporal smoothing and the night gate. A camera
always runs live (bounded latency, the oldest frame dropped when behind); a file or ``demo`` given as
a camera's source is played at its own pace, over and over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import backends, catalog
from streamer.config import GATE_CHOICES, gate_on, smoothing_strength
from streamer.errors import ConfigError
from streamer.sinks import X264_PRESETS, SinkOptions, sink_entry
from streamer.sources import SourceKind, source_kind
from streamer.urls import is_url, mask_credentials

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class CameraConfig:
    """One camera: its ``name`` (unique in the list), ``source`` spec, optional ``output`` address and
    the model settings of its own. ``kind`` is decided from ``source`` at construction."""

    name: str
    source: str
    output: str | None = None
    model: str = "zero-dce++"
    night_gate: str = "auto"
    # None: on (the default strength) for single-frame models on video; 0: off.
    smoothing: float | None = None
    crf: int = 18
    preset: str = "veryfast"
    kind: SourceKind = field(init=False)

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ConfigError(f"camera name {self.name!r} must be 1-64 letters, digits, '-' or '_'")
        if not self.source:
            raise ConfigError(f"camera {self.name!r} has an empty source")
        if self.output is not None:
            if not self.output:
                raise ConfigError(f"camera {self.name!r} has an empty output")
            sink_entry(self.output)  # an output no sink takes is refused now, not when the camera is up
        catalog.get(self.model)
        if self.night_gate not in GATE_CHOICES:
            raise ConfigError(f"night_gate must be one of {', '.join(GATE_CHOICES)}, not {self.night_gate!r}")
        if self.smoothing is not None and not 0.0 <= self.smoothing < 1.0:
            raise ConfigError(f"smoothing takes a strength from 0 (off) to below 1, not {self.smoothing}")
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"crf must be from 0 to 51, not {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ConfigError(f"preset must be one of {', '.join(X264_PRESETS)}, not {self.preset!r}")
        object.__setattr__(self, "kind", source_kind(self.source))

    @property
    def shown(self) -> str:
        """The source as it may be shown (password masked)."""
        return mask_credentials(self.source)

    @property
    def gate(self) -> bool:
        """The night gate: ``auto`` is on for sources that are live by nature (cameras, streams) and off
        for files and ``demo`` played as cameras."""
        return gate_on(self.night_gate, self.kind, self.kind.live)

    def smoothing_strength(self, smooths: bool) -> float:
        """The temporal smoothing to run for a model whose record says whether it ``smooths``."""
        return smoothing_strength(self.smoothing, self.kind, smooths)

    @property
    def sink_options(self) -> SinkOptions:
        """How the output is encoded: each frame as it comes (low latency), no audio (a camera's audio, if
        any, is not copied; a file played as a camera would repeat its sound track)."""
        return SinkOptions(crf=self.crf, preset=self.preset, copy_audio=False, low_latency=True)


@dataclass(frozen=True)
class CamerasConfig:
    """Every camera of one process and the settings they share (the model pool's backend, device and
    threads; the network timeouts; the batching window)."""

    cameras: tuple[CameraConfig, ...]
    backend: str = "auto"
    device: str = "auto"
    threads: int = 0
    exact: bool = False
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect_max_delay_s: float = 10.0
    batch_window_ms: float = 3.0

    def __post_init__(self) -> None:
        if not self.cameras:
            raise ConfigError("no camera given: add a [[camera]] with a name and a source")
        seen: dict[str, int] = {}
        outputs: dict[str, str] = {}
        for i, cam in enumerate(self.cameras, 1):
            if cam.name in seen:
                raise ConfigError(f"camera name {cam.name!r} is used twice (cameras {seen[cam.name]} and {i})")
            seen[cam.name] = i
            if cam.output is not None:
                key = cam.output if is_url(cam.output) or cam.output == "-" else str(Path(cam.output).resolve())
                if key in outputs:
                    raise ConfigError(f"cameras {outputs[key]!r} and {cam.name!r} write to the same output "
                                      f"{mask_credentials(cam.output)}")
                outputs[key] = cam.name
        if self.backend not in ("auto", *backends.BACKENDS):
            raise ConfigError(f"unknown backend {self.backend!r}; choose one of: {', '.join(['auto', *backends.BACKENDS])}")
        if self.device not in backends.DEVICES:
            raise ConfigError(f"device must be one of {', '.join(backends.DEVICES)}, not {self.device!r}")
        if self.threads < 0:
            raise ConfigError(f"threads must be 0 (automatic) or positive, not {self.threads}")
        if min(self.open_timeout_s, self.read_timeout_s, self.reconnect_max_delay_s) <= 0:
            raise ConfigError("timeouts and the reconnect delay must be positive")
        if not 0.0 <= self.batch_window_ms <= 100.0:
            raise ConfigError(f"batch_window_ms must be from 0 to 100, not {self.batch_window_ms}")

    def camera(self, name: str) -> CameraConfig:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise ConfigError(f"no camera named {name!r}; the cameras are {', '.join(c.name for c in self.cameras)}")

    @property
    def models(self) -> tuple[str, ...]:
        """The models the cameras run, each once, in the order of the list."""
        return tuple(dict.fromkeys(c.model for c in self.cameras))


# TOML key -> (field, the types it takes, what to call them in an error).
_NUMBER = ((int, float), "a number")
_TOP_KEYS: dict[str, tuple[str, tuple[type, ...], str]] = {
    "backend": ("backend", (str,), "a string"),
    "device": ("device", (str,), "a string"),
    "threads": ("threads", (int,), "a whole number"),
    "exact": ("exact", (bool,), "true or false"),
    "open_timeout": ("open_timeout_s", *_NUMBER),
    "read_timeout": ("read_timeout_s", *_NUMBER),
    "reconnect_max_delay": ("reconnect_max_delay_s", *_NUMBER),
    "batch_window_ms": ("batch_window_ms", *_NUMBER),
}
_CAMERA_KEYS: dict[str, tuple[str, tuple[type, ...], str]] = {
    "name": ("name", (str,), "a string"),
    "source": ("source", (str,), "a string"),
    "output": ("output", (str,), "a string"),
    "model": ("model", (str,), "a string"),
    "night_gate": ("night_gate", (str,), "a string: auto, on or off"),
    "smoothing": ("smoothing", *_NUMBER),
    "crf": ("crf", (int,), "a whole number"),
    "preset": ("preset", (str,), "a string"),
}
_REQUIRED = ("name", "source")


def _values(table: dict[str, Any], keys: dict[str, tuple[str, tuple[type, ...], str]], where: str) -> dict[str, Any]:
    """``table``'s keys as dataclass fields, each checked against its type (bool is not a number here)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in keys:
            raise ConfigError(f"{where}: unknown key {key!r}; the keys are {', '.join(keys)}")
        name, types, what = keys[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ConfigError(f"{where}: {key} must be {what}, not {type(value).__name__}")
        out[name] = float(value) if types == _NUMBER[0] else value
    return out


def parse_cameras(data: dict[str, Any], origin: str = "the camera list") -> CamerasConfig:
    """A :class:`CamerasConfig` from parsed TOML (``origin`` names the file in errors)."""
    top = {k: v for k, v in data.items() if k != "camera"}
    settings = _values(top, _TOP_KEYS, origin)
    tables = data.get("camera")
    if tables is None:
        raise ConfigError(f"{origin}: no [[camera]] listed (each needs a name and a source)")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{origin}: 'camera' must be an array of tables, written [[camera]]")
    cameras = []
    for i, table in enumerate(tables, 1):
        label = f"camera {i}" + (f" ({table['name']!r})" if isinstance(table.get("name"), str) else "")
        where = f"{origin}: {label}"
        for key in _REQUIRED:
            if key not in table:
                raise ConfigError(f"{where} has no {key!r} (each camera needs a name and a source)")
        values = _values(table, _CAMERA_KEYS, where)
        try:
            cameras.append(CameraConfig(**values))
        except ConfigError as e:
            raise ConfigError(f"{where}: {mask_credentials(str(e))}") from None
    try:
        return CamerasConfig(cameras=tuple(cameras), **settings)
    except ConfigError as e:
        raise ConfigError(f"{origin}: {mask_credentials(str(e))}") from None


def load_cameras(path: Path) -> CamerasConfig:
    """The camera list in the TOML file at ``path``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise ConfigError("a camera list file needs Python 3.11 or newer (tomllib)") from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the camera list {path}: {getattr(e, 'strerror', None) or e}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_cameras(data, str(path))


def split_source(value: str) -> tuple[str | None, str]:
    """``NAME=SPEC`` -> (NAME, SPEC); a bare SPEC (no ``=``, or text before it that is no camera name,
    such as ``rtsp://host/live?channel=1`` or ``./a=b.mp4``) -> (None, SPEC)."""
    name, sep, spec = value.partition("=")
    if sep and NAME.fullmatch(name) and spec:
        return name, spec
    return None, value


def cameras_from_sources(values: list[str], **shared: Any) -> CamerasConfig | None:
    """The cameras of repeated ``--source NAME=SPEC`` flags (``shared``: :class:`CamerasConfig`'s other
    fields, and ``model`` for every camera), or ``None`` for one bare SPEC (one source, as before)."""
    split = [split_source(v) for v in values]
    if len(split) == 1 and split[0][0] is None:
        return None
    if any(name is None for name, _ in split):
        raise ConfigError("several --source flags need a name each: --source NAME=SPEC")
    model = shared.pop("model", "zero-dce++")
    try:
        return CamerasConfig(cameras=tuple(CameraConfig(name=n, source=s, model=model) for n, s in split), **shared)
    except ConfigError as e:
        raise ConfigError(f"--source: {mask_credentials(str(e))}") from None
