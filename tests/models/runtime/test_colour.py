"""Colour from the input: the network's brightness, the input's colour, neutral where the input is
too dark to say."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ConfigError
from models.runtime.colour import ColourConfig, colour_from_input
from models.runtime.srgb import linear_to_srgb, srgb_to_linear

FULL = ColourConfig(strength=1.0)
NO_KNEE = ColourConfig(strength=1.0, knee=254.0, ceiling=255.0)  # highlights as they are, up to 254
Y709 = np.array([0.2126, 0.7152, 0.0722], np.float32)


def encode(linear: np.ndarray) -> np.ndarray:
    return np.floor(linear_to_srgb(linear) * 255.0 + 0.5).astype(np.uint8)


def linear(rgb: np.ndarray) -> np.ndarray:
    return srgb_to_linear(rgb / 255.0)


def patches(h: int = 48, w: int = 96) -> np.ndarray:
    """A scene of flat colour patches (linear light): orange, red, blue, green, grey, in 16x16 tiles."""
    colours = np.array([[0.8, 0.3, 0.05], [0.6, 0.05, 0.05], [0.05, 0.1, 0.7], [0.1, 0.5, 0.1], [0.3, 0.3, 0.3]],
                       np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    return colours[((yy // 16) + (xx // 16)) % len(colours)]


def reference(out: np.ndarray, newest: np.ndarray, c: ColourConfig) -> np.ndarray:
    """The rule written out in numpy, float64."""
    import cv2

    source = cv2.blur(linear(newest).astype(np.float64), (c.box, c.box), borderType=cv2.BORDER_REPLICATE)
    sy = source @ Y709
    lin = linear(out).astype(np.float64)
    frame_gain = max((lin @ Y709).mean() / max((source @ Y709).mean(), 1e-9), 1.0)
    own = linear(newest).astype(np.float64) @ Y709
    most = np.minimum(c.most_gain * sy, c.most_over_frame * frame_gain * np.maximum(sy, own)) + 0.1 / 255.0 / 12.92
    lin = lin * np.minimum(1.0, most / np.maximum(lin @ Y709, 1e-12))[..., None]
    floor, full = (float(srgb_to_linear(np.float32(v / 255.0))) for v in (c.floor, c.full))
    evidence = c.spread * (source.max(-1) - source.min(-1) - float(srgb_to_linear(np.float32(c.spread_from / 255.0))))
    share = np.clip((np.maximum(sy, evidence) - floor) / (full - floor), 0, 1) * c.strength
    target = source * ((lin @ Y709) / np.maximum(sy, 1e-6))[..., None]
    mixed = lin + share[..., None] * (target - lin)
    # Where that takes a channel past the network's own largest and past 254 levels: less of the share.
    cap = np.maximum(lin.max(-1), float(srgb_to_linear(np.float32(254 / 255))))[..., None]
    over = mixed > cap
    t = np.where(over, (cap - lin) / np.where(over, mixed - lin, 1.0), 1.0).min(-1, keepdims=True)
    mixed = lin + t * (mixed - lin)
    # The largest channel bent from the knee towards the ceiling, where the network's output is not white.
    knee, ceiling = (float(srgb_to_linear(np.float32(v / 255.0))) for v in (c.knee, c.ceiling))
    m = mixed.max(-1, keepdims=True)
    bent = (knee + (m - knee) / (1.0 + (m - knee) / (ceiling - knee))) / np.maximum(m, 1e-12)
    mixed = np.where((m > knee) & (lin.max(-1, keepdims=True) < 1.0), mixed * bent, mixed)
    return encode(mixed.astype(np.float32))


def test_a_washed_out_output_gets_the_inputs_colour_and_keeps_its_brightness() -> None:
    scene = patches()
    dark = encode(scene / 20.0)  # an exposure 20 times too short: dark, the same ratios in linear light
    truth = encode(scene)
    washed = encode(np.repeat((scene @ Y709)[..., None], 3, 2))  # the truth's brightness, no colour at all
    out = colour_from_input(washed, dark, NO_KNEE)  # the orange's red, 231, is over the knee
    inner = (slice(4, -4), slice(4, -4))  # away from the window's reach across patch edges (box 9)
    inside = np.zeros(scene.shape[:2], bool)
    inside[(np.mgrid[0:48, 0:96] % 16 >= 4).all(0) & (np.mgrid[0:48, 0:96] % 16 < 12).all(0)] = True
    assert np.abs(out[inside].astype(int) - truth[inside]).max() <= 3
    assert np.abs(washed[inside].astype(int) - truth[inside]).max() > 60  # what was wrong was colour
    # Brightness is the network's: the luminance of every pixel is kept.
    assert np.abs(linear(out)[inner] @ Y709 - linear(washed)[inner] @ Y709).max() < 0.02


def test_it_matches_the_rule_written_out() -> None:
    rng = np.random.default_rng(0)
    dark = np.clip(encode(patches() / 12.0).astype(int) + rng.integers(-4, 5, (48, 96, 3)), 0, 255).astype(np.uint8)
    out = rng.integers(0, 256, (48, 96, 3)).astype(np.uint8)
    for config in (ColourConfig(), FULL, ColourConfig(box=3, floor=1.0, full=30.0, strength=0.4, most_gain=3.0),
                   ColourConfig(most_over_frame=0.8), ColourConfig(spread=0.0), ColourConfig(spread=8.0, spread_from=2.0)):
        assert np.abs(colour_from_input(out, dark, config).astype(int) - reference(out, dark, config)).max() <= 1


def test_too_dark_an_input_or_no_strength_leaves_the_output_as_it_is() -> None:
    rng = np.random.default_rng(1)
    out = rng.integers(0, 25, (40, 40, 3)).astype(np.uint8)  # within 60 times the input: not capped
    black = rng.integers(1, 3, (40, 40, 3)).astype(np.uint8)  # below the floor of 4 levels everywhere
    # (the bound relative to the frame's gain set aside: this random output lifts some places 3x more)
    assert np.array_equal(colour_from_input(out, black, ColourConfig(most_over_frame=100.0)), out)
    out = rng.integers(0, 231, (40, 40, 3)).astype(np.uint8)  # below the highlight knee
    bright = rng.integers(0, 256, (40, 40, 3)).astype(np.uint8)
    assert np.array_equal(colour_from_input(out, bright, ColourConfig(strength=0.0, most_over_frame=100.0)), out)


def test_a_clear_dark_colour_is_taken_from_the_input_and_a_cameras_offset_is_not() -> None:
    # A dark blue floor (luma 6, channels 10 levels apart) under a network that greyed it: the input's
    # blue comes back; a blue-ish black of (1, 0, 5) levels (a camera's offset) stays as the network had it.
    floor = np.full((24, 24, 3), (3, 6, 12), np.uint8)
    grey = np.full((24, 24, 3), 40, np.uint8)  # the network's output: the floor's brightness, no colour
    got = colour_from_input(grey, floor).astype(int)[12, 12]
    assert got[2] - got[0] > 12  # blue again
    assert got[2] - got[0] < 10 * (12 - 3)  # and no more saturated than the input
    weak = colour_from_input(grey, floor, ColourConfig(spread=0.0)).astype(int)[12, 12]
    assert weak[2] - weak[0] < 0.5 * (got[2] - got[0])  # the luminance alone gave little of it
    offset = colour_from_input(np.full((24, 24, 3), 12, np.uint8), np.full((24, 24, 3), (1, 0, 5), np.uint8))
    assert np.ptp(offset[12, 12].astype(int)) <= 1


def test_black_in_black_out() -> None:
    rng = np.random.default_rng(3)
    lifted = rng.integers(10, 30, (40, 40, 3)).astype(np.uint8)  # a network that lifts black to grey 10-30
    black = np.zeros((40, 40, 3), np.uint8)
    assert colour_from_input(lifted, black).max() <= 1
    # Elsewhere the cap is far away: 60 times a 1-level input is about 36 levels.
    dim = np.full((40, 40, 3), 1, np.uint8)
    assert np.array_equal(colour_from_input(lifted, dim, ColourConfig(most_over_frame=100.0)), lifted)


def test_no_place_is_lifted_much_more_than_the_frame() -> None:
    """A network that lifts a near-black corner (a camera's black and its noise) six times more than the
    rest of the frame: the corner is held to twice the frame's own gain; the rest is as it was."""
    scene = np.full((48, 48, 3), 0.02, np.float32)  # a dim grey scene, linear light
    scene[:16, :16] = 0.001  # a near-black corner
    dark = encode(scene)
    lifted = scene * 8.0
    lifted[:16, :16] *= 6.0  # the corner lifted 48x, the rest 8x
    out = colour_from_input(encode(lifted), dark, ColourConfig(strength=0.0))
    gain = linear(out) / np.maximum(linear(dark), 1e-6)
    frame = (linear(out) @ Y709).mean() / (linear(dark) @ Y709).mean()
    assert gain[:10, :10].max() <= 2.0 * frame * 1.05 < 48.0  # the corner, away from the window's reach
    assert np.abs(out[24:, 24:].astype(int) - encode(lifted)[24:, 24:]).max() <= 1  # the rest as it was
    # A small light (one pixel, white in a dark place) is not dimmed: its own input counts, not only its
    # neighbourhood's average.
    lamp = dark.copy()
    lamp[30, 30] = 255
    lit = encode(lifted)
    lit[30, 30] = 255
    assert colour_from_input(lit, lamp, ColourConfig(strength=0.0))[30, 30].min() >= 249  # the highlight bend only
    # A frame lifted evenly is not touched.
    even = encode(scene * 8.0)
    assert np.abs(colour_from_input(even, dark, ColourConfig(strength=0.0)).astype(int) - even).max() <= 1


def test_a_grey_input_gives_a_grey_output() -> None:
    rng = np.random.default_rng(2)
    grey = np.repeat(rng.integers(10, 60, (40, 40, 1)), 3, 2).astype(np.uint8)
    out = rng.integers(0, 256, (40, 40, 3)).astype(np.uint8)  # a network's colour noise
    result = colour_from_input(out, grey, FULL).astype(int)
    assert np.abs(result[..., 0] - result[..., 1]).max() <= 1 and np.abs(result[..., 1] - result[..., 2]).max() <= 1


@pytest.mark.parametrize("level", [(0, 0, 0), (255, 255, 255), (200, 30, 10), (0, 0, 255)])
def test_flat_frames_stay_finite_and_true(level: tuple[int, int, int]) -> None:
    frame = np.full((24, 24, 3), level, np.uint8)
    out = colour_from_input(frame, frame, FULL)
    assert np.abs(out.astype(int) - frame).max() <= 1  # a frame that is its own input's colour is unchanged


def test_bad_shapes_and_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="one size"):
        colour_from_input(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 10, 3), np.uint8))
    for bad in ({"box": 4}, {"box": 0}, {"floor": 12.0, "full": 4.0}, {"strength": 1.5}, {"most_gain": 0.0},
                {"most_over_frame": 0.0}, {"spread": -1.0}, {"spread_from": -1.0}):
        with pytest.raises(ConfigError):
            ColourConfig(**bad)


