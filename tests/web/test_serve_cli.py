"""``streamer serve``: who may connect. The refusals need neither gradio nor a browser."""

from __future__ import annotations

import base64
import signal
import urllib.error
import urllib.request

import pytest

from tests.conftest import free_port, run_cli
from tests.web.browser import Server


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_binding_beyond_loopback_without_auth_is_refused(host):
    r = run_cli("serve", "--host", host, "--port", str(free_port()), timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--auth USER:PASSWORD" in lines[0] and "--insecure-no-auth" in lines[0], r.stderr


def test_bad_auth_is_one_line():
    r = run_cli("serve", "--auth", "nopassword", "--port", str(free_port()), timeout=60)
    assert r.returncode == 2 and r.stderr.strip() == "streamer: error: --auth takes USER:PASSWORD (both non-empty)"


def test_unknown_model_is_refused_before_serving():
    r = run_cli("serve", "--model", "nope", "--port", str(free_port()), timeout=60)
    assert r.returncode == 2 and "unknown model 'nope'" in r.stderr


def test_auth_protects_the_page_and_the_status(tmp_path):
    pytest.importorskip("gradio", reason="needs gradio (pip install -e '.[web]')")
    server = Server("--host", "0.0.0.0", "--auth", "guard:n1ght")
    try:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(server.url + "streamer/status", timeout=10)
        assert e.value.code == 401
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(server.url + "config", timeout=10)
        assert e.value.code == 401
        req = urllib.request.Request(server.url + "streamer/status",
                                     headers={"Authorization": "Basic " + base64.b64encode(b"guard:n1ght").decode()})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
        assert "password required" in server.log
    finally:
        assert server.stop() == 0


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_the_temporary_folder_is_removed_when_the_server_stops(tmp_path, sig):
    pytest.importorskip("gradio", reason="needs gradio (pip install -e '.[web]')")
    server = Server(env={"TMPDIR": str(tmp_path)})
    try:
        folders = list(tmp_path.glob("streamer-live-*"))
        assert len(folders) == 1 and (folders[0] / "frames").is_dir(), sorted(tmp_path.iterdir())
    finally:
        code = server.stop(sig)
    assert code == 0, server.log
    assert not list(tmp_path.glob("streamer-live-*")), "the server left its temporary folder behind"

