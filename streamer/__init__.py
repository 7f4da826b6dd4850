"""streamer: real-time low-light video enhancement.

Capture (:mod:`streamer.sources`) -> sliding burst buffer (:mod:`streamer.buffer`) -> model
(:mod:`models.backends`) -> sink (:mod:`streamer.sinks`), run by :mod:`streamer.pipeline` and
the ``streamer`` command (:mod:`streamer.cli`). Importing it is cheap.
"""

__version__ = "0.1.0"
