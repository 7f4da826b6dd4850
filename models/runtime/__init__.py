"""What runs beside a network at inference, in numpy and OpenCV (and ONNX Runtime sessions), never torch:
Zero-DCE++'s lookup-table fast path (:mod:`~models.runtime.curve_lut`), temporal smoothing of the output
brightness (:mod:`~models.runtime.temporal`) and the burst model's feature ring (:mod:`~models.runtime.burst_ring`)."""
