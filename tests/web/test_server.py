"""``web.server`` directly: the real app on a real port, asked over HTTP; one model pool per server."""

from __future__ import annotations

import base64
import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from streamer.camera_config import CameraConfig, CamerasConfig
from streamer.errors import ConfigError
from streamer.serve import ServeConfig
from tests.conftest import free_port

pytest.importorskip("gradio", reason="needs gradio (pip install -e '.[web]')")

from web.server import LiveServices, started  # noqa: E402


def get(url: str, login: tuple[str, str] | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": "Basic " + base64.b64encode(":".join(login).encode()).decode()} if login else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def channels(cfg: ServeConfig, login: tuple[str, str] | None = None) -> list[dict]:
    status, body = get(cfg.url + "streamer/status", login)
    assert status == 200, body
    return json.loads(body)["channels"]


def test_the_page_and_the_status_of_the_running_pipelines(tmp_path: Path) -> None:
    cfg = ServeConfig(port=free_port())
    with started(cfg, tmp_path) as running:
        status, page = get(cfg.url)
        assert status == 200 and b"streamer: night video, enhanced" in page
        assert channels(cfg) == []
        url = f"rtsp://user:secret@127.0.0.1:{free_port()}/x"  # nobody listens there
        subs = [running.services.broadcaster.subscribe(spec) for spec in ("demo", url)]
        deadline = time.monotonic() + 30
        while subs[0].next_frame(timeout=1.0) is None:
            assert time.monotonic() < deadline, "the demo pipeline sent no frame"
        shown = {c["source"]: c for c in channels(cfg)}
        assert shown["demo"]["running"] and shown["demo"]["viewers"] == 1 and shown["demo"]["frames"] > 0
        masked = url.replace("user:secret@", "user:***@")
        assert masked in shown, shown.keys()
        assert b"secret" not in get(cfg.url + "streamer/status")[1]
        for sub in subs:
            sub.close()


def test_configured_cameras_run_unwatched_on_one_model_and_are_watched_by_name(tmp_path: Path) -> None:
    cameras = CamerasConfig(cameras=(CameraConfig("porch", "demo"), CameraConfig("yard", "demo", model="zero-dce")))
    cfg = ServeConfig(port=free_port(), cameras=cameras)
    with started(cfg, tmp_path) as running:
        deadline = time.monotonic() + 60
        while min(c["frames"] for c in channels(cfg)) < 3:  # nobody watches, and they run
            assert time.monotonic() < deadline, channels(cfg)
            time.sleep(0.2)
        shown = {c["name"]: c for c in channels(cfg)}
        assert set(shown) == {"porch", "yard"} and shown["yard"]["model"] == "zero-dce"
        assert shown["porch"]["viewers"] == 0 and shown["porch"]["running"] and shown["porch"]["batched"]
        sub = running.services.broadcaster.subscribe("yard")
        assert sub.channel is running.services.cameras.get("yard")
        while sub.next_frame(timeout=1.0) is None:
            assert time.monotonic() < deadline, "the yard camera sent no frame to its viewer"
        assert {c["name"]: c["viewers"] for c in channels(cfg)} == {"porch": 0, "yard": 1}
        sub.close()
        time.sleep(0.5)
        assert all(c["running"] for c in channels(cfg)), "a camera stopped when its viewer left"
        assert running.services.pool.loads == 2  # one per model, whoever runs it
    assert not any(c.running for c in running.services.cameras.channels.values())


def test_the_status_needs_the_login_when_one_is_set(tmp_path: Path) -> None:
    cfg = ServeConfig(port=free_port(), auth=("guard", "n1ght"))
    with started(cfg, tmp_path):
        assert get(cfg.url + "streamer/status")[0] == 401
        assert get(cfg.url + "streamer/status", ("guard", "wrong"))[0] == 401
        assert channels(cfg, ("guard", "n1ght")) == []


def test_one_model_pool_serves_the_live_view_and_the_webcam() -> None:
    services = LiveServices(ServeConfig(port=free_port()))
    try:
        assert services.broadcaster.pool is services.pool and services.webcams.pool is services.pool
    finally:
        services.close()


# uvicorn ends its thread with SystemExit when it cannot bind; that exit is what this test is about.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_server_that_cannot_listen_is_a_config_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        cfg = ServeConfig(port=taken.getsockname()[1])
        with pytest.raises(ConfigError, match="could not start"), started(cfg, tmp_path):
            pass
