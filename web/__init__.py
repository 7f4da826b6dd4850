"""The web view of ``streamer serve``: a Gradio page (:mod:`web.app`) with live before/after, the
visitor's webcam and video upload, served by our own uvicorn (:mod:`web.server`); each tab gets its
next picture once its browser has the last (:mod:`web.delivery`). It only presents: capture, the
shared pipelines and the models are :mod:`streamer.live`.
"""
