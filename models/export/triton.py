"""Export a single-frame model as a Triton Inference Server model repository entry.

``streamer export zero-dce++ --format triton DIR`` writes::

    DIR/zero_dce_pp/config.pbtxt      ONNX Runtime backend, a batch axis, dynamic batching
    DIR/zero_dce_pp/1/model.onnx      frames (N, H, W, 3) uint8 RGB -> enhanced (N, H, W, 3) uint8 RGB

The graph is the frame contract with a batch axis (:class:`models.nets.frame.BatchFrameModel`): N
frames of N cameras, each enhanced on its own, so Triton may batch the requests of several clients.
The server holds no per-camera state: temporal smoothing and the night gate run in each client
(:func:`models.backends.wrap` around :mod:`models.backends.triton_backend`). The burst model keeps
each camera's frame features between frames, so it is refused (:func:`check_servable`).

Both files are written atomically (a temporary name, then ``os.replace``).
"""

from __future__ import annotations

import os
from pathlib import Path

from models.backends.triton_backend import check_servable, model_name
from models.catalog import Weights

# Triton may hold a request this long for others to batch with it: a fraction of a 30 fps frame time.
QUEUE_DELAY_US = 2000
MAX_BATCH_SIZE = 8

CONFIG = """\
# Written by 'streamer export {weights} --format triton': {summary}.
# frames: N frames of N cameras, (H, W, 3) uint8 RGB each; enhanced: the same shape. Requests batch
# when their frames have the same size. Per-camera state (temporal smoothing, night gate) is the client's.
name: "{name}"
backend: "onnxruntime"
max_batch_size: {max_batch_size}
input [
  {{
    name: "frames"
    data_type: TYPE_UINT8
    dims: [ -1, -1, 3 ]
  }}
]
output [
  {{
    name: "enhanced"
    data_type: TYPE_UINT8
    dims: [ -1, -1, 3 ]
  }}
]
dynamic_batching {{
  max_queue_delay_microseconds: {queue_delay_us}
}}
"""


def export_triton(net, weights: Weights, repository: Path, example_hw: tuple[int, int] = (360, 640)) -> Path:
    """Write ``net`` (the network of ``weights``, a torch module) into the Triton model repository
    ``repository`` as ``<name>/1/model.onnx`` and ``<name>/config.pbtxt``; returns the model's folder."""
    import torch

    from models.export.onnx import _export
    from models.nets.frame import BatchFrameModel

    check_servable(weights)
    name = model_name(weights)
    folder = repository / name
    example = torch.zeros((1, *example_hw, 3), dtype=torch.uint8)
    axes = {0: "batch", 1: "height", 2: "width"}
    _export(BatchFrameModel(net.eval()).eval(), (example,), folder / "1" / "model.onnx", ["frames"], ["enhanced"],
            {"frames": axes, "enhanced": axes})
    text = CONFIG.format(weights=weights.name, summary=weights.summary, name=name, max_batch_size=MAX_BATCH_SIZE,
                         queue_delay_us=QUEUE_DELAY_US)
    config = folder / "config.pbtxt"
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, config)
    return folder
