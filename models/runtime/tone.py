"""The colour-true curve rule on the CPU: one fused pass per frame (OpenCV and a small C loop).

Mirrors :func:`models.nets.tone.apply_colour_true` (read its docstring for what the rule does and
why) for frames as they travel, (H, W, 3) uint8 RGB: per pixel the brightest channel goes through
the curve (the upsampled curve map, already scaled by the frame's exposure strength), the colour
is shrunk towards grey near black, small luma steps to the neighbourhood (noise) are smoothed, and
all three channels get the curve's gain. The
same float32 arithmetic as the torch rule, so the two agree to one uint8 level (rounding order).

One pass with no temporaries (the C loop of ``_tone.c``, built with the package, in bands of pixels
on every core, :mod:`models.runtime.parallel`) after the 5x5 box sums of the frame (OpenCV, exact in
16 bits). The loop is vectorized (AVX2 where the CPU has it, ``_simd.h``): at 720p it takes about
4 ms of one core (13-14 ms as one scalar loop, which was the largest share of the main thread).
"""

from __future__ import annotations

import cv2
import numpy as np

from models.runtime.parallel import run_bands
from models.runtime.srgb import srgb_to_linear
from models.runtime.temporal import apply_curves_np

# The rule's numbers, here so that the CPU path needs no torch (models.nets.tone imports them).

