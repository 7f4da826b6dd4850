"""Triton backend: frames go to a Triton Inference Server over HTTP (``tritonclient[http]``).

The server runs the model repository that ``streamer export MODEL --format triton DIR`` writes
(:mod:`models.export.triton`): a stateless frame graph with a batch axis, so Triton's dynamic
batching can run the frames of several cameras together. Everything per camera stays here in the
client, in the layers :func:`models.backends.wrap` puts around this backend (temporal smoothing,
the night gate). Only single-frame models are served: the burst model keeps each camera's frame
features between frames (:func:`check_servable`).

``options.url`` is the server's HTTP address, ``http://HOST:PORT`` (``https://`` for TLS; a bare
``HOST:PORT`` is taken as ``http``). ``tritonclient`` is imported only when a backend is loaded. Its
HTTP client is not thread-safe, so each thread that enhances gets its own connection.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from models import catalog
from models.catalog import Weights
from models.errors import BackendError, ConfigError

log = logging.getLogger(__name__)

# The device is the server's: ``--device`` does not choose it.
CUDA_MISSING = "the model runs where the Triton server runs: use --device auto"
CONNECT_TIMEOUT_S = 5.0
NETWORK_TIMEOUT_S = 60.0


def available() -> str | None:
    if importlib.util.find_spec("tritonclient") is None or importlib.util.find_spec("geventhttpclient") is None:
        return "tritonclient is not installed (pip install 'streamer[triton]')"
    return None


def cuda() -> bool:
    return False


def model_name(weights: Weights) -> str:
    """The model's name in a Triton repository: its shipped ONNX file's stem (``zero_dce_pp``), a
    name that is safe as a folder and in a URL."""
    return Path(catalog.get(weights.name).onnx).stem


def check_servable(weights: Weights) -> None:
    """``ConfigError`` for a model that cannot run statelessly, one frame per request."""
    if weights.burst != 1:
        raise ConfigError(f"{weights.name} keeps each camera's last {weights.burst} frames' features between frames: "
                          "Triton serves the stateless single-frame models (zero-dce, zero-dce++); run "
                          f"{weights.name} on onnxruntime, torch or tensorrt")


def parse_url(url: str) -> tuple[str, bool]:
    """``http://HOST:PORT`` (or ``https://``, or a bare ``HOST:PORT``) -> (``HOST:PORT``, TLS or not)."""
    text = url if "://" in url else f"http://{url}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"--triton-url takes http://HOST:PORT (the server's HTTP endpoint), not {url!r}")
    if parts.username or parts.password:
        raise ConfigError("--triton-url takes no user:password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 8000)
    except ValueError:
        raise ConfigError(f"--triton-url has a bad port: {url!r}") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}", parts.scheme == "https"


class TritonBackend:
    """One model on a Triton server: ``enhance`` sends the newest frame as a batch of one, (1, H, W, 3)
    uint8 RGB, and returns the server's (H, W, 3) uint8 RGB."""

    name = "triton"
    device = "remote"
    path = "exact"
    burst = 1

    def __init__(self, weights: Weights, url: str) -> None:
        import tritonclient.http as http
        from tritonclient.utils import InferenceServerException

        self._http = http
        self._errors = (InferenceServerException, OSError, TimeoutError)
        self.address, self.ssl = parse_url(url)
        self.url = f"{'https' if self.ssl else 'http'}://{self.address}"
        self.model = model_name(weights)
        self._local = threading.local()
        self._clients: list = []
        self._lock = threading.Lock()
        self._check()
        log.debug("Triton model %s at %s", self.model, self.url)

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._http.InferenceServerClient(self.address, ssl=self.ssl, connection_timeout=CONNECT_TIMEOUT_S,
                                                      network_timeout=NETWORK_TIMEOUT_S)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _check(self) -> None:
        try:
            ready = self._client().is_model_ready(self.model)
        except Exception as e:  # the HTTP stack raises socket, gevent and Triton errors alike
            reason = str(e).strip() or type(e).__name__
            raise BackendError(f"the Triton server at {self.url} does not answer ({reason}): start it, or check "
                               "--triton-url") from e
        if not ready:
            raise BackendError(f"the Triton server at {self.url} has no model {self.model!r} ready: serve the repository "
                               f"that 'streamer export MODEL --format triton DIR' writes")

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) uint8 RGB, oldest first -> the newest frame enhanced, (H, W, 3) uint8 RGB."""
        batch = np.ascontiguousarray(frames[-1:])
        frame = self._http.InferInput("frames", list(batch.shape), "UINT8")
        frame.set_data_from_numpy(batch, binary_data=True)
        wanted = self._http.InferRequestedOutput("enhanced", binary_data=True)
        try:
            result = self._client().infer(self.model, [frame], outputs=[wanted])
        except self._errors as e:
            raise BackendError(f"Triton at {self.url}, model {self.model}: {str(e).strip() or type(e).__name__}") from e
        out = result.as_numpy("enhanced")
        if out is None or out.shape != batch.shape:
            raise BackendError(f"Triton at {self.url}, model {self.model}: answered {None if out is None else out.shape}, "
                               f"expected {batch.shape}")
        return out[0]

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            try:
                client.close()
            except Exception:  # a connection another thread owns may already be gone
                pass


def load(weights: Weights, options) -> TritonBackend:
    """``options.url``: the server (``--triton-url``)."""
    check_servable(weights)
    if not options.url:
        raise ConfigError("--backend triton needs the server's address: --triton-url http://HOST:PORT")
    return TritonBackend(weights, options.url)
