"""The live services behind ``streamer serve``: shared pipelines for server-side sources and the webcam.

- :mod:`streamer.live.pool`: the loaded models of one server (one :class:`~streamer.live.pool.ModelPool`,
  shared by everything below), each video's stream on them, and a backend whose model can be switched
  between two frames.
- :mod:`streamer.live.batcher`: one model call for the frames of several cameras that are ready together.
- :mod:`streamer.live.cameras`: many configured cameras in one process (``streamer run``, ``serve --cameras``).
- :mod:`streamer.live.channel`: the one pipeline of one source and its viewers' subscriptions.
- :mod:`streamer.live.broadcaster`: every channel of a server; starts and releases them as viewers come and go.
- :mod:`streamer.live.webcam`: frames pushed by a visitor's webcam, enhanced newest-first.
- :mod:`streamer.live.adjust`: the per-viewer picture controls (strength, exposure, split view).
"""