# Rec. 601 luma weights (what a video encoder's Y is made of).
LUMA = (0.299, 0.587, 0.114)
# Mean luma (of 1) at or below which the curve runs at full strength, and at or above which the
# frame is left as it is. LOL's darkest validation frames have a mean of 0.014, its brightest 0.14;
# a mean of 0.2 (50 of 255) is already-watchable footage.
DARK = 30.0 / 255.0
BRIGHT = 55.0 / 255.0
# The same fade for the burst model, which predicts the frame itself and was trained without it: from
# 40 to 60 of 255. With 30 to 55 two of LOL's 50 held-out dark images (luma 36) were pulled half-way
# back to the input: 19.83 dB against 20.08 (SSIM 0.712 both); with 40 to 65, 20.08 / 0.712. The exposed
# 1080p night clip of benchmarks/eval_real.py (mean luma 62-64 of 255 over its first 48 frames) kept
# 2-12 % of the prediction up to 65, which made its blocks stand out (blockiness 1.296 against the
# camera file's 1.281); up to 60 it is left as it is, as the curve models leave it (no LOL image and
# no synthetic night clip lies between 40 and 65).
BURST_DARK = 40.0 / 255.0
BURST_BRIGHT = 60.0 / 255.0
# The burst model's highlight shoulder (models.nets.tone.highlight_shoulder): where its prediction,
# which is not bounded, starts to be bent below white. The network brightens a lamp's surroundings
# past 1, and clamping made them white: LOL's dark photos as benchmarks/eval_real.py's clip had 0.51 %
# of their pixels newly clipped (the target is 0.1 %), the real phone clip 0.13 %. Measured on LOL's
# 50 held-out pairs (the torch model, each still as a burst of 6; PSNR / SSIM, newly clipped pixels)
# and on the night clips (benchmarks/eval_burst.py --frames 24, GT-mean PSNR static / pan / infrared):
#   none                                            20.019 / 0.7102, 0.808 %; 27.65 / 27.12 / 24.84
#   from 0.8                                        20.039 / 0.7110, 0.000 %; 27.71 / 27.03 / 24.74
#   from 0.9 (shipped)                              20.026 / 0.7105, 0.000 %; 27.65 / 27.10 / 24.82
# (0.8 took the pan under the anchor's 27.04, exposure gain + nlmeans). With the prediction let through
# in part from an input channel of 230 up (not only where it is 255): 0.003 % newly clipped. A toe as
# well (the output bent smoothly to black below 8 to 16 levels, against a 2nd-percentile luma of 26.5
# on those photos, whose truth has 37) moved neither: 20.038 to 20.028, p2 26.5 to 25.9.
BURST_SHOULDER = 0.9
# Input luma at which half of a pixel's colour is kept (6 levels of 255), and at which its colour is
# half its own and half its 5x5 neighbourhood's (24 levels).
# Measured again with the toe and the exposure gain (LOL's 50 held-out pairs, the exact path; the night
# clips' panning and static shots, streamer enhance's default chain, GT-mean PSNR / SSIM): 6 levels
# (shipped) 22.349 / 0.7569, 25.95 / 0.757, 28.30 / 0.727; 3 levels 22.220 / 0.7442, 26.66 / 0.761,
# 27.78 / 0.711; 1.5 levels 22.059 / 0.7417, 27.04 / 0.765, 27.13 / 0.695. The synthetic camera's
# panning shot (a blue floor at 5 input levels, which the floor greys) wants less of it; LOL's real
# sensor noise and the synthetic static shot want it; the real photos decide. A larger box for the
# colour (9x9, 15x15) did not help (colour bled): 1.5 levels and 9x9 26.75 / 0.739, 26.81 / 0.645.
# Later (toe 13 levels; the night clips' two scenes a shot, 12 frames, the default chain, GT-mean PSNR /
# SSIM, static then pan, against the shipped rule's 26.74 / 0.600 and 25.46 / 0.688; the anchor at 12
# frames 26.32 and 26.90 dB): the floor on the 5x5 box's brightest channel instead of the pixel's luma
# (a saturated dark blue has a low luma but a channel well above the camera's black) 26.11, 26.43 (the
# pan's blue-floor scene 23.81 -> 25.99); the same only where the box is saturated ((max - min) / max from
# 0.6, all of it from 0.8; near-neutral dark areas still greyed) 26.66 / 0.596, 26.49; from 0.7 to 0.85
# 26.72 / 0.598, 26.30; a 9x9 box for the colour with the first 26.03, 26.39. Not shipped: what the
# pan gains the static shot loses, whose camera is green-heavy (0.85, 1, 0.75: the floor greys its cast),
# and its SSIM is level with the anchor's (0.657 against 0.656 over 24 frames).
CHROMA_FLOOR = 6.0 / 255.0
CHROMA_SMOOTH = 24.0 / 255.0
CHROMA_BOX = 5
# The floor weighs the evidence of colour: the pixel's luma, and how far the 5x5 box's channels spread
# (its brightest minus its darkest) beyond CHROMA_SPREAD_FROM, times CHROMA_SPREAD: Y**4 + (k * (spread -
# s0))**4 against F**4. Noise and the codec's confetti average out in the box; the colour of a dark blue
# floor (2.6, 6.5, 12.4 levels: luma 6, spread 10) does not, and the luma alone greyed it (half its
# colour gone). A camera's own offsets are flat too, so they do not average out, but they are small: 2-3
# levels of Cb / Cr are a spread of up to 6 levels in RGB (a blue-ish black of (1, 0, 5) stays grey);
# a neutral grey with the camera's cast (0.85, 1, 0.75 at 10 levels: spread 2.5) is greyed as before.
# Measured (benchmarks/eval_burst.py --frames 24, the default chain with the temporal denoiser's warm-up;
# GT-mean PSNR / SSIM, static then pan; the gain + nlmeans anchor 26.32 / 0.656, 27.04 / 0.723). With
# the denoiser at 8 levels and 10 times the median: the luma alone 27.76 / 0.677, 26.17 / 0.766 (the pan
# under the anchor: its blue-floor scene at 24.4 dB); k 1 from 0 levels 27.62 / 0.669, 27.27 / 0.781
# (but the blue-ish black kept a third of its colour: a violet sky); k 0.8 from 0 27.68 / 0.672, 27.06 /
# 0.779; k 2 from 5 levels 27.63 / 0.672, 27.18 / 0.780; k 2.5 from 6 27.63 / 0.672, 27.14 / 0.779; k 3
# from 6 27.61 / 0.671, 27.23 / 0.780. The denoiser's 8 levels lifted LOL's dark photos as a clip
# (benchmarks/eval_real.py) to p2 24.6, so it stays at 6 (10 times the median); there: k 3 from 6 27.58 /
# 0.669, 27.03 / 0.754 (the pan 0.01 dB under); k 4 from 6 (shipped) 27.54 / 0.668, 27.12 / 0.755 (the
# blue-floor scene 26.6 dB); k 3 from 5 27.53 / 0.668, 27.15 / 0.756; k 6 from 6 27.49 / 0.667, 27.19 /
# 0.756. LOL's 50 held-out pairs (the fast path and deblocking, as streamer enhance runs a photo): the luma
# alone 22.331 / 0.7592; k 3 from 6 22.371 / 0.7590; k 4 from 6 22.361 / 0.7583; k 6 from 6 22.347 /
# 0.7570; k 3 from 5 22.366 / 0.7581; k 4 from 5 22.349 / 0.7567. A 9x9 or 15x15 box for the spread
# scored as the 5x5 (k 1 from 0: what it finds is the scene's colour, not noise).
CHROMA_SPREAD = 4.0
CHROMA_SPREAD_FROM = 6.0 / 255.0
# Luma steps from the 5x5 neighbourhood's luma (input levels) at which half of the difference is
# smoothed away (a full-strength curve only): smaller steps are the sensor's noise, which the curve
# would brighten, larger ones the scene's edges and texture. Measured with the shipped curve maps
# (zero-dce++ as streamer enhance runs it: LOL's 50 held-out pairs PSNR / SSIM; the night clips'
# static shot GT-mean PSNR / SSIM and temporal noise, 16 frames): off 20.752 / 0.6924, 21.17 / 0.326,
# 13.8; 3 levels 20.947 / 0.7257, 22.85 / 0.432, 10.1; 4 levels 20.934 / 0.7088, 23.58 / 0.480, 8.6;
# 5 levels 20.889 / 0.6900, 24.06 / 0.514, 7.4; 8 levels 20.668 / 0.6384, 24.36 / 0.528, 6.0.
LUMA_NOISE = 4.0 / 255.0
# Step 5's curve share has a toe: the curve's gain fades to none as the max channel falls to black,
# linearly from CURVE_TOE (a Zero-DCE curve's slope at black is (1 + a) ** 8, up to 70x: a pixel of 1
# level came out at 35, and LOL's dark photos as a clip had their darkest 2 % at 25.8 of 235 (BT.601),
# over benchmarks/eval_real.py's 24: a grey fog where the camera's black was). LOL's own normal-light
# photos put those pixels at 44.8, so every level of toe moves the output away from LOL's truth.
# Measured first with the curve as the whole tone (the fast path alone, LOL's 50 held-out pairs PSNR /
# SSIM; the 2nd-percentile luma of the 24 LOL stills of eval_real, not re-encoded):
#   no toe                                                  22.342 / 0.7430, p2 28.0
#   the gain 0 at black, full from 2 / 3 / 4 / 6 levels      22.309 / 0.7420, 26.3; 22.262 / 0.7408, 24.6;
#                                                           22.200 / 0.7396, 23.7; 22.040 / 0.7372, 22.9
#   0 up to 0.5 level, full from 2.5 / 3.5 levels           22.264 / 0.7406, 24.6; 22.205 / 0.7393, 23.7
#   0 up to 1 level, full from 3 levels                     22.210 / 0.7371, 22.9
#   the same on the 5x5 box's max channel (black regions    22.248 / 0.7367, 23.7 (0 up to 1, full from 3)
#   only, not dark texture)
# With 0.8 of the output the exposure gain (below; the toe then acts on the curve's fifth, the exact
# path, torch): no toe 22.664 / 0.7578, p2 26.3; full from 3 levels 22.633 / 0.7573, 25.4; 6 levels
# 22.557 / 0.7577, 24.6; 8 levels 22.494 / 0.7577, 23.7; 10 levels 22.424 / 0.7575, 23.7; 12 levels
# 22.349 / 0.7569, 23.7. The clip itself, as benchmarks/eval_real.py runs it (streamer enhance:
# smoothing, temporal denoiser, deblocking, H.264 in and out): no toe p2 25.8, 8 levels 24.4, 12 levels
# 23.8, 16 levels 23.8. The night clips' static shot (benchmarks/eval_burst.py, default chain, GT-mean):
# no toe 27.91 / 0.679, 8 levels 27.68 / 0.661, 12 levels 27.54 / 0.657 (the anchor 26.32 / 0.656); the
# panning shot 25.88 / 0.737, 25.91 / 0.736, 25.91 / 0.733.
# Once the clip's encode was made deterministic (one x264 thread: the 23.8 at 12 levels had been the
# encoder's luck), 12 levels read 24.1, over the target. Again on the clip and LOL's pairs (the fast
# path): 12 levels 24.1, 22.353 / 0.7569; 13 levels (shipped) 23.8, 22.315 / 0.7565; 14 levels 23.8,
# 22.279 / 0.7561; 16 levels 23.8, 22.209 / 0.7553. The exposure part's toe lifted later instead
# (LIFT from 2.1 to 3.6 levels, or 1.5 to 4.6) also read 23.8 but cost more: 22.197 / 0.7488, 22.134 /
# 0.7481; and earlier, from 3 to 6 levels, 22.110 / 0.7397 without moving p2.
CURVE_TOE = 13.0 / 255.0
# Step 5 of the rule (models.nets.tone): the share of the output that is an exposure gain in linear
# light (to the curve's own brightness), the rest being the local curve; the shape of that gain's toe
# and shoulder. Measured with the shipped curve maps: LOL's 50 held-out pairs PSNR / SSIM (the fast
# path alone), and on the first 24 frames of the real phone clip (night_clips, as streamer enhance runs
# it by default, not re-encoded) the 2nd-percentile BT.601 luma and the newly clipped pixels:
#   the curve alone (EXPOSURE_MIX 0)                       20.910 / 0.6996, p2 24.9, 0.162 %
#   half and half, the exact toe (a linear-light gain)      22.611 / 0.7512
#   half and half, the toe a square root                    22.652 / 0.7527, p2 30.1, 0.216 % (grey blacks)
#   half and half, the toe half-way to a square root        22.252 / 0.7422, p2 26.6, 0.217 %
#   half and half, the toe a straight line                  21.815 / 0.7282, p2 23.3, 0.217 %
#   0.35 of the gain, the toe a straight line               21.663 / 0.7224, p2 23.7, 0.198 %
#   half and half, straight toe, shoulder from 0.8          21.759 / 0.7281, p2 23.3, 0.187 %
#                                         shoulder from 0.7 21.699 / 0.7279, p2 23.3, 0.164 %
#                                         shoulder from 0.6 21.620 / 0.7275, p2 23.3, 0.141 %
#   the same, the shoulder from 0.7 at a large gain, none at a gain of 1 (shoulder_start: an exposed
#   frame keeps its highlights)                             21.722 / 0.7280, p2 23.3, 0.167 %
#   the same, the toe straight up to a level, then bent towards a square root (LIFT, in levels):
#     from 0 to 0.1 (the square root)                       22.514 / 0.7517, p2 30.2
#     from 1.0 to 2.6                                       22.407 / 0.7462, p2 23.5
#     from 1.5 to 3.1 (kept)                                22.342 / 0.7430, p2 23.3, 0.167 %
#     from 1.5 to 5.1                                       22.198 / 0.7380, p2 23.3
#     from 2.6 to 6.2                                       22.052 / 0.7336, p2 23.3
# The night clips made without noise (benchmarks/eval_burst.py's noise-free row, GT-mean PSNR / SSIM
# static, pan, infrared): the curve alone 25.0 / 0.762, 24.5 / 0.819, 25.4 / 0.795; half and half with
# the square-root toe and no shoulder 27.65 / 0.827, 26.78 / 0.867, 29.45 / 0.854. A frame already
# exposed has a gain of 1 and is left as it is, like the curve leaves it.
# Then, with that toe and shoulder, more of the exposure gain (LOL as above, the fast path alone; the
# night clips' static / pan / infrared shots GT-mean PSNR / SSIM as streamer enhance runs them, 24
# frames, two scenes a shot; the real phone clip's newly clipped pixels, as benchmarks/eval_real.py
# measures them, its target at most 0.1 %):
#   half and half, shoulder from 0.7                        22.342 / 0.7430; 26.82 / 0.661, 24.62 / 0.685,
#                                                           23.41 / 0.521; 0.096 %
#   0.65 of the gain                                        22.601 / 0.7517; 27.22 / 0.670, 24.82 / 0.691,
#                                                           23.68 / 0.525; 0.098 %
#   0.8 of the gain                                         22.735 / 0.7579; 27.55 / 0.678, 24.97 / 0.697,
#                                                           23.90 / 0.527; 0.0995 %
#   0.8, shoulder from 0.6 (shipped)                        22.668 / 0.7578; 0.079 %
#   0.9, shoulder from 0.6                                  22.699 / 0.7607
#   the gain alone (1.0), shoulder from 0.7 / 0.6           22.709 / 0.7623 (27.83 / 0.687, 25.06 / 0.702,
#                                                           24.06 / 0.530; 0.103 %); 22.678 / 0.7624
# The scenes these are measured on are one exposure of a lit scene (LOL's pairs, the synthetic cameras'
# exposure drop), which a single gain undoes; a fifth of the local curve is kept for what they do not
# hold: a street lamp beside a dark doorway, where the curve lifts the doorway more than the lamp.
EXPOSURE_MIX = 0.8
# Measured, not shipped: a shoulder fitted to the frame (its brightest input value through the gain put
# at 250 levels, none when that stays under it; the input's white kept as now). The night clips as above:
# the static shot unchanged (26.73), the pan 25.46 -> 25.65 (the blue-floor scene's lit windows, where
# the truth is white, 23.81 -> 24.13). A frame's brightest value moves with its noise and with what
# enters the view, so its highlights would pulse; too little gained for that.
# Where sRGB's straight toe ends (IEC 61966-2-1): 10.3 of 255.
TOE = 0.04045
# Where the exposure part's shoulder starts (of 1) at a large gain (shoulder_start).
SHOULDER = 0.6
# Where the exposure half's toe starts to lift the shadows, and where it lifts them fully (of 1: 1.5
# and 3.1 levels of 255; exposure_curve).
LIFT = (0.15 * TOE, 0.3 * TOE)
# The exposure gain's denominator floor (an idle curve's ratio must stay 1 on near-black thumbnail pixels).
_TINY = 1e-6
# The max-channel value below which a pixel counts as black (the gains' denominators, the means').
_EPS = 1.0 / 255.0


