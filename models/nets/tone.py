"""Colour-true, exposure-adaptive application of light-enhancement curves (torch).

The curve networks estimate per-pixel curve parameters; how they are applied decides what a real
camera's footage looks like. Applied to each channel on its own (the papers' rule), a curve that
lifts the shadows lifts a channel that is 3 levels above black far more, relative to its value,
than one at 8 levels: the near-black colour of a camera (a codec's chroma offsets, a blue-ish
noise floor) turns into purple skies and violet ground, and every hue drifts towards grey or
magenta. Applied here instead:

1. **One gain per pixel for all three channels.** The curve is applied to ``V = max(R, G, B)`` with
   the mean of the three curve maps, and every channel is multiplied by ``LE(V) / V``. The ratios of
   the channels (hue and saturation) are the input's; the brightest channel follows the curve, so
   nothing the curve keeps below 1 can clip (the curve maps [0, 1] into [0, 1]).
2. **Exposure-adaptive.** A frame whose mean luma is at or below ``DARK`` gets the full curve; at
   or above ``BRIGHT`` (an IR camera at night, a lit car park, daylight) the curve parameter is
   scaled to 0, which leaves the frame exactly as it is; linear in between.
3. **Clean, neutral colour near black.** The darker a pixel, the more of its colour is noise and
   codec offsets (a camera's blue-ish noise floor, chroma 2-3 levels off, confetti of magenta and
   green). Two steps, both in proportion to the strength of step 2: the colour (the channels minus
   the luma) is replaced by its 5x5 box average as the pixel gets dark (weight
   ``S**2 / (Y**2 + S**2)``, ``S = CHROMA_SMOOTH``: the colour of a dark object is kept, the noise on
   it averages out), and what is left is shrunk towards grey by ``Y**4 / (Y**4 + F**4)``
   (``F = CHROMA_FLOOR``, 6 levels: nothing is left at 1-2 levels, where the colour is the camera's
   offsets, which averaging cannot remove; half at 6; 0.94 at 12; all of it from about 20 up).
   A clear colour counts as evidence too: ``Y**4`` is ``Y**4 + (k (D - D0))**4``, ``D`` the 5x5
   box's brightest channel minus its darkest, ``D0 = CHROMA_SPREAD_FROM`` (6 levels: a camera's
   offsets stay grey), ``k = CHROMA_SPREAD`` (4), so a dark blue floor 10 levels from grey keeps
   its colour (:mod:`models.runtime.tone` has the measurements).
   Measured on the 50 LOL validation pairs with the same curve maps (PSNR / SSIM): colour kept as
   it is 20.10 / 0.648; a shrink alone (``Y**2 / (Y**2 + F**2)``, F = 8 levels) 20.53 / 0.672 but
   visibly greyer shadows; the two steps as here 20.31 / 0.679.
4. **Less brightened noise.** A pixel's luma that differs from its 5x5 neighbourhood's by a small
   step is mostly sensor noise, which the curve would brighten with the picture: the step is shrunk
   by ``N**4 / (N**4 + d**4)`` (``N = LUMA_NOISE``, 4 input levels: half of a 4-level step goes, 6 %
   of an 8-level one; edges and texture of the scene, larger steps, stay), in proportion to the
   strength of step 2. Added after the curve models were fine-tuned (so not in their training loop);
   measured in :mod:`models.runtime.tone`: LOL 20.752 / 0.6924 -> 20.934 / 0.7088, the night clips'
   static temporal noise 13.8 -> 8.6 levels.
5. **Mostly an exposure, a little curve.** A curve trained to bring every region to a set brightness
   (Zero-DCE's exposure loss) flattens a scene: dark regions are lifted more than bright ones, and
   a street at night comes out as low-contrast grey. An under-exposed frame is the scene's light
   scaled down, and the exact undo is one gain in linear light, channel by channel (what a longer
   exposure of the same camera would record: the hue in linear light is kept). So the output is
   ``(1 - EXPOSURE_MIX)`` times steps 1-4 plus ``EXPOSURE_MIX`` times ``srgb(min(G * linear(c), 1))``
   of each channel ``c`` after steps 3-4, where ``G`` (:func:`exposure_gain`) is the curve's own
   brightening as one factor in linear light (the mean linear light of the frame through the
   curve over its own, on the frame averaged to the curve map's size). The network still decides
   how bright; the gain (0.8 of the output) keeps the scene's contrast, with a toe that keeps a
   camera's black down and a shoulder that keeps highlights below white; the curve (0.2) lifts a
   dark region beside a bright one more than a single gain would. The curve's gain has a toe: none
   at black, all of it from ``CURVE_TOE`` (13 levels of the max channel) up, linear between (a Zero-DCE
   curve's slope at black is up to 70x: without it a camera's black of 1-2 levels came out as a grey
   fog). Added after the curve models were trained (so not in their training loop); measured in
   :mod:`models.runtime.tone` (``EXPOSURE_MIX``, ``CURVE_TOE``).

Tensors are NCHW float RGB in [0, 1]; ``alphas`` in [-1, 1] as the networks return them (one
3-channel map shared by every iteration, or ``3 * iterations`` channels, one map per iteration).
:mod:`models.runtime.tone` computes the same on the CPU in one fused pass (the fast path).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from models.runtime.tone import (
    BRIGHT,
    BURST_BRIGHT,
    BURST_DARK,
    BURST_SHOULDER,
    CHROMA_BOX,
    CHROMA_FLOOR,
    CHROMA_SMOOTH,
    CHROMA_SPREAD,
    CHROMA_SPREAD_FROM,
    CURVE_TOE,
    DARK,
    EXPOSURE_MIX,
    LIFT,
    LUMA,
    LUMA_NOISE,
    SHOULDER,
    TOE,
)

# Below this the max channel is treated as black (the gain's denominator).
_EPS = 1.0 / 255.0
_TINY = 1e-6  # the exposure gain's (models.runtime.tone)


def luma(x: Tensor) -> Tensor:
    """(B, 3, H, W) RGB -> (B, 1, H, W) Rec. 601 luma."""
    return x[:, :1] * LUMA[0] + x[:, 1:2] * LUMA[1] + x[:, 2:3] * LUMA[2]


def exposure_strength(x: Tensor, dark: float = DARK, bright: float = BRIGHT) -> Tensor:
    """(B, 3, H, W) RGB in [0, 1] -> (B, 1, 1, 1) in [0, 1]: 1 for a dark frame (mean luma at most
    ``dark``), 0 for an exposed one (at least ``bright``), linear in between."""
    mean = luma(x).mean((2, 3), keepdim=True)
    return ((bright - mean) / (bright - dark)).clamp(0.0, 1.0)


def srgb_to_linear(x: Tensor) -> Tensor:
    """sRGB-encoded values in [0, 1] -> linear light (as :func:`models.runtime.srgb.srgb_to_linear`)."""
    return torch.where(x <= 0.04045, x / 12.92, ((x.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)


def exposure_curve(v: Tensor, gain: Tensor) -> Tensor:
    """Step 5's exposure curve of sRGB values ``v`` in [0, 1] with the exposure ``gain`` (B, 1, 1, 1):
    the gain in linear light above the sRGB toe (a straight line in sRGB values there); below it a
    straight line from black that bends towards a square root from ``LIFT`` on; white approached but
    never reached above the shoulder's start; as :func:`models.runtime.tone.exposure_curve`."""
    root = gain ** (1.0 / 2.4)
    toe_slope = (root * (TOE + 0.055) - 0.055) / TOE
    lift = torch.where(gain > 1.0, 1.0 - 1.0 / gain.clamp_min(1.0), torch.zeros_like(gain))
    u = v.clamp_min(0.0) * (1.0 / TOE)
    ramp = ((v - LIFT[0]) * (1.0 / (LIFT[1] - LIFT[0]))).clamp(0.0, 1.0)
    toe = toe_slope * TOE * (u + lift * ramp * (u.clamp_min(1e-12).sqrt() - u))
    out = torch.where(v <= TOE, toe, root * (v + 0.055) - 0.055).clamp_min(0.0)
    start = torch.where(gain > 1.0, 1.0 - (1.0 - SHOULDER) * (1.0 - 1.0 / gain.clamp_min(1.0)), torch.ones_like(gain))
    over = (out - start).clamp_min(0.0)
    return torch.where(out > start, start + over / (1.0 + over / (1.0 - start).clamp_min(1e-6)), out)


