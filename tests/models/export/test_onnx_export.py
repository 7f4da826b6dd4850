"""ONNX export: the graph runs in ONNX Runtime and matches torch on uint8 frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from models.checkpoint import build_network  # noqa: E402
from models.export.onnx import export_onnx  # noqa: E402
from models.nets.frame import FrameModel  # noqa: E402
from tests.conftest import dark_frames  # noqa: E402


@pytest.mark.parametrize("arch", ["zero-dce", "zero-dce++"])
def test_onnx_matches_torch_at_several_sizes(arch: str, tmp_path: Path) -> None:
    torch.manual_seed(1)
    net = build_network(arch).eval()
    path = export_onnx(net, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model = FrameModel(net).eval()
    for h, w in ((96, 160), (123, 77), (360, 640)):
        frames = np.stack(dark_frames(2, w, h))
        got = session.run(["enhanced"], {"frames": frames})[0]
        with torch.no_grad():
            want = model(torch.from_numpy(frames)).numpy()
        assert got.shape == (h, w, 3) and got.dtype == np.uint8
        diff = np.abs(got.astype(int) - want.astype(int))
        assert diff.max() <= 1 and diff.mean() < 0.01


def test_frame_model_enhances_the_newest_frame() -> None:
    net = build_network("zero-dce++").eval()
    model = FrameModel(net).eval()
    frames = torch.from_numpy(np.stack(dark_frames(3, 64, 48)))
    with torch.no_grad():
        assert torch.equal(model(frames), model(frames[-1:]))
        assert not torch.equal(model(frames), model(frames[:1]))
