"""night2day's exports: the uint8 frame contract in ONNX at any frame size, float16 weights in both
shipped files, torch and ONNX Runtime agreeing; the card says what it was trained on and how."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from models import catalog  # noqa: E402
from models.checkpoint import network_from_checkpoint, save_checkpoint, shippable  # noqa: E402
from models.export.onnx import export_onnx, frame_model  # noqa: E402
from models.nets.cyclegan import ResnetGenerator  # noqa: E402


@pytest.fixture(scope="module")
def shipped() -> dict:
    torch.manual_seed(0)
    net = ResnetGenerator(ngf=8, n_blocks=2)
    ckpt = {"arch": "night2day", "ngf": 8, "n_blocks": 2, "state_dict": net.state_dict(), "step": 7,
            "training": {"opt_g": {}}, "config": {}}
    return shippable(ckpt)


def test_onnx_keeps_the_frame_contract_with_half_weights(shipped: dict, tmp_path: Path) -> None:
    net = network_from_checkpoint(shipped)
    path = export_onnx(net, tmp_path / "n2d.onnx", example_hw=(64, 96))
    proto = onnx.load(str(path))
    big = [i for i in proto.graph.initializer if np.prod(i.dims) > 64]
    assert big and all(i.data_type == onnx.TensorProto.FLOAT16 for i in big)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for h, w in ((37, 50), (90, 160)):
        frames = rng.integers(0, 60, (1, h, w, 3), dtype=np.uint8)
        got = session.run(None, {"frames": frames})[0]
        with torch.no_grad():
            want = frame_model(net)(torch.from_numpy(frames)).numpy()
        assert got.shape == (h, w, 3) and got.dtype == np.uint8
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_the_card_names_the_reduced_width_the_data_and_the_proxy(shipped: dict, tmp_path: Path) -> None:
    from models.export.night2day_card import render

    ckpt = shipped | {"config": {"steps": 10, "ngf": 8, "ndf": 8, "crop": 32, "short_side": 40, "batch_size": 1,
                                 "lr": 2e-4, "beta1": 0.5, "seed": 0, "cycle_weight": 10.0, "identity_weight": 0.5,
                                 "pool_size": 50, "held_out_views": ["52x40"],
                                 "train_images": {"night": 3, "day": 3}, "held_out": {"night": ["a"], "day": ["b"]}},
                      "metrics": {"g_gan": 0.5, "cycle": 1.0, "identity": 0.4, "d": 0.2},
                      "validation": [{"step": 5, "proxy_kid": 0.01}]}
    save_checkpoint(tmp_path / "night2day.pt", ckpt)
    (tmp_path / "night2day.onnx").write_bytes(b"x")
    weights = catalog.Weights(name="night2day", arch="night2day", checkpoint=str(tmp_path / "night2day.pt"),
                              onnx=str(tmp_path / "night2day.onnx"), card="night2day.md", summary="test",
                              validated_on="night2day")
    results = {"methods": {"night2day": {"proxy_kid": 0.02, "proxy_kid_std": 0.001, "proxy_fd": 0.1, "mean_luma": 0.4}},
               "fid_kid": "not measured: no Inception weights here"}
    card = render(weights, ckpt, results=results)
    for text in ("reduced width: ngf\n8", "## Training", "## Validation", "non-commercial", "proxy",
                 "not measured: no Inception weights here", "`--size full`", "52x40", "| night2day | 2.00"):
        assert text.replace("\n", " ") in card.replace("\n", " "), text


def test_lol_cards_still_need_their_validation_numbers() -> None:
    from models.errors import ConfigError
    from models.export.card import render_card

    with pytest.raises(ConfigError, match="--psnr and --ssim"):
        render_card(catalog.get("zero-dce++"), {"config": {}}, None, None)
