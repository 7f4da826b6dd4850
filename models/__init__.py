"""Networks, losses, training, export, inference backends and shipped weights.

Importing this package is cheap: torch, onnxruntime and tensorrt are imported only by the
modules that use them. ``models`` never imports ``streamer`` or ``web``.
"""
