"""Zero-DCE and Zero-DCE++ networks (Guo et al. CVPR 2020; Li et al. TPAMI 2021).

Both estimate per-pixel light-enhancement curves and apply them iteratively:

    LE(x) = x + alpha * x * (1 - x)        (the paper's sign; alpha in [-1, 1] via tanh)

Tensors are NCHW float32 RGB in [0, 1] on any device. The modules are plain ``nn.Module``s;
running them on frames is a backend's job (:mod:`models.backends`).

The officially released checkpoints apply ``x + alpha * (x*x - x)``, the opposite sign. Loading
one (:func:`load_official_state_dict`) negates the last layer instead, which is exact because
tanh is odd, so every network here uses one formula.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.errors import ModelError

CURVE_ITERATIONS = 8
FEATURES = 32
# How the curves are applied: to each channel on its own (the papers' rule, and the released
# weights'), or colour-true (one gain per pixel, exposure-adaptive, neutral near black: models.nets.tone).
CURVE_RULES = ("per-channel", "colour-true")


def apply_curves(x: Tensor, alphas: Tensor, iterations: int = CURVE_ITERATIONS) -> Tensor:
    """Apply quadratic light-enhancement curves.

    Args:
        x: (B, 3, H, W) float RGB in [0, 1].
        alphas: (B, 3 * iterations, H, W) one map per iteration (Zero-DCE), or (B, 3, H, W) one map
            shared by every iteration (Zero-DCE++); values in [-1, 1].
        iterations: how many times the curve is applied.

    Returns:
        (B, 3, H, W) float RGB, in [0, 1] whenever the inputs are in range.
    """
    shared = alphas.shape[1] == 3
    for i in range(iterations):
        a = alphas if shared else alphas[:, 3 * i : 3 * i + 3]
        x = x + a * x * (1.0 - x)
    return x


def curve_output(x: Tensor, alphas: Tensor, iterations: int, rule: str,
                 thumbnail: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """The enhanced frame from full-resolution ``alphas`` by curve ``rule`` (:data:`CURVE_RULES`);
    ``thumbnail`` (the frame and the map at the map's own size) for the colour-true rule's exposure gain."""
    if rule == "colour-true":
        from models.nets.tone import apply_colour_true

        return apply_colour_true(x, alphas, iterations, thumbnail)
    return apply_curves(x, alphas, iterations)


def _check_rule(rule: str) -> str:
    if rule not in CURVE_RULES:
        raise ModelError(f"unknown curve rule {rule!r}; known: {', '.join(CURVE_RULES)}")
    return rule


def dce_body(net: nn.Module, x: Tensor) -> Tensor:
    """The DCE-Net layer stack shared by both networks: 7 layers ``e_conv1..7`` with the symmetric
    skip concatenations (3+4 -> 5, 2+5 -> 6, 1+6 -> 7), ReLU between them and tanh at the end."""
    x1 = F.relu(net.e_conv1(x))
    x2 = F.relu(net.e_conv2(x1))
    x3 = F.relu(net.e_conv3(x2))
    x4 = F.relu(net.e_conv4(x3))
    x5 = F.relu(net.e_conv5(torch.cat([x3, x4], 1)))
    x6 = F.relu(net.e_conv6(torch.cat([x2, x5], 1)))
    return torch.tanh(net.e_conv7(torch.cat([x1, x6], 1)))


class DCENet(nn.Module):
    """Zero-DCE's DCE-Net: 7 convs of 32 channels with symmetric skip concatenations.

    ``forward(x)`` takes (B, 3, H, W) RGB in [0, 1] and returns ``(enhanced, alphas)`` with
    alphas of shape (B, 24, H, W); ``curve_rule`` says how they are applied (:data:`CURVE_RULES`).
    """

    arch = "zero-dce"

    def __init__(self, iterations: int = CURVE_ITERATIONS, curve_rule: str = "per-channel") -> None:
        super().__init__()
        f = FEATURES
        self.iterations = iterations
        self.curve_rule = _check_rule(curve_rule)
        self.e_conv1 = nn.Conv2d(3, f, 3, 1, 1)
        self.e_conv2 = nn.Conv2d(f, f, 3, 1, 1)
        self.e_conv3 = nn.Conv2d(f, f, 3, 1, 1)
        self.e_conv4 = nn.Conv2d(f, f, 3, 1, 1)
        self.e_conv5 = nn.Conv2d(2 * f, f, 3, 1, 1)
        self.e_conv6 = nn.Conv2d(2 * f, f, 3, 1, 1)
        self.e_conv7 = nn.Conv2d(2 * f, 3 * iterations, 3, 1, 1)

    def curve_maps(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 3 * iterations, H, W) alphas in [-1, 1]."""
        return dce_body(self, x)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        alphas = self.curve_maps(x)
        return curve_output(x, alphas, self.iterations, self.curve_rule), alphas

    def last_layer(self) -> nn.Module:
        return self.e_conv7


class SeparableConv(nn.Module):
    """Depthwise 3x3 then pointwise 1x1 (the official ``CSDN_Tem``; same parameter names)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depth_conv = nn.Conv2d(cin, cin, 3, 1, 1, groups=cin)
        self.point_conv = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.point_conv(self.depth_conv(x))


class DCENetPP(nn.Module):
    """Zero-DCE++: separable convs, one shared 3-channel curve map estimated at 1/scale.

    The frame is average-pooled by ``scale`` (default 12), the map is estimated there, upsampled
    bilinearly to the exact frame size and applied ``iterations`` times at full resolution.
    ``forward(x)`` takes (B, 3, H, W) RGB in [0, 1] with H, W >= scale and returns
    ``(enhanced, alphas)`` with full-resolution alphas of shape (B, 3, H, W); ``curve_rule`` says how
    they are applied (:data:`CURVE_RULES`).
    """

    arch = "zero-dce++"

    def __init__(self, scale: int = 12, iterations: int = CURVE_ITERATIONS, curve_rule: str = "per-channel") -> None:
        super().__init__()
        f = FEATURES
        self.scale = scale
        self.iterations = iterations
        self.curve_rule = _check_rule(curve_rule)
        self.e_conv1 = SeparableConv(3, f)
        self.e_conv2 = SeparableConv(f, f)
        self.e_conv3 = SeparableConv(f, f)
        self.e_conv4 = SeparableConv(f, f)
        self.e_conv5 = SeparableConv(2 * f, f)
        self.e_conv6 = SeparableConv(2 * f, f)
        self.e_conv7 = SeparableConv(2 * f, 3)

    def thumbnail(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) -> (B, 3, H // scale, W // scale): the frame the map is estimated from.
        Averaging (not point-sampling) keeps sensor noise out of the estimate."""
        return F.avg_pool2d(x, self.scale, self.scale) if self.scale > 1 else x

    def small_curve_map(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 3, H // scale, W // scale) alphas in [-1, 1]."""
        return dce_body(self, self.thumbnail(x))

    def _upsample(self, small: Tensor, x: Tensor) -> Tensor:
        if self.scale == 1:
            return small
        return F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def curve_maps(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 3, H, W) full-resolution alphas."""
        return self._upsample(self.small_curve_map(x), x)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        thumbnail = self.thumbnail(x)
        small = dce_body(self, thumbnail)
        alphas = self._upsample(small, x)
        return curve_output(x, alphas, self.iterations, self.curve_rule, (thumbnail, small)), alphas

    def last_layer(self) -> nn.Module:
        return self.e_conv7


def load_official_state_dict(net: nn.Module, state: Mapping[str, Tensor]) -> None:
    """Load a checkpoint in the officially released format into ``net``.

    The release (``Epoch99.pth`` for Zero-DCE, ``Epoch99.pth`` of Zero-DCE++) stores keys
    ``e_conv1..7.{weight,bias}`` or ``e_conv1..7.{depth_conv,point_conv}.{weight,bias}``, maybe
    prefixed ``module.`` by DataParallel, and applies the curve with the opposite sign; the last
    layer is negated here so our formula gives the released behaviour.
    """
    cleaned = {k.removeprefix("module."): v for k, v in state.items()}
    try:
        net.load_state_dict(cleaned, strict=True)
    except RuntimeError as e:
        raise ModelError(f"checkpoint does not fit {getattr(net, 'arch', 'network')}: {e}") from e
    last = net.last_layer()
    # Negate only the final linear map (the pointwise conv of a separable block).
    final = last.point_conv if isinstance(last, SeparableConv) else last
    with torch.no_grad():
        for p in final.parameters():
            p.neg_()