def exposure_gain(thumbnail: np.ndarray, curved: np.ndarray) -> float:
    """Step 5's gain: how much the curve brightens the frame, as one factor in linear light.

    ``thumbnail`` (3, h, w) float32 in [0, 1]: the frame box-averaged to the curve map's size;
    ``curved`` (h, w) or (1, h, w): its max channel through the curve (the channels' mean map,
    already scaled by the exposure strength). The mean linear light of the thumbnail through the
    curve (one gain per pixel, step 1) over its own mean linear light; 1 where the curve is idle, 0
    for a black frame. Mirrors the torch rule's.
    """
    value = thumbnail.max(0)
    lit = srgb_to_linear(thumbnail * (curved.reshape(value.shape) / np.maximum(value, _TINY)))
    return float(lit.mean()) / max(float(srgb_to_linear(thumbnail).mean()), _EPS**2)


def exposure_curve(v: np.ndarray, gain: float) -> np.ndarray:
    """Step 5's exposure curve (models.nets.tone) of sRGB values ``v`` in [0, 1], float32.

    Above the sRGB toe (``v > TOE``, 10 levels) the exposure ``gain`` in linear light, which there is
    the straight line ``gain ** (1 / 2.4) * (v + 0.055) - 0.055`` in sRGB values. In the toe, from
    black to that line's value at the knee: a straight line up to ``LIFT[0]``, from ``LIFT[1]`` on
    bent towards a square root by ``1 - 1 / gain`` (the lift a gain in linear light gives the
    shadows), a ramp between (the darkest levels, a camera's black and its noise, stay black). Above
    :func:`shoulder_start` ``s`` the rest of the way to white is approached, never reached
    (``s + d / (1 + d / (1 - s))`` for ``d`` above ``s``). At a gain of 1 the curve is ``v``.
    """
    root = np.float32(gain) ** np.float32(1.0 / 2.4)
    toe_slope = (root * np.float32(TOE + 0.055) - np.float32(0.055)) / np.float32(TOE)
    lift = np.float32(1.0 - 1.0 / gain if gain > 1.0 else 0.0)
    v = np.asarray(v, np.float32)
    u = v * np.float32(1.0 / TOE)
    ramp = np.clip((v - np.float32(LIFT[0])) * np.float32(1.0 / (LIFT[1] - LIFT[0])), 0.0, 1.0)
    toe = toe_slope * np.float32(TOE) * (u + lift * ramp * (np.sqrt(np.maximum(u, 0.0)) - u))
    out = np.maximum(np.where(v <= TOE, toe, root * (v + np.float32(0.055)) - np.float32(0.055)), 0.0)
    start = np.float32(shoulder_start(gain))
    over = np.maximum(out - start, 0.0)
    shoulder = start + over / (np.float32(1.0) + over / np.float32(max(1.0 - start, 1e-6)))
    return np.where(out > start, shoulder, out).astype(np.float32)


