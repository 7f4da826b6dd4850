"""The night gate around a real backend: by day the frame is handed back untouched and the model not
run; at night the model's output; in between a blend of the two."""

from __future__ import annotations

import numpy as np

from models import backends, catalog
from models.backends.gated import GatedBackend
from models.runtime.gate import GateConfig
from tests.conftest import dark_frames


class _Inverting:
    """A stand-in model whose output is far from its input whatever the frame's brightness (the shipped
    models leave an exposed frame nearly as it is, which would hide the fade)."""

    name, device, burst, path = "inverting", "cpu", 1, "exact"

    def __init__(self) -> None:
        self.calls = 0

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        self.calls += 1
        return 255 - frames[-1]

    def close(self) -> None:
        pass


def test_day_frames_skip_the_model_and_night_frames_are_enhanced() -> None:
    inner = _Inverting()
    gated = GatedBackend(inner, GateConfig(fade_s=0.5, smoothing_s=0.1), frame_interval_s=0.1)
    night = [f // 6 for f in dark_frames(3, 96, 64)]  # mean luma about 12 of 255
    day = [np.clip(f.astype(int) * 2, 0, 255).astype(np.uint8) for f in dark_frames(12, 96, 64, seed=1)]
    for f in night:
        assert np.array_equal(gated.enhance(f[None]), 255 - f)
    out = [gated.enhance(f[None]) for f in day]
    assert gated.gate.switches == 1
    # The fade: between the model's output and the frame, then the frame itself with no model call.
    assert not np.array_equal(out[1], day[1]) and not np.array_equal(out[1], 255 - day[1])
    calls = inner.calls
    assert np.array_equal(out[-1], day[-1]) and gated.skipped >= 3
    gated.enhance(day[-1][None])
    assert inner.calls == calls  # by day the model is not run
    gated.close()


def test_the_real_default_model_behind_the_gate_enhances_a_night_frame_as_it_would_alone() -> None:
    weights = catalog.get("zero-dce++")
    plain = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    gated = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu", gate=GateConfig()))
    night = dark_frames(1, 96, 64)[0] // 6
    assert np.array_equal(gated.enhance(night[None]), plain.enhance(night[None]))
    gated.close()
    plain.close()


def test_open_backend_puts_the_gate_outside_the_smoothing() -> None:
    from models.backends.stabilized import StabilizedBackend
    from models.runtime.temporal import SmoothingConfig

    b = backends.open_backend("onnxruntime", catalog.get("zero-dce++"),
                              backends.BackendOptions(device="cpu", smoothing=SmoothingConfig(), gate=GateConfig()))
    assert isinstance(b, GatedBackend) and isinstance(b.inner, StabilizedBackend)
    b.close()
