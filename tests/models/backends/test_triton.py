"""Triton: the exported repository, and the triton backend against a real Triton server on loopback.

The server is PyTriton (the tritonserver binary it ships, serving the exported ``model.onnx`` through
ONNX Runtime on the CPU, ``triton_server.py``), run from its own venv ``.venv-pytriton`` because it
needs numpy<2; ``.ci/run`` makes that venv. Tests that need it skip and say so where it is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from models import backends, catalog
from models.runtime.gate import GateConfig
from models.runtime.temporal import SmoothingConfig
from streamer.config import EnhanceConfig
from streamer.errors import ConfigError
from tests.conftest import REPO, dark_frames, decode, free_port, run_cli, write_clip

PYTRITON_PYTHON = Path(os.environ.get("STREAMER_PYTRITON_PYTHON", REPO / ".venv-pytriton" / "bin" / "python"))
SERVER = Path(__file__).with_name("triton_server.py")
MODEL = "zero_dce_pp"


def _tritonclient():
    return pytest.importorskip("tritonclient.http", reason="tritonclient is not installed (pip install 'streamer[triton]')")


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Triton model repository with zero-dce++, written by ``streamer export``."""
    pytest.importorskip("torch", reason="export needs torch")
    repo = tmp_path_factory.mktemp("triton") / "repo"
    result = run_cli("export", "zero-dce++", "--format", "triton", str(repo))
    assert result.returncode == 0, result.stderr
    return repo


@pytest.fixture(scope="module")
def server(repository: Path, tmp_path_factory: pytest.TempPathFactory):
    """(URL, batch log) of a Triton server on loopback serving ``repository``."""
    http = _tritonclient()
    if not PYTRITON_PYTHON.is_file():
        pytest.skip(f"PyTriton's venv is missing ({PYTRITON_PYTHON}; it needs numpy<2): python3 -m venv .venv-pytriton "
                    "&& .venv-pytriton/bin/pip install nvidia-pytriton onnxruntime (.ci/run does this)")
    ports = [free_port() for _ in range(3)]
    log_path = tmp_path_factory.mktemp("triton_log") / "server.log"
    batches = log_path.with_name("batches.txt")
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(PYTRITON_PYTHON), str(SERVER), str(repository), MODEL, "--http-port", str(ports[0]),
                                 "--grpc-port", str(ports[1]), "--metrics-port", str(ports[2]), "--batch-log", str(batches)],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{ports[0]}"
    try:
        client = http.InferenceServerClient(f"127.0.0.1:{ports[0]}")
        deadline = time.monotonic() + 120
        while True:
            try:
                if client.is_model_ready(MODEL):
                    break
            except Exception:  # not listening yet
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the PyTriton server did not come up:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        client.close()
        yield url, batches
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_export_writes_a_batched_repository(repository: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    config = (repository / MODEL / "config.pbtxt").read_text()
    for line in (f'name: "{MODEL}"', 'backend: "onnxruntime"', "max_batch_size: 8", "data_type: TYPE_UINT8",
                 "dims: [ -1, -1, 3 ]", "dynamic_batching {"):
        assert line in config
    session = ort.InferenceSession(str(repository / MODEL / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    frames = np.stack(dark_frames(2, 160, 96))
    batch = session.run(["enhanced"], {"frames": frames})[0]
    assert batch.shape == (2, 96, 160, 3) and batch.dtype == np.uint8
    # Each frame of a batch is enhanced on its own, as the shipped frame graph does it.
    exact = backends.open_backend("onnxruntime", catalog.get("zero-dce++"), backends.BackendOptions(exact=True))
    for frame, got in zip(frames, batch, strict=True):
        assert np.abs(got.astype(int) - exact.enhance(frame[None]).astype(int)).max() <= 1


def test_the_burst_model_is_refused_in_one_line(tmp_path: Path) -> None:
    result = run_cli("export", "burst", "--format", "triton", str(tmp_path / "repo"))
    assert result.returncode == 2
    assert "Triton serves the stateless single-frame models" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "repo").exists()


def test_triton_url_goes_with_the_triton_backend() -> None:
    with pytest.raises(ConfigError, match="--backend triton"):
        EnhanceConfig(input="demo", triton_url="http://127.0.0.1:8000")
    with pytest.raises(ConfigError, match="--triton-url"):
        EnhanceConfig(input="demo", backend="triton")


def test_a_triton_url_nobody_answers_is_one_line(tmp_path: Path) -> None:
    _tritonclient()
    clip = write_clip(tmp_path / "in.mp4", dark_frames(3, 64, 48), audio=False)
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli("enhance", str(clip.path), "-o", str(tmp_path / "out.mp4"), "--backend", "triton",
                     "--triton-url", url, timeout=60)
    assert result.returncode == 6
    assert f"the Triton server at {url} does not answer" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.mp4").exists()


def test_triton_matches_onnxruntime_with_the_per_camera_layers(server) -> None:
    url, _ = server
    weights = catalog.get("zero-dce++")
    # Smoothing and the night gate are the client's: the same layers around either backend.
    layers = dict(smoothing=SmoothingConfig(strength=0.8), gate=GateConfig())
    remote = backends.open_backend("triton", weights, backends.BackendOptions(url=url, **layers))
    local = backends.open_backend("onnxruntime", weights, backends.BackendOptions(exact=True, **layers))
    assert remote.name == "triton" and remote.device == "remote"
    try:
        for frame in dark_frames(4, 160, 96, seed=3):
            got, want = remote.enhance(frame[None]), local.enhance(frame[None])
            assert got.shape == want.shape == (96, 160, 3)
            assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    finally:
        remote.close()
        local.close()


def test_two_cameras_requests_run_as_one_batch(server) -> None:
    url, batches = server
    weights = catalog.get("zero-dce++")
    cameras = [backends.open_backend("triton", weights, backends.BackendOptions(url=url)) for _ in range(2)]
    frames = dark_frames(2, 160, 96, seed=5)
    before = batches.read_text().split() if batches.exists() else []
    start = threading.Barrier(2)
    out: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        start.wait()
        out[i] = cameras[i].enhance(frames[i][None])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for camera in cameras:
        camera.close()
    assert batches.read_text().split()[len(before):] == ["2"]
    # Each camera got its own frame back, not the other's.
    assert np.abs(out[0].astype(int) - out[1].astype(int)).mean() > 1


def test_enhance_a_clip_on_triton(server, tmp_path: Path) -> None:
    url, _ = server
    clip = write_clip(tmp_path / "in.mp4", dark_frames(5, 160, 96), audio=False)
    out = tmp_path / "out.mp4"
    result = run_cli("enhance", str(clip.path), "-o", str(out), "--backend", "triton", "--triton-url", url, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "with zero-dce++ on triton/remote" in result.stderr
    frames, _ = decode(out)
    assert len(frames) == 5