def _curve(value: Tensor, alphas: Tensor, iterations: int, strength: Tensor) -> Tensor:
    """The curve of ``value`` (B, 1, H, W) with the channels' mean of ``alphas`` (shared or one map per
    iteration), scaled by ``strength``."""
    shared = alphas.shape[1] == 3
    y = value
    for i in range(iterations):
        a = alphas if shared else alphas[:, 3 * i : 3 * i + 3]
        y = y + a.mean(1, keepdim=True) * strength * y * (1.0 - y)
    return y


def exposure_gain(thumbnail: Tensor, curved: Tensor) -> Tensor:
    """Step 5's gain (B, 1, 1, 1): the mean linear light of ``thumbnail`` (the frame averaged to the
    curve map's size) through the curve, one gain per pixel (``curved``: its max channel through the
    curve, (B, 1, h, w)), over its own; as :func:`models.runtime.tone.exposure_gain`."""
    value = thumbnail.amax(1, keepdim=True)
    lit = srgb_to_linear(thumbnail * (curved / value.clamp_min(_TINY))).mean((1, 2, 3), keepdim=True)
    return lit / srgb_to_linear(thumbnail).mean((1, 2, 3), keepdim=True).clamp_min(_EPS**2)


def apply_colour_true(x: Tensor, alphas: Tensor, iterations: int,
                      thumbnail: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """The enhanced frame (B, 3, H, W) in [0, 1] from ``x`` and full-resolution ``alphas``
    ((B, 3, H, W) shared by every iteration, or (B, 3 * iterations, H, W)): steps 1-5 of the module
    docstring. ``thumbnail``: (the frame averaged to the curve map's size, the map at that size),
    which set step 5's gain (Zero-DCE++); ``None``: ``x`` and ``alphas`` themselves."""
    strength = exposure_strength(x)
    value = x.amax(1, keepdim=True)
    y = _curve(value, alphas, iterations, strength)
    if thumbnail is None:
        gain = exposure_gain(x, y)
    else:
        small_x, small_alphas = thumbnail
        gain = exposure_gain(small_x, _curve(small_x.amax(1, keepdim=True), small_alphas, iterations, strength))
    y_in = luma(x)
    y2 = y_in * y_in
    chroma = x - y_in
    # Step 3: the neighbourhood's colour where it is dark, then shrunk towards grey near black.
    pad = CHROMA_BOX // 2
    box = F.avg_pool2d(F.pad(x, (pad, pad, pad, pad), mode="replicate"), CHROMA_BOX, 1)
    y_box = luma(box)
    smooth = box - y_box
    chroma = chroma + strength * (CHROMA_SMOOTH**2 / (y2 + CHROMA_SMOOTH**2)) * (smooth - chroma)
    y4 = y2 * y2
    spread = (box.amax(1, keepdim=True) - box.amin(1, keepdim=True) - CHROMA_SPREAD_FROM).clamp_min(0.0)
    spread4 = (CHROMA_SPREAD * spread) ** 4
    chroma = chroma * (1.0 - strength * (1.0 - (y4 + spread4) / (y4 + spread4 + CHROMA_FLOOR**4)))
    # Step 4: small luma steps to the neighbourhood (noise) shrunk.
    d2 = (y_in - y_box) ** 2
    y_in = y_in - strength * (LUMA_NOISE**4 / (LUMA_NOISE**4 + d2 * d2)) * (y_in - y_box)
    cleaned = (y_in + chroma).clamp(0.0, 1.0)
    # Step 5: the curve's gain (with its toe: none at black, all of it from CURVE_TOE up) and the
    # exposure gain in linear light (channel by channel), mixed.
    toe = (value * (1.0 / CURVE_TOE)).clamp(0.0, 1.0) if CURVE_TOE > 0.0 else 1.0
    curve_gain = 1.0 + toe * (y / value.clamp_min(_EPS) - 1.0)
    return (1.0 - EXPOSURE_MIX) * cleaned * curve_gain + EXPOSURE_MIX * exposure_curve(cleaned, gain)


def strength_blend(x: Tensor, enhanced: Tensor) -> Tensor:
    """For networks that predict the enhanced frame directly (the burst model): the output moved
    back towards the input as :func:`exposure_strength` of ``x`` falls (an exposed frame is left as it
    is), over the burst model's own range (``BURST_DARK`` to ``BURST_BRIGHT``, see :mod:`models.runtime.tone`)."""
    return x + exposure_strength(x, BURST_DARK, BURST_BRIGHT) * (enhanced - x)


def highlight_shoulder(x: Tensor, y: Tensor) -> Tensor:
    """For networks whose prediction ``y`` (B, 3, H, W) is not bounded (the burst model): each channel
    above ``BURST_SHOULDER`` bent towards white without reaching it (``s + o / (1 + o / (1 - s))`` of
    the overshoot ``o``, as step 5's shoulder), so a highlight that was not clipped in the input ``x``
    is not clipped in the output (it would take a prediction of 5.8, over five times white, to round
    to 255); where the input's channel is clipped (255), the prediction stands (a lamp that was white
    stays white)."""
    s = BURST_SHOULDER
    over = (y - s).clamp_min(0.0)
    bent = torch.where(y > s, s + over / (1.0 + over * (1.0 / (1.0 - s))), y)
    return torch.where(x >= 1.0 - 0.5 / 255.0, y, bent)
