"""Leaving training: ONNX export (:mod:`models.export.onnx`) and model cards (:mod:`models.export.card`,
:mod:`models.export.burst_card`), both driven by the architecture records of :mod:`models.registry`."""
