"""Output layers (deblocking, the greyscale rule) stay pipelined over a pipelined backend."""

from __future__ import annotations

import numpy as np

from models import backends, catalog
from models.backends.deblocked import DeblockedBackend
from models.backends.grey import GreyKeptBackend
from models.backends.output_layer import output_layer
from models.runtime.deblock import DeblockConfig
from tests.conftest import dark_frames
from tests.models.backends.test_stabilized import _Queued


def test_a_layer_over_a_pipelined_backend_is_pipelined_and_fetches_what_enhance_gives() -> None:
    inner = backends.open_backend("onnxruntime", catalog.get("zero-dce++"), backends.BackendOptions(device="cpu"))
    frames = [f // 3 for f in dark_frames(4, 160, 96)]
    frames[2] = np.repeat(frames[2].mean(2, keepdims=True).astype(np.uint8), 3, 2)  # a grey one among them
    for layer in (output_layer(DeblockedBackend, _Queued(inner), DeblockConfig()), output_layer(GreyKeptBackend, _Queued(inner))):
        assert isinstance(layer, backends.Pipelined)
        want = [layer.enhance(f[None]) for f in frames]
        for f in frames[:3]:
            layer.submit(f[None])
        got = [layer.fetch()]
        layer.submit(frames[3][None])
        got += layer.drain()
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert not isinstance(output_layer(GreyKeptBackend, inner), backends.Pipelined)
    inner.close()
