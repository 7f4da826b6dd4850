"""``web.delivery`` directly: a tab's pictures count as delivered once a browser has fetched them in full,
seen by the real middleware on a real server over HTTP."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import free_port
from web.delivery import FILE_ROUTE, Deliveries

fastapi = pytest.importorskip("fastapi", reason="needs fastapi (pip install -e '.[web]')")
uvicorn = pytest.importorskip("uvicorn", reason="needs uvicorn (pip install -e '.[web]')")

from fastapi.responses import PlainTextResponse, StreamingResponse  # noqa: E402

from web.delivery import FetchWatcher  # noqa: E402


def test_a_delivery_is_done_when_every_file_was_fetched() -> None:
    deliveries = Deliveries()
    d = deliveries.expect(["a.jpg", "b.jpg"])
    assert len(deliveries) == 2 and not d.wait(0.05)
    deliveries.fetched("a.jpg")
    deliveries.fetched("unrelated.jpg")
    assert not d.wait(0.05), "done with one of its two files still on its way"
    deliveries.fetched("b.jpg")
    assert d.wait(0.05) and len(deliveries) == 0
    assert deliveries.expect([]).wait(0), "a delivery of nothing is done at once"


def test_a_closed_delivery_is_forgotten_and_a_name_belongs_to_its_newest_delivery() -> None:
    deliveries = Deliveries()
    old = deliveries.expect(["x.jpg"])
    old.close()
    assert len(deliveries) == 0
    first, second = deliveries.expect(["y.jpg"]), deliveries.expect(["y.jpg"])
    first.close()  # must not drop the second tab's wait for the same name
    deliveries.fetched("y.jpg")
    assert second.wait(0.05)


@pytest.fixture
def server() -> Iterator[tuple[str, Deliveries, threading.Event]]:
    """A real uvicorn server with the middleware in front of a file route that sends its body in two
    parts, the second once ``release`` is set."""
    deliveries, release = Deliveries(), threading.Event()
    app = fastapi.FastAPI()

    def parts() -> Iterator[bytes]:
        yield b"first part;"
        release.wait(10)
        yield b"second part"

    @app.get(FILE_ROUTE + "{path:path}")
    def file(path: str) -> StreamingResponse:
        return StreamingResponse(parts(), media_type="image/jpeg")

    @app.get("/other/{name}")
    def other(name: str) -> PlainTextResponse:
        return PlainTextResponse("not a file")

    app.add_middleware(FetchWatcher, deliveries=deliveries)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", deliveries, release
    release.set()
    uv.should_exit = True
    thread.join(10)


def test_the_middleware_sees_a_file_arrive_only_when_its_last_byte_is_sent(server) -> None:
    url, deliveries, release = server
    delivery = deliveries.expect(["frame-7.jpg"])
    with urllib.request.urlopen(f"{url}/other/frame-7.jpg", timeout=10) as r:
        assert r.read() == b"not a file"
    assert not delivery.wait(0.2), "a response outside the file route counted as the picture"
    with urllib.request.urlopen(f"{url}{FILE_ROUTE}/tmp/gradio/abc/frame-7.jpg", timeout=10) as r:
        assert r.read(len(b"first part;")) == b"first part;"
        assert not delivery.wait(0.3), "the picture counted as delivered while it was still being sent"
        release.set()
        assert r.read() == b"second part"
    assert delivery.wait(5.0), "the fetched picture was never counted as delivered"
    assert len(deliveries) == 0
