"""The C finish after the burst's decoder graph equals the network's own (models.nets.burst.BurstNet.finish)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.errors import ConfigError  # noqa: E402
from models.nets.burst import BurstNet  # noqa: E402
from models.nets.frame import to_float, to_uint8  # noqa: E402
from models.runtime.burst_finish import finish  # noqa: E402


def torch_finish(prediction: np.ndarray, frame: np.ndarray) -> np.ndarray:
    return to_uint8(BurstNet.finish(torch.from_numpy(prediction), to_float(torch.from_numpy(frame[None])))).numpy()


def case(height: int, width: int, level: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A prediction around mid-grey with highlights past white, and a frame with some white pixels."""
    rng = np.random.default_rng(seed)
    prediction = rng.normal(0.6, 0.5, (1, 12, (height + 1) // 2, (width + 1) // 2)).astype(np.float32)
    frame = np.clip(rng.normal(level, 25, (height, width, 3)), 0, 255).astype(np.uint8)
    frame[::7, ::5] = 255
    return prediction, frame


# Dark (all of the prediction), half-way, exposed (the frame itself); odd sizes crop the shuffle.
@pytest.mark.parametrize(("height", "width", "level"), [(360, 640, 15.0), (45, 77, 52.0), (77, 45, 120.0), (1, 1, 5.0)])
def test_finish_equals_the_network_rule(height: int, width: int, level: float) -> None:
    prediction, frame = case(height, width, level)
    got = finish(prediction, frame)
    assert got.shape == frame.shape and got.dtype == np.uint8
    np.testing.assert_array_equal(got, torch_finish(prediction, frame))


def test_highlights_are_bent_below_white_unless_the_frame_was_white() -> None:
    prediction = np.full((1, 12, 2, 2), 3.0, np.float32)  # three times white
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[0, 0] = 255  # a lamp the camera had white (the frame stays dark on average)
    got = finish(prediction, frame)
    assert got[0, 0].tolist() == [255, 255, 255]
    assert got.reshape(-1, 3)[1:].max() < 255


def test_bad_shapes_get_a_clear_error() -> None:
    prediction, frame = case(8, 8, 10.0)
    with pytest.raises(ConfigError, match="too small"):
        finish(prediction[:, :, :2], frame)
    with pytest.raises(ConfigError, match=r"\(1, 12, h, w\)"):
        finish(prediction[:, :6], frame)
