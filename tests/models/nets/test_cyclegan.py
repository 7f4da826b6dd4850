"""CycleGAN's networks: the reference sizes, any frame size in and out, the image pool's history."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from models.nets.cyclegan import GeneratorFrameModel, ImagePool, PatchDiscriminator, ResnetGenerator  # noqa: E402


def _params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_reference_configuration_has_the_papers_sizes() -> None:
    # pytorch-CycleGAN-and-pix2pix prints 11.378 M for resnet_9blocks and 2.765 M for the basic PatchGAN.
    assert _params(ResnetGenerator(64, 9)) == 11_378_179
    assert _params(PatchDiscriminator(64)) == 2_764_737
    # 70x70 patches: a 256 px crop is judged on a 30x30 grid.
    assert PatchDiscriminator(64)(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)


@pytest.mark.parametrize("hw", [(37, 50), (64, 64), (45, 81)])
def test_generator_keeps_any_frame_size_and_range(hw: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = ResnetGenerator(ngf=4, n_blocks=2).eval()
    x = torch.rand(2, 3, *hw)
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape
    assert 0.0 <= float(y.min()) and float(y.max()) <= 1.0


def test_frame_model_meets_the_uint8_contract() -> None:
    model = GeneratorFrameModel(ResnetGenerator(ngf=4, n_blocks=1).eval())
    frames = torch.randint(0, 40, (3, 30, 44, 3), dtype=torch.uint8)
    with torch.no_grad():
        out = model(frames)
    assert out.shape == (30, 44, 3) and out.dtype == torch.uint8


def test_image_pool_fills_then_swaps_half_the_time() -> None:
    pool = ImagePool(size=4, seed=0)
    first = [torch.full((1, 3, 2, 2), float(i)) for i in range(4)]
    for img in first:  # filling: every image comes straight back
        assert torch.equal(pool.query(img), img)
    values = {float(pool.query(torch.full((1, 3, 2, 2), 100.0 + i))[0, 0, 0, 0]) for i in range(40)}
    assert len(pool.images) == 4
    assert any(v < 100 for v in values) and any(v >= 100 for v in values)  # old ones served, new ones passed
    assert torch.equal(ImagePool(size=0).query(first[1]), first[1])