def shoulder_start(gain: float) -> float:
    """Where step 5's shoulder starts for an exposure ``gain``: ``SHOULDER`` for a large gain, 1 (none)
    at a gain of 1 (a frame the curve leaves alone keeps its highlights), ``1 - (1 - SHOULDER) (1 - 1 / gain)``."""
    return 1.0 - (1.0 - SHOULDER) * (1.0 - 1.0 / gain) if gain > 1.0 else 1.0


def strength_of_mean(mean: float, dark: float = DARK, bright: float = BRIGHT) -> float:
    """The exposure strength of a frame whose mean luma is ``mean`` (of 1): 1 dark, 0 exposed."""
    return float(np.clip((bright - mean) / (bright - dark), 0.0, 1.0))


def exposure_strength(rgb: np.ndarray, dark: float = DARK, bright: float = BRIGHT) -> float:
    """:func:`models.nets.tone.exposure_strength` of an (H, W, 3) uint8 RGB frame: 1 dark, 0 exposed."""
    means = cv2.mean(rgb)[:3]
    return strength_of_mean(sum(w * m for w, m in zip(LUMA, means, strict=True)) / 255.0, dark, bright)


def burst_strength(rgb: np.ndarray) -> float:
    """The burst model's :func:`exposure_strength` (``BURST_DARK`` to ``BURST_BRIGHT``): how much of its
    prediction it keeps (:func:`models.nets.tone.strength_blend`), the rest being the frame itself."""
    return exposure_strength(rgb, BURST_DARK, BURST_BRIGHT)


