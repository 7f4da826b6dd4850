"""The page in a real browser (Debian's chromium via Playwright) against ``streamer serve``."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.conftest import dark_frames, free_port, luma
from tests.web.browser import Server, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_server(chromium, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve-tmp")
    server = Server(env={"TMPDIR": str(tmp)})
    yield server
    jpegs = list(tmp.glob("streamer-live-*/frames/*.jpg"))
    assert server.stop() == 0, server.log
    assert jpegs, "the live view kept no JPEGs in its temporary folder"
    assert not list(tmp.glob("streamer-live-*")), "the server left its temporary folder behind"


@pytest.fixture(scope="module")
def still_server(chromium, tmp_path_factory):
    """A dark still image shown live: the same input every frame, so only the model changes the output."""
    path = tmp_path_factory.mktemp("still") / "dark.png"
    cv2.imwrite(str(path), cv2.cvtColor(dark_frames(1, 640, 360)[0], cv2.COLOR_RGB2BGR))
    server = Server("--source", str(path))
    yield server
    server.stop()


def open_page(chromium, url: str):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    return page


def pane_src(page, pane: str) -> str | None:
    img = page.locator(f"#{pane} img")
    return img.first.get_attribute("src") if img.count() else None


READ_IMG_JS = """(img) => {
  if (!img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  c.getContext('2d').drawImage(img, 0, 0);
  return [img.src, c.toDataURL('image/png')];
}"""


def pane_pixels(page, pane: str, after_src: str | None = None) -> tuple[str, np.ndarray]:
    """The image a pane shows (newer than ``after_src`` if given), read from the page: (src, (H, W, 3) uint8 RGB)."""

    def shown():
        img = page.locator(f"#{pane} img")
        if not img.count():
            return None
        got = img.first.evaluate(READ_IMG_JS)
        return got if got and got[0] != after_src else None

    src, data_url = wait_for(shown, 30, f"a new image in #{pane}")
    png = base64.b64decode(data_url.split(",", 1)[1])
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None, f"#{pane} did not show an image"
    return src, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def stats(page) -> str:
    return page.locator("#stats").inner_text()


def test_both_panes_show_frames_that_change(demo_server, chromium):
    page = open_page(chromium, demo_server.url)
    try:
        wait_for(lambda: pane_src(page, "before") and pane_src(page, "after"), 60, "frames in both panes")
        shots1 = [page.locator(f"#{p}").screenshot() for p in ("before", "after")]
        time.sleep(1.5)
        shots2 = [page.locator(f"#{p}").screenshot() for p in ("before", "after")]
        assert shots1[0] != shots2[0] and shots1[1] != shots2[1], "the panes did not change over 1.5 s"
        _, before = pane_pixels(page, "before")
        _, after = pane_pixels(page, "after")
        assert before.shape == after.shape == (360, 640, 3)
        assert after.mean() > 2 * before.mean(), "the after pane is not brighter than the night input"
        assert re.search(r"[\d.]+ fps · added latency \d+ ms · dropped \d+ · zero-dce\+\+ on \w+", stats(page))
    finally:
        page.close()


def test_switching_the_model_changes_the_picture(still_server, chromium):
    page = open_page(chromium, still_server.url)
    try:
        src, a1 = pane_pixels(page, "after")
        time.sleep(1.0)
        # Gradio's cache folder of a file is the hash of its content: a still input gives the same bytes each frame.
        assert pane_src(page, "after").rsplit("/", 1)[0] == src.rsplit("/", 1)[0], \
            "a still input should give the same output each frame"
        page.locator("#model input").click()
        page.get_by_role("option", name="zero-dce", exact=True).click()
        wait_for(lambda: "zero-dce on" in stats(page), 60, "the stats line to name zero-dce")
        diff = 0.0
        deadline = time.monotonic() + 30
        while diff <= 2.0 and time.monotonic() < deadline:  # frames made before the switch may still be on their way
            src, b = pane_pixels(page, "after", src)
            diff = float(np.abs(b.astype(int) - a1).mean())
        assert diff > 2.0, "switching the model did not change the picture"
        assert [line for line in still_server.log.splitlines() if "started the pipeline" in line] == \
            [line for line in still_server.log.splitlines() if "started the pipeline" in line][:1], "the stream restarted"
    finally:
        page.close()


def test_strength_and_split_view_act_live(still_server, chromium):
    page = open_page(chromium, still_server.url)
    try:
        src, before = pane_pixels(page, "before")
        src, after = pane_pixels(page, "after")
        assert after.mean() > 2 * before.mean()
        page.locator("#strength input[type=number]").fill("0")
        page.locator("#strength input[type=number]").press("Enter")

        def newest_close_to_input(crop: int | None = None, timeout: float = 30.0) -> float:
            """Mean |after - before| of newer pictures until one matches (frames made before the change,
            or by a pipeline that a previous test left lingering, may still be on their way)."""
            nonlocal src
            diff, deadline = 255.0, time.monotonic() + timeout
            while diff >= 3.0 and time.monotonic() < deadline:
                src, shown = pane_pixels(page, "after", src)
                diff = float(np.abs(shown[:, :crop].astype(int) - before[:, :crop]).mean())
            return diff

        assert newest_close_to_input() < 3.0, "strength 0 should show the input"
        page.locator("#strength input[type=number]").fill("1")
        page.locator("#strength input[type=number]").press("Enter")
        page.get_by_label("split").check()
        wait_for(lambda: not page.locator("#before").is_visible(), 10, "the before pane to hide in split view")
        w = before.shape[1]
        assert newest_close_to_input(w // 2 - 4) < 3.0, "the left half of the split view should be the input"
        src, split = pane_pixels(page, "after", src)
        assert split[:, w // 2 + 4 :].mean() > 2 * before[:, w // 2 + 4 :].mean(), "the right half should be enhanced"
    finally:
        page.close()


def test_five_viewers_share_one_pipeline(demo_server, chromium):
    wait_for(lambda: not demo_server.status()["channels"], 30, "no pipeline before the test")
    starts = demo_server.log.count("started the pipeline")
    pages = [open_page(chromium, demo_server.url) for _ in range(5)]
    try:
        wait_for(lambda: (c := demo_server.status()["channels"]) and c[0]["viewers"] == 5, 60, "five viewers")
        for page in pages:
            wait_for(lambda page=page: pane_src(page, "after"), 60, "frames in every tab")
        s0 = demo_server.status()["channels"]
        time.sleep(3.0)
        s1 = demo_server.status()["channels"]
        assert len(s0) == len(s1) == 1, "one source must have one pipeline"
        runs, frames = s1[0]["model_runs"] - s0[0]["model_runs"], s1[0]["frames"] - s0[0]["frames"]
        assert frames > 0
        assert runs <= 1.5 * frames + 3, f"{runs} model runs for {frames} frames: the model ran per viewer"
        assert demo_server.log.count("started the pipeline") == starts + 1
    finally:
        for page in pages:
            page.close()
    wait_for(lambda: not demo_server.status()["channels"], 30, "the pipeline to be released when nobody watches")
    wait_for(lambda: "released the pipeline for demo (nobody watching)" in demo_server.log, 30, "the release in the log")


# Counts the pictures the "after" pane really shows: a new src that the browser decoded while it was
# still the pane's src. A picture replaced before it loaded counts nothing (the browser drops it).
COUNT_SHOWN_JS = """() => {
  window.__shown = 0;
  let last = null;
  const check = () => {
    const img = document.querySelector('#after img');
    if (!img || !img.src || img.src === last) return;
    const src = last = img.src;
    img.decode().then(() => { if (img.src === src) window.__shown += 1; }, () => {});
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                      attributeFilter: ['src']});
}"""


def test_every_one_of_three_viewers_sees_the_picture_change(demo_server, chromium):
    """Each tab gets pictures at the pace its browser can show them. When frames were pushed at the
    pipeline's rate, each new picture replaced the previous one before it had loaded, and with three
    viewers the panes stood still (0-0.4 pictures a second shown, while 12 a second were sent)."""
    wait_for(lambda: not demo_server.status()["channels"], 30, "no pipeline before the test")
    pages = [open_page(chromium, demo_server.url) for _ in range(3)]
    try:
        for page in pages:
            wait_for(lambda page=page: pane_src(page, "after"), 60, "frames in every tab")
        for page in pages:
            page.evaluate(COUNT_SHOWN_JS)
        want, deadline = 20, time.monotonic() + 30.0
        while min(shown := [page.evaluate("window.__shown") for page in pages]) < want and time.monotonic() < deadline:
            time.sleep(0.5)
        assert min(shown) >= want, f"pictures shown per tab in 30 s: {shown}, want {want} each"
    finally:
        for page in pages:
            page.close()


def test_webcam_mode_streams_enhanced_frames_back(demo_server, chromium):
    page = open_page(chromium, demo_server.url)
    try:
        wait_for(lambda: pane_src(page, "after"), 60, "the live view")
        page.get_by_role("tab", name="Webcam").click()
        # Nobody looks at the live view now: its pipeline stops instead of taking the CPU from the webcam.
        wait_for(lambda: not demo_server.status()["channels"], 30, "the live pipeline to stop on the Webcam tab")
        # The browser side: a frame posted while the previous one is still uploading is dropped, not queued.
        # Checked before the webcam streams: its own uploads go through the same gate and, on a loaded
        # machine, add their drops to the count.
        gate = page.evaluate("""async () => {
          const url = location.origin + '/gradio_api/stream/no-such-event', post = {method: 'POST', body: '{}'};
          const before = window.__streamer_dropped;
          const [first, second] = await Promise.all([fetch(url, post), fetch(url, post)]);
          const third = await fetch(url, post);  // the first one has arrived: this one goes out
          return [first.status, (await second.json()).msg, third.status, window.__streamer_dropped - before];
        }""")
        assert gate[1] == "dropped" and gate[3] == 1 and gate[0] == gate[2] != 200, gate
        page.get_by_text("Click to Access Webcam").click()
        page.locator("#cam button", has_text="Record").click()
        src, first = pane_pixels(page, "cam-out")
        src, _ = pane_pixels(page, "cam-out", src)
        src, later = pane_pixels(page, "cam-out", src)
        assert first.shape[0] <= 720 and first.shape[1] <= 1280
        # The fake webcam plays a dark night street (luma about 18): what comes back is the enhanced picture.
        assert luma(first) > 1.5 * 18 and luma(later) > 1.5 * 18, (luma(first), luma(later))
        assert np.abs(first.astype(int) - later).mean() > 0.5, "the webcam output did not change"
        line = wait_for(lambda: re.search(r"webcam: [\d.]+ fps · added latency \d+ ms · dropped \d+ \(stale\) · "
                                          r"zero-dce\+\+ on \w+", page.locator("#cam-stats").inner_text()),
                        30, "the webcam stats line")
        assert line
        page.get_by_role("tab", name="Live").click()
        wait_for(lambda: demo_server.status()["channels"], 30, "the live view to start again on the Live tab")
        src = pane_src(page, "after")
        pane_pixels(page, "after", src)
    finally:
        page.close()


def test_upload_gives_an_enhanced_video_with_audio(demo_server, chromium, dark_clip, tmp_path):
    page = open_page(chromium, demo_server.url)
    try:
        page.get_by_role("tab", name="Video file").click()
        page.locator("#upload input[type=file]").set_input_files(str(dark_clip.path))
        wait_for(lambda: "dark.mp4" in page.locator("#upload").inner_text(), 60, "the upload")
        page.locator("#enhance").click()
        text = wait_for(lambda: (t := page.locator("#result-text").inner_text()) and "frames" in t and t, 180, "the result")
        assert f"{dark_clip.frames} frames" in text
        href = wait_for(lambda: page.locator("#result-file a").first.get_attribute("href")
                        if page.locator("#result-file a").count() else None, 30, "the download link")
        out = tmp_path / "enhanced.mp4"
        out.write_bytes(page.request.get(href if href.startswith("http") else demo_server.url + href.lstrip("/")).body())
        with av.open(str(out)) as c:
            assert c.streams.audio, "the audio track was lost"
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert len(frames) == dark_clip.frames
        assert np.mean(frames[0]) > 2 * np.mean(dark_frames(1, 640, 360)[0])
    finally:
        page.close()


def test_stream_failure_shows_a_masked_error_and_the_page_lives(chromium):
    url = f"rtsp://viewer:hunter2@127.0.0.1:{free_port()}/cam"
    server = Server("--source", url, "--open-timeout", "1")
    page = open_page(chromium, server.url)
    try:
        line = wait_for(lambda: (t := stats(page)) and "retrying" in t and t, 60, "an error on the stats line")
        assert "viewer:***@" in line and "hunter2" not in line
        assert "hunter2" not in page.content()
        time.sleep(2.5)
        assert stats(page) != "", "the page stopped updating"
    finally:
        page.close()
        server.stop()
    assert "hunter2" not in server.log and "viewer:***@" in server.log


def test_whole_page_screenshot(demo_server, chromium, tmp_path):
    """The page renders its parts (a smoke test that also leaves a screenshot to look at)."""
    page = open_page(chromium, demo_server.url)
    try:
        wait_for(lambda: pane_src(page, "after"), 60, "frames")
        for label in ("model", "strength", "exposure", "view"):
            assert page.get_by_text(re.compile(label)).count() > 0
        path: Path = tmp_path / "page.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
    finally:
        page.close()


def test_the_camera_picker_switches_the_live_view_and_its_model(chromium, tmp_path):
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), cv2.cvtColor(dark_frames(1, 320, 180)[0], cv2.COLOR_RGB2BGR))
    cameras = tmp_path / "cameras.toml"
    cameras.write_text(f'[[camera]]\nname = "street"\nsource = "demo"\n\n'
                       f'[[camera]]\nname = "still"\nsource = "{still}"\nmodel = "zero-dce"\n')
    server = Server("--cameras", str(cameras))
    page = open_page(chromium, server.url)
    try:
        src, first = pane_pixels(page, "after")
        assert "Cameras: street (demo), still" in page.locator("body").inner_text()
        assert first.shape == (360, 640, 3), "the first camera is not shown first"
        page.locator("#camera input").click()
        page.get_by_role("option", name="still", exact=True).click()
        shape, deadline = first.shape, time.monotonic() + 60
        while shape != (180, 320, 3) and time.monotonic() < deadline:
            src, picture = pane_pixels(page, "after", src)
            shape = picture.shape
        assert shape == (180, 320, 3), "picking the still camera did not switch the live view"
        wait_for(lambda: "zero-dce on" in stats(page), 30, "the stats line to name the still camera's model")
        assert page.locator("#model input").input_value() == "zero-dce", "the model dropdown did not follow the camera"
        assert "camera street: demo -> viewers only" in server.log and "camera still:" in server.log
    finally:
        page.close()
        assert server.stop() == 0, server.log