def test_the_inputs_colour_makes_no_white_the_input_did_not_have() -> None:
    """A saturated blue lamp the network washed out to a bright grey: the input's blue at that
    luminance would need a blue channel far past white. Less of the colour is taken instead, the
    luminance is kept, and a lamp that is white in the network's output stays white."""
    blue = np.zeros((24, 24, 3), np.uint8)
    blue[...] = (10, 20, 120)  # the input: a dark, saturated blue, no channel clipped
    washed = np.full((24, 24, 3), 200, np.uint8)  # the network: bright, nearly grey
    out = colour_from_input(washed, blue, NO_KNEE)
    assert out.max() == 254  # as blue as fits below white
    assert out[..., 2].mean() > out[..., 0].mean() + 20
    assert np.abs(linear(out) @ Y709 - linear(washed) @ Y709).max() < 0.01  # at the network's luminance
    assert colour_from_input(washed, blue, FULL).max() <= FULL.ceiling  # and the knee bends it further
    white = np.full((24, 24, 3), 255, np.uint8)
    assert np.array_equal(colour_from_input(white, np.full((24, 24, 3), 255, np.uint8), FULL), white)


def test_highlights_keep_headroom_below_white_and_a_white_lamp_stays_white() -> None:
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, 2).repeat(4, 0)  # grey 0..255
    lit = np.full_like(ramp, 200)  # an input bright enough that its own colour (grey) is taken
    out = colour_from_input(ramp, lit, FULL)
    assert np.array_equal(out[:, :231], ramp[:, :231])  # below the knee: as the network made it
    top = out[0, 231:255, 0].astype(int)
    assert (np.diff(top) >= 0).all() and top.max() <= FULL.ceiling  # bent, in order, short of white
    assert (out[:, 255] == 255).all()  # white from the network (a lamp the input had white) stays white


def test_the_layer_acts_in_the_share_the_network_acted() -> None:
    """A network that applied none of its change (an exposed frame) gets none of the layer's; half, about half."""
    scene = patches()
    dark = encode(scene / 20.0)
    washed = encode(np.repeat((scene @ Y709)[..., None], 3, 2))
    assert np.array_equal(colour_from_input(washed, dark, FULL, amount=0.0), washed)
    full = colour_from_input(washed, dark, NO_KNEE).astype(int)
    half = colour_from_input(washed, dark, NO_KNEE, amount=0.5).astype(int)
    inner = (slice(4, -4), slice(4, -4))
    d_full, d_half = np.abs(full - washed)[inner].mean(), np.abs(half - washed)[inner].mean()
    assert 0.35 * d_full < d_half < 0.65 * d_full
