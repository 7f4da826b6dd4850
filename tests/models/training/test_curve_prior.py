"""The brightness rule for Zero-DCE++'s curve map: values, locality, and the training term."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from models.training.curve_prior import REFERENCE_GRAY, brightness_rule, prior_loss  # noqa: E402


@pytest.mark.parametrize("gray", [0.01, REFERENCE_GRAY, 0.2, 0.6])
def test_a_uniform_frame_gets_the_rules_value_everywhere(gray: float) -> None:
    x = torch.full((1, 3, 48, 60), gray)
    alpha = brightness_rule(x, 0.3, 0.1, scale=12)
    assert alpha.shape == (1, 1, 48, 60)
    assert torch.allclose(alpha, torch.tensor(0.3 - 0.1 * math.log(gray / REFERENCE_GRAY)), atol=1e-5)


def test_darker_surroundings_get_a_stronger_curve_and_black_stays_in_range() -> None:
    x = torch.full((1, 3, 12 * 40, 12 * 40), 0.02)
    x[..., 12 * 20 :] = 0.3  # the right half is bright
    alpha = brightness_rule(x, 0.3, 0.1, scale=12)[0, 0]
    left, right = alpha[:, : 12 * 5].mean(), alpha[:, -12 * 5 :].mean()
    assert left > 0.35 and right < 0.15
    assert ((alpha[:, 1:] - alpha[:, :-1]) <= 1e-6).all()  # falls monotonically across the edge
    black = brightness_rule(torch.zeros(1, 3, 24, 24), 0.3, 0.5)
    assert float(black.max()) == pytest.approx(0.95) and float(black.min()) == pytest.approx(0.95)  # clamped


def test_the_rule_averages_over_a_wide_area_not_one_pixel() -> None:
    x = torch.full((1, 3, 12 * 30, 12 * 30), 0.03)
    spot = x.clone()
    spot[..., 170:190, 170:190] = 1.0  # a lamp: 400 of 129,600 pixels
    plain, lit = brightness_rule(x, 0.3, 0.1), brightness_rule(spot, 0.3, 0.1)
    assert (plain - lit).max() < 0.1 and (plain - lit).max() > 0.0


def test_prior_loss_is_zero_on_the_rule_and_grows_away_from_it() -> None:
    x = torch.rand(2, 3, 48, 48) * 0.2
    rule = brightness_rule(x, 0.3, 0.1, scale=12).expand(-1, 3, -1, -1)
    assert float(prior_loss(rule, x, 0.3, 0.1, scale=12)) == pytest.approx(0.0, abs=1e-12)
    assert float(prior_loss(rule + 0.1, x, 0.3, 0.1, scale=12)) == pytest.approx(0.01, rel=1e-4)