class ColourTrueCurves:
    """``apply(rgb, alphas, strength, thumbnail, gain=None)``: the colour-true rule with a low-resolution
    curve map.

    ``rgb`` (H, W, 3) uint8 RGB; ``alphas`` (C, h, w) float32 in [-1, 1] (C = 3, their mean is the
    map; or 1), already multiplied by ``strength`` (:func:`exposure_strength`), which also sets the
    colour fade; ``thumbnail`` (3, h, w) float32 in [0, 1], the frame at the map's size, which sets
    step 5's :func:`exposure_gain`; ``gain`` (1, h, w) float32 or None: a gain at the map's size
    multiplied onto the result (temporal smoothing's,
    :class:`models.runtime.temporal.BrightnessStabilizer`: in the same pass, where multiplying the
    finished frame by the upsampled gain took 2 ms a 720p frame on one core). The maps are upsampled
    bilinearly (half-pixel centres, as torch's ``align_corners=False``). Returns a new (H, W, 3) uint8
    RGB frame. Reuses its buffers between frames of a size: not thread-safe.
    """

    def __init__(self, iterations: int = 8) -> None:
        from models.runtime import _tone

        self.iterations = iterations
        self._kernel = _tone.apply
        self._maps = np.empty(0, np.float32)
        self._sums = np.empty(0, np.uint16)

    def apply(self, rgb: np.ndarray, alphas: np.ndarray, strength: float, thumbnail: np.ndarray,
              gain: np.ndarray | None = None) -> np.ndarray:
        height, width, _ = rgb.shape
        curve = alphas.mean(0, dtype=np.float32)
        exposure = exposure_gain(thumbnail, apply_curves_np(thumbnail.max(0, keepdims=True), curve[None], self.iterations))
        # The curve parameter and the gain side by side, upsampled in one call.
        small = np.empty((*curve.shape, 2), np.float32)
        small[..., 0] = curve
        small[..., 1] = 1.0 if gain is None else gain.reshape(curve.shape)
        if self._maps.shape != (height, width, 2):
            self._maps = np.empty((height, width, 2), np.float32)
        cv2.resize(small, (width, height), dst=self._maps, interpolation=cv2.INTER_LINEAR)
        rgb = np.ascontiguousarray(rgb)
        if self._sums.shape != rgb.shape:
            self._sums = np.empty(rgb.shape, np.uint16)
        # The box's sums, exact in 16 bits (a uint8 average would round the colour it brings in); the
        # kernel divides. (A blur of the frame at 256 x took 1.7 ms at 720p, this 0.7.)
        blurred = cv2.boxFilter(rgb, cv2.CV_16U, (CHROMA_BOX, CHROMA_BOX), dst=self._sums, normalize=False,
                                borderType=cv2.BORDER_REPLICATE)
        out = np.empty_like(rgb)
        flat_rgb, flat_blurred, flat_maps, flat_out = (a.reshape(-1) for a in (rgb, blurred, self._maps, out))
        floor4, smooth2, noise4 = (CHROMA_FLOOR * 255.0) ** 4, (CHROMA_SMOOTH * 255.0) ** 2, (LUMA_NOISE * 255.0) ** 4

        def pixels(begin: int, end: int) -> None:
            self._kernel(flat_rgb[3 * begin : 3 * end], flat_blurred[3 * begin : 3 * end], flat_maps[2 * begin : 2 * end],
                         flat_out[3 * begin : 3 * end], float(strength), floor4, smooth2, CURVE_TOE * 255.0,
                         self.iterations, noise4,
                         1.0 / CHROMA_BOX**2, 1.0 - EXPOSURE_MIX, exposure, SHOULDER, *LIFT,
                         CHROMA_SPREAD**4, CHROMA_SPREAD_FROM * 255.0)

        run_bands(pixels, height * width)
        return out
