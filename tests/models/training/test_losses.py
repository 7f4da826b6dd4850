"""The zero-reference losses are zero exactly when their property holds, positive otherwise."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.training import losses  # noqa: E402


def test_exposure_control_is_zero_at_the_target_level() -> None:
    x = torch.full((1, 3, 32, 32), 0.6)
    assert losses.exposure_control(x, 0.6) == pytest.approx(0.0)
    assert losses.exposure_control(x * 0.5, 0.6) == pytest.approx(0.09, rel=1e-4)


def test_color_constancy_penalizes_a_colour_cast_only() -> None:
    gray = torch.rand(2, 1, 16, 16).repeat(1, 3, 1, 1)
    assert losses.color_constancy(gray) < 1e-5
    cast = gray.clone()
    cast[:, 0] += 0.2
    assert losses.color_constancy(cast) > 1e-3


def test_illumination_smoothness() -> None:
    assert losses.illumination_smoothness(torch.full((2, 24, 8, 8), 0.3)) == 0
    ramp = torch.arange(8.0).view(1, 1, 1, 8).expand(1, 1, 8, 8)
    # Horizontal differences of 1 everywhere: 2 * (0 + 1) / batch.
    assert losses.illumination_smoothness(ramp) == pytest.approx(2.0)


def test_spatial_consistency_holds_for_a_global_gain_not_for_a_blur() -> None:
    torch.manual_seed(0)
    low = torch.rand(1, 3, 64, 64) * 0.2
    assert losses.spatial_consistency(low, low) == 0
    assert losses.spatial_consistency(low.mean().expand_as(low), low) > 0


def test_total_loss_has_gradients_and_parts() -> None:
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    a = torch.rand(2, 3, 32, 32, requires_grad=True)
    total, parts = losses.zero_reference_loss(x * 2, x, a)
    total.backward()
    assert set(parts) == {"spa", "exp", "col", "tv"}
    assert x.grad is not None and a.grad is not None


def test_terms_weighted_zero_are_zero_and_the_total_is_the_rest() -> None:
    torch.manual_seed(0)
    x, a = torch.rand(2, 3, 32, 32) * 0.3, torch.rand(2, 3, 32, 32)
    _, full = losses.zero_reference_loss(x * 2, x, a, w_spa=1.0, w_exp=10.0, w_col=5.0, w_tv=200.0)
    total, parts = losses.zero_reference_loss(x * 2, x, a, w_spa=0.0, w_exp=10.0, w_col=0.0, w_tv=200.0)
    assert parts["spa"] == 0.0 and parts["col"] == 0.0 and full["spa"] > 0 and full["col"] > 0
    assert parts["exp"] == pytest.approx(full["exp"]) and parts["tv"] == pytest.approx(full["tv"])
    assert float(total) == pytest.approx(full["exp"] + full["tv"], rel=1e-6)


def test_ssim_is_the_validation_measure() -> None:
    """The differentiable SSIM equals scikit-image's, which the validation numbers are quoted with."""
    metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    test = np.clip(truth * 0.7 + rng.normal(0, 20, truth.shape), 0, 255).astype(np.uint8)
    expected = metrics.structural_similarity(truth, test, data_range=255, channel_axis=2)

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).permute(2, 0, 1)[None].double() / 255.0

    assert float(losses.ssim(t(truth), t(test))) == pytest.approx(expected, abs=1e-9)
    assert float(losses.ssim(t(truth), t(truth))) == pytest.approx(1.0)
