"""The curve networks: shapes, ranges, the curve formula, official checkpoint loading."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from models.checkpoint import build_network  # noqa: E402
from models.errors import ModelError  # noqa: E402
from models.nets import zero_dce  # noqa: E402


def test_apply_curves_matches_the_paper_formula() -> None:
    x = torch.rand(2, 3, 8, 8)
    a = torch.rand(2, 24, 8, 8) * 2 - 1
    y = x.clone()
    for i in range(8):
        ai = a[:, 3 * i : 3 * i + 3]
        y = y + ai * (y - y * y)
    assert torch.allclose(zero_dce.apply_curves(x, a), y)


def test_curves_stay_in_range_and_brighten_with_positive_alpha() -> None:
    x = torch.rand(1, 3, 16, 16)
    for a in (torch.ones(1, 3, 16, 16), -torch.ones(1, 3, 16, 16), torch.rand(1, 3, 16, 16) * 2 - 1):
        y = zero_dce.apply_curves(x, a)
        assert y.min() >= 0 and y.max() <= 1
    assert (zero_dce.apply_curves(x, torch.full_like(x, 0.5)) >= x).all()


@pytest.mark.parametrize("arch,channels", [("zero-dce", 24), ("zero-dce++", 3)])
def test_forward_shapes(arch: str, channels: int) -> None:
    net = build_network(arch)
    x = torch.rand(2, 3, 50, 77)  # not multiples of the ++ scale
    y, a = net(x)
    assert y.shape == x.shape
    assert a.shape == (2, channels, 50, 77)
    assert a.abs().max() <= 1


def test_parameter_counts_match_the_papers() -> None:
    count = lambda n: sum(p.numel() for p in n.parameters())  # noqa: E731
    assert count(zero_dce.DCENet()) == 79_416
    assert count(zero_dce.DCENetPP()) == 10_561


def test_zero_dce_pp_estimates_at_reduced_scale() -> None:
    net = zero_dce.DCENetPP(scale=12)
    assert net.small_curve_map(torch.rand(1, 3, 120, 240)).shape == (1, 3, 10, 20)


def _official_enhance(x: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """The released code's curve: x + r * (x^2 - x), with 24 maps or 1 shared map."""
    shared = alphas.shape[1] == 3
    for i in range(8):
        r = alphas if shared else alphas[:, 3 * i : 3 * i + 3]
        x = x + r * (torch.pow(x, 2) - x)
    return x


@pytest.mark.parametrize("arch", ["zero-dce", "zero-dce++"])
def test_official_checkpoint_loads_and_reproduces_released_behaviour(arch: str) -> None:
    torch.manual_seed(0)
    released = build_network(arch)  # stands in for the released network
    state = {f"module.{k}": v.clone() for k, v in released.state_dict().items()}  # DataParallel keys
    x = torch.rand(1, 3, 48, 48)
    with torch.no_grad():
        expected = _official_enhance(x, released.curve_maps(x))
        ours = build_network(arch)
        zero_dce.load_official_state_dict(ours, state)
        got, _ = ours(x)
    assert torch.allclose(got, expected, atol=1e-5)


def test_official_checkpoint_of_the_other_architecture_is_refused() -> None:
    state = zero_dce.DCENet().state_dict()
    with pytest.raises(ModelError, match="does not fit"):
        zero_dce.load_official_state_dict(zero_dce.DCENetPP(), state)


def test_unknown_architecture() -> None:
    with pytest.raises(ModelError, match="unknown architecture"):
        build_network("zero-dce+++")
