"""Networks, training, export, inference backends and shipped weights.

- :mod:`models.registry`: one record per architecture (how to build, wrap, export, stream, smooth,
  train and card it); :mod:`models.catalog`: the shipped weights, one record per model name;
  :mod:`models.checkpoint`: torch checkpoints; :mod:`models.imagefiles`; :mod:`models.errors`.
- :mod:`models.nets`: the networks (torch) and the uint8 frame contract they run behind.
- :mod:`models.training`: data, synthetic dark cameras, losses, metrics, the trainers.
- :mod:`models.export`: ONNX export and model cards.
- :mod:`models.runtime`: what runs beside a network at inference without torch (the lookup-table
  fast path, temporal smoothing, the burst feature ring).
- :mod:`models.backends`: ONNX Runtime, torch and TensorRT, one module each.
- ``models/weights/``: the shipped files and their cards.

Importing this package is cheap: torch, onnxruntime and tensorrt are imported only by the
modules that use them. ``models`` never imports ``streamer`` or ``web``.
"""
