"""The burst network: shapes, burst-order invariance, streaming equals the full burst, ONNX parity,
and training a few steps through ``streamer train burst``."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.checkpoint import load_checkpoint, network_from_checkpoint  # noqa: E402
from models.nets.burst import BurstFrameModel, BurstNet, consistent_max  # noqa: E402
from tests.conftest import dark_frames, run_cli  # noqa: E402
from tests.models.training.test_synth import textured  # noqa: E402


@pytest.fixture(scope="module")
def net() -> BurstNet:
    torch.manual_seed(0)
    return BurstNet().eval()


@pytest.mark.parametrize("hw", [(64, 96), (37, 53), (1, 1)])
def test_any_frame_size_gives_the_same_size(net: BurstNet, hw: tuple[int, int]) -> None:
    with torch.no_grad():
        y = net(torch.rand(2, 3, 3, *hw))
    assert y.shape == (2, 3, *hw)


def test_older_frames_are_order_free_but_the_newest_is_special(net: BurstNet) -> None:
    x = torch.rand(1, 4, 3, 32, 48) * 0.2
    with torch.no_grad():
        base = net(x)
        shuffled_older = net(x[:, [2, 0, 1, 3]])
        other_newest = net(x[:, [0, 1, 3, 2]])
    assert torch.allclose(base, shuffled_older, atol=1e-6)  # max-pooling is order-free
    assert not torch.allclose(base, other_newest, atol=1e-3)  # the newest frame's own features count


class _Ring:
    """Each frame encoded once, the last ``length`` frames' features kept, pooled per level
    (:func:`consistent_max`) and decoded: what streaming relies on (a frame's features depend on that frame alone)."""

    def __init__(self, net: BurstNet, length: int) -> None:
        self.net, self.ring, self.size = net, deque(maxlen=length), None

    def push(self, frame):
        if frame.shape[-2:] != self.size:  # a new frame size restarts the ring
            self.ring.clear()
            self.size = frame.shape[-2:]
        self.ring.append(self.net.encode(frame))
        newest = self.ring[-1]
        pooled = [consistent_max(torch.cat([f[i] for f in self.ring]), newest[i], 0) for i in range(len(newest))]
        return self.net.decode(pooled, newest, frame)


def test_streaming_equals_the_full_burst(net: BurstNet) -> None:
    frames = torch.rand(1, 9, 3, 45, 70) * 0.3
    stream = _Ring(net, length=4)
    with torch.no_grad():
        for k in range(frames.shape[1]):
            got = stream.push(frames[:, k])
            want = net(frames[:, max(0, k - 3) : k + 1])
            assert (got - want).abs().max() < 1e-5
        assert len(stream.ring) == 4
        stream.push(torch.rand(1, 3, 20, 30))  # a new size restarts the ring
    assert len(stream.ring) == 1


def test_warm_up_with_a_repeated_first_frame_equals_a_short_burst(net: BurstNet) -> None:
    # BurstBuffer fills a young burst with copies of the first frame: max-pooling ignores duplicates.
    x = torch.rand(1, 2, 3, 24, 24)
    padded = torch.cat([x[:, :1], x[:, :1], x[:, :1], x[:, 1:]], 1)
    with torch.no_grad():
        assert torch.allclose(net(x), net(padded), atol=1e-6)


def test_frame_model_takes_uint8_frames(net: BurstNet) -> None:
    frames = np.stack(dark_frames(3, 64, 48))
    model = BurstFrameModel(net)
    with torch.no_grad():
        out = model(torch.from_numpy(frames)).numpy()
        want = net(torch.from_numpy(frames).permute(0, 3, 1, 2)[None].float() / 255.0)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    ref = (want[0].clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1


def test_onnx_export_matches_torch_for_any_burst_length_and_size(net: BurstNet, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from models.export.onnx import export_onnx

    path = export_onnx(net, tmp_path / "burst.onnx", example_hw=(72, 96))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model = BurstFrameModel(net)
    for t, (h, w) in ((6, (72, 96)), (3, (123, 77)), (1, (360, 640))):
        frames = np.stack(dark_frames(t, w, h))
        got = session.run(["enhanced"], {"frames": frames})[0]
        with torch.no_grad():
            want = model(torch.from_numpy(frames)).numpy()
        assert got.shape == (h, w, 3)
        diff = np.abs(got.astype(int) - want.astype(int))
        assert diff.max() <= 1 and diff.mean() < 0.01


@pytest.mark.slow
def test_train_burst_a_few_steps_then_resume_and_export(tmp_path: Path) -> None:
    data = tmp_path / "clean"
    data.mkdir()
    for i in range(3):
        cv2.imwrite(str(data / f"{i}.png"), cv2.cvtColor(textured(96, 112, seed=i), cv2.COLOR_RGB2BGR))
    out = tmp_path / "burst.pt"
    common = ["train", "burst", "--data", str(data), "--out", str(out), "--batch-size", "2", "--crop", "64",
              "--short-side", "96", "--frames", "3", "--threads", "1", "--save-every", "2", "--log-every", "1"]
    r = run_cli(*common, "--steps", "3")
    assert r.returncode == 0, r.stderr
    first = load_checkpoint(out)
    assert first["arch"] == "burst" and first["step"] == 3 and first["burst"] == 3
    torch.manual_seed(0)  # the seed training starts from: the weights moved
    initial = BurstNet().state_dict()
    assert any(not torch.equal(initial[k], v) for k, v in first["state_dict"].items())
    r = run_cli(*common, "--steps", "5", "--resume")
    assert r.returncode == 0, r.stderr
    assert "resumed" in r.stderr and load_checkpoint(out)["step"] == 5
    net = network_from_checkpoint(load_checkpoint(out))
    assert isinstance(net, BurstNet)
    # A run from those weights (--init) keeps their record: its lineage; an infrared camera for every burst.
    child = tmp_path / "child.pt"
    r = run_cli(*[a if a != str(out) else str(child) for a in common], "--steps", "2", "--init", str(out),
                "--mono-prob", "1")
    assert r.returncode == 0, r.stderr
    grown = load_checkpoint(child)
    assert [(s["step"], s["config"]["steps"]) for s in grown["lineage"]] == [(5, 5)]
    assert grown["config"]["mono_prob"] == 1.0 and grown["config"]["init"] == str(out)
    r = run_cli(*common, "--steps", "2", "--mono-prob", "1.5")
    assert r.returncode == 2 and "--mono-prob is a probability" in r.stderr


def test_train_burst_rejects_bad_settings(tmp_path: Path) -> None:
    r = run_cli("train", "burst", "--data", str(tmp_path), "--out", str(tmp_path / "x.pt"), "--frames", "2",
                "--frames-min", "4")
    assert r.returncode == 2 and "--frames-min" in r.stderr and "Traceback" not in r.stderr


def test_streaming_onnx_pair_equals_the_full_burst_graph(net: BurstNet, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from models.export.onnx import export_onnx
    from models.runtime.burst_ring import open_streaming
    from streamer.buffer import BurstBuffer

    full_path = export_onnx(net, tmp_path / "burst.onnx", example_hw=(72, 96))  # and the streaming pair beside it
    full = ort.InferenceSession(str(full_path), providers=["CPUExecutionProvider"])
    stream = open_streaming(full_path, ["CPUExecutionProvider"], ort.SessionOptions())
    assert stream is not None
    # The decoder graph ends at the prediction; the finish runs outside it (models.runtime.burst_finish).
    assert [o.name for o in stream.decoder.get_outputs()] == ["prediction"]
    assert "frame" not in {i.name for i in stream.decoder.get_inputs()}
    buffer = BurstBuffer(4)
    frames = dark_frames(7, 77, 45)  # odd size: the decoder's output is cropped
    for f in frames:
        buffer.push(f)
        got = stream.enhance(buffer.burst())
        want = full.run(["enhanced"], {"frames": buffer.burst()})[0]
        assert got.shape == (45, 77, 3) and np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert stream.encoded == 7  # one encoder pass per new frame (the warm-up copies are not re-encoded)
    # A burst that does not follow the last one (a seek, another caller) is encoded in full.
    other = np.stack(dark_frames(4, 77, 45, seed=3))
    got = stream.enhance(other)
    want = full.run(["enhanced"], {"frames": other})[0]
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1 and stream.encoded == 11
    assert open_streaming(tmp_path / "missing.onnx", ["CPUExecutionProvider"], ort.SessionOptions()) is None


class _RingDecoder(torch.nn.Module):
    """The streaming decoder as exported before the pool left the graph: the rings in, pooled inside."""

    def __init__(self, net: BurstNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, ring1, ring2, ring3, new1, new2, new3, frame):
        from models.nets.frame import to_float, to_uint8

        pooled = [consistent_max(r, n, 0) for r, n in ((ring1, new1), (ring2, new2), (ring3, new3))]
        return to_uint8(self.net.decode(pooled, [new1, new2, new3], to_float(frame, torch.float32)))


def test_a_decoder_exported_with_the_pool_inside_still_streams(net: BurstNet, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from models.errors import ModelError
    from models.export.onnx import export_onnx
    from models.runtime.burst_ring import open_streaming
    from streamer.buffer import BurstBuffer

    full_path = export_onnx(net, tmp_path / "burst.onnx", example_hw=(48, 64))
    current = open_streaming(full_path, ["CPUExecutionProvider"], ort.SessionOptions())
    frame = torch.zeros((1, 48, 64, 3), dtype=torch.uint8)
    with torch.no_grad():
        feats = net.encode(frame.permute(0, 3, 1, 2).float())
    rings = [f.expand(3, -1, -1, -1).contiguous() for f in feats]
    names = [f"ring{i}" for i in (1, 2, 3)] + [f"new{i}" for i in (1, 2, 3)] + ["frame"]
    axes = {n: {2: f"h{n[-1]}", 3: f"w{n[-1]}"} for n in names[:6]} | {"ring1": {0: "t", 2: "h1", 3: "w1"},
                                                                         "ring2": {0: "t", 2: "h2", 3: "w2"},
                                                                         "ring3": {0: "t", 2: "h3", 3: "w3"}}
    torch.onnx.export(_RingDecoder(net).eval(), (*rings, *feats, frame), str(tmp_path / "burst.decoder.onnx"),
                      input_names=names, output_names=["enhanced"],
                      dynamic_axes=axes | {"frame": {1: "H", 2: "W"}, "enhanced": {0: "H", 1: "W"}}, dynamo=False)
    legacy = open_streaming(full_path, ["CPUExecutionProvider"], ort.SessionOptions())
    buffer = BurstBuffer(3)
    for f in dark_frames(5, 53, 37):
        buffer.push(f)
        want, got = current.enhance(buffer.burst()), legacy.enhance(buffer.burst())
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    # A graph that is neither gets one clear error.
    (tmp_path / "burst.decoder.onnx").write_bytes((tmp_path / "burst.encoder.onnx").read_bytes())
    with pytest.raises(ModelError, match="not a streaming burst decoder"):
        open_streaming(full_path, ["CPUExecutionProvider"], ort.SessionOptions())


def test_torch_backend_streams_the_burst_and_equals_the_full_burst() -> None:
    from models import backends, catalog
    from models.backends.torch_backend import TorchBackend
    from models.checkpoint import load_checkpoint, network_from_checkpoint
    from models.nets.burst import BurstFrameModel
    from streamer.buffer import BurstBuffer

    weights = catalog.get("burst")
    from models.backends.resized import ResizedBackend

    opened = backends.open_backend("torch", weights, backends.BackendOptions(device="cpu"))
    # On a CPU the burst model runs at a working size; these small frames fit it and go straight through.
    assert any(isinstance(layer, ResizedBackend) for layer in backends.layers(opened))
    backend = backends.layers(opened)[-1]
    assert isinstance(backend, TorchBackend) and backend.streaming is not None
    full = BurstFrameModel(network_from_checkpoint(load_checkpoint(weights.checkpoint_path()))).eval()
    buffer = BurstBuffer(weights.burst)
    frames = dark_frames(8, 77, 45)
    for f in frames:
        buffer.push(f)
        got = backend.enhance(buffer.burst())
        with torch.no_grad():
            want = full(torch.from_numpy(buffer.burst())).numpy()
        assert got.shape == (45, 77, 3) and np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert backend.streaming.encoded == len(frames)  # one encoder pass per new frame
    opened.close()


def test_a_bright_prediction_is_not_clipped_where_the_input_was_not(net: BurstNet) -> None:
    """The decoder's last layer pushed far past white: the output stays below 255 wherever the
    newest frame was below 255, and is 255 where the frame was."""
    bright = BurstNet().eval()
    bright.load_state_dict(net.state_dict())
    with torch.no_grad():
        bright.out.bias.fill_(2.0)  # every prediction about 2, twice white
        frames = torch.full((1, 3, 3, 16, 16), 10 / 255)  # dark: the full prediction is used
        frames[0, -1, 0, :2, :2] = 1.0  # a clipped lamp in the newest frame's red channel
        out = BurstFrameModel(bright)((frames[0].permute(0, 2, 3, 1) * 255).round().to(torch.uint8)).numpy()
    assert out[:2, :2, 0].min() == 255
    lamp = np.zeros(out.shape[:2], bool)
    lamp[:2, :2] = True
    assert out[..., 0][~lamp].max() < 255 and out[..., 1:].max() < 255
    assert out[..., 1:].min() > 200  # bent, not darkened


def test_a_decoder_exported_with_the_finish_inside_still_streams(net: BurstNet, tmp_path: Path) -> None:
    """The streaming decoder as exported before the finish left the graph: pooled features and the
    frame in, the enhanced frame out."""
    ort = pytest.importorskip("onnxruntime")
    import onnx

    from models.export.onnx import export_onnx
    from models.nets.burst import stream_graphs
    from models.runtime.burst_ring import open_streaming
    from streamer.buffer import BurstBuffer

    full_path = export_onnx(net, tmp_path / "burst.onnx", example_hw=(48, 64))
    current = open_streaming(full_path, ["CPUExecutionProvider"], ort.SessionOptions())
    encoder, ring_pool, decoder = stream_graphs(net)
    frame = torch.zeros((1, 48, 64, 3), dtype=torch.uint8)
    with torch.no_grad():
        feats = encoder(frame)
    names = [f"pooled{i}" for i in (1, 2, 3)] + [f"new{i}" for i in (1, 2, 3)]
    path = tmp_path / "burst.decoder.onnx"
    torch.onnx.export(decoder, (*feats, *feats, frame), str(path), input_names=[*names, "frame"],
                      output_names=["enhanced"], dynamo=False,
                      dynamic_axes={n: {2: f"h{n[-1]}", 3: f"w{n[-1]}"} for n in names}
                      | {"frame": {1: "H", 2: "W"}, "enhanced": {0: "H", 1: "W"}})
    proto = onnx.load(str(path))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "consistency", repr(float(ring_pool.consistency))
    onnx.save(proto, str(path))
    legacy = open_streaming(full_path, ["CPUExecutionProvider"], ort.SessionOptions())
    assert [o.name for o in legacy.decoder.get_outputs()] == ["enhanced"]
    buffer = BurstBuffer(3)
    for f in dark_frames(5, 53, 37):
        buffer.push(f)
        want, got = current.enhance(buffer.burst()), legacy.enhance(buffer.burst())
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
