"""The denoiser's networks: shapes at any size, identity when untrained, no transposed convs, ONNX parity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.errors import ModelError  # noqa: E402
from models.nets.frame import FrameModel  # noqa: E402
from models.nets.restorer import (  # noqa: E402
    Degrader,
    PatchDiscriminator,
    Restorer,
    VGG19Features,
    make_generator,
)


@pytest.mark.parametrize("kind", ["unet", "resnet"])
def test_generators_keep_any_size_and_start_as_the_identity_the_restorer_as_a_smoothing(kind: str) -> None:
    x = torch.rand(2, 3, 37, 45)
    body = make_generator(kind, 8)
    assert body(x).shape == x.shape
    assert torch.equal(body(x), x)  # the last conv starts at zero: an untrained body changes nothing
    net = Restorer(kind, channels=8)
    with torch.no_grad():
        y, _ = net(x)
    box = torch.nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    inner = (..., slice(1, -1), slice(1, -1))
    assert torch.allclose(y[inner], (0.5 * x + 0.5 * box)[inner], atol=1e-5)  # the restorer starts as a mild smoothing
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules())
    assert any(isinstance(m, torch.nn.Conv2d) for m in net.modules())


def test_the_degrader_draws_noise_and_stays_in_range() -> None:
    net = Degrader(channels=8, blocks=1, noise=2)
    torch.nn.init.normal_(net.to_degraded.out.weight, std=0.5)
    x = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        a, b = net(x)[0], net(x)[0]
    assert a.shape == x.shape and 0.0 <= float(a.min()) and float(a.max()) <= 1.0
    assert not torch.equal(a, b)  # two draws of F(y) differ: the noise is random, not memorised


def test_patch_discriminator_scores_patches_and_exposes_features() -> None:
    d = PatchDiscriminator(8)
    x = torch.rand(2, 3, 64, 64)
    assert d(x).shape == (2, 1, 8, 8)
    assert len(d.features(x)) == 4


def test_unknown_generator_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="unknown generator"):
        make_generator("vit", 8)


def test_vgg19_follows_torchvisions_layer_indices() -> None:
    names = list(VGG19Features().features.state_dict())
    assert names[:2] == ["0.weight", "0.bias"] and names[-1] == "25.bias"  # conv4_4 is features.25


def test_onnx_export_keeps_the_frame_contract(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from models.export.onnx import export_onnx

    net = Restorer("unet", channels=8).eval()
    torch.nn.init.normal_(net.body.out.weight, std=0.05)
    path = export_onnx(net, tmp_path / "r.onnx", example_hw=(40, 56))
    frames = np.random.default_rng(0).integers(0, 255, (1, 50, 70, 3), dtype=np.uint8)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"frames": frames})[0]
    with torch.no_grad():
        want = FrameModel(net)(torch.from_numpy(frames)).numpy()
    assert got.dtype == np.uint8 and got.shape == (50, 70, 3)
    assert np.abs(got.astype(int) - want).max() <= 1
