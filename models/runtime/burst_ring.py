"""Streaming burst inference: one encoder and one decoder pass per new frame.

The full-burst graph (``burst.onnx``) encodes every frame of the burst on every call, N encoder
passes per frame. Beside it ship two graphs (:func:`models.export.onnx.export_stream_graphs`): the
encoder (one frame -> its features) and the decoder (the burst's features + the newest frame's ->
the prediction, which :func:`models.runtime.burst_finish.finish` makes the enhanced frame of).
:class:`StreamingBurstSession` keeps each frame's features in a ring, pools
the ring outside the graphs (:func:`models.runtime.burst_pool.pool`, one C loop), so a
call whose burst is the previous burst moved on by one frame (what the pipeline's BurstBuffer
hands over) encodes only the new frame. Any other burst (a seek, a new size, a caller that passes
unrelated frames) is recognised by comparing the frames themselves and re-encoded in full, so the
result always equals the full-burst graph. :class:`FeatureRing` is that logic alone; the torch
backend runs it too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.errors import ModelError
from models.registry import companion_path
from models.runtime.burst_finish import finish
from models.runtime.burst_pool import pool


def open_streaming(onnx_path: Path, providers: list[str], options) -> StreamingBurstSession | None:
    """The streaming session for a full-burst graph, or ``None`` when its pair is not beside it."""
    encoder, decoder = companion_path(onnx_path, "encoder"), companion_path(onnx_path, "decoder")
    if not (encoder.is_file() and decoder.is_file()):
        return None
    return StreamingBurstSession(encoder, decoder, providers, options)


class FeatureRing:
    """The streaming logic, whatever runs the two halves: ``enhance(frames)``: (T, H, W, 3) uint8
    RGB, oldest first -> (H, W, 3) uint8 RGB.

    ``encode(frame)``: one (H, W, 3) uint8 frame -> its features, one (1, c, h, w) array per level;
    ``pool(ring, newest)``: one level's features of the burst (T, c, h, w) in slot order and the
    newest frame's slot -> the pooled features; ``decode(pooled, newest, frame)``: the pooled features
    per level, the newest frame's, and the newest frame (1, H, W, 3) -> the enhanced frame; ``concat``
    joins per-frame features along the first axis (``np.concatenate`` or ``torch.cat``).
    """

    def __init__(self, encode: Callable, pool: Callable, decode: Callable, concat: Callable) -> None:
        self._encode_fn, self._pool, self._decode, self._concat = encode, pool, decode, concat
        self._frames: np.ndarray | None = None  # copies of the burst's frames, slot order
        self._rings: list = []  # per level (T, c, h, w), slot order
        self._order: list[int] = []  # slots, oldest first
        self.encoded = 0  # encoder passes so far (for tests and benchmarks)

    def _encode(self, frame: np.ndarray) -> list:
        self.encoded += 1
        return self._encode_fn(frame)

    def _rebuild(self, frames: np.ndarray) -> None:
        t = len(frames)
        feats: list[list] = []
        for k in range(t):
            same = k > 0 and np.array_equal(frames[k], frames[k - 1])
            feats.append(feats[-1] if same else self._encode(frames[k]))
        self._rings = [self._concat([f[level] for f in feats]) for level in range(len(feats[0]))]
        self._frames = frames.copy()
        self._order = list(range(t))

    def _follows(self, frames: np.ndarray) -> bool:
        """Is ``frames`` the stored burst moved on by one frame?"""
        stored = self._frames
        if stored is None or stored.shape != frames.shape:
            return False
        return all(np.array_equal(frames[k], stored[self._order[k + 1]]) for k in range(len(frames) - 1))

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        frames = np.asarray(frames)
        if self._follows(frames):
            slot = self._order.pop(0)  # the oldest frame's slot takes the new frame
            new = self._encode(frames[-1])
            for ring, f in zip(self._rings, new, strict=True):
                ring[slot] = f[0]
            self._frames[slot] = frames[-1]
            self._order.append(slot)
        else:
            self._rebuild(frames)
        newest = self._order[-1]
        return self._decode([self._pool(r, newest) for r in self._rings], [r[newest : newest + 1] for r in self._rings],
                            frames[-1:])


class StreamingBurstSession(FeatureRing):
    """The ring on ONNX Runtime: ``enhance(frames)``: (T, H, W, 3) uint8 RGB, oldest first -> (H, W, 3) uint8 RGB."""

    def __init__(self, encoder: Path, decoder: Path, providers: list[str], options) -> None:
        import onnxruntime as ort

        try:
            self.encoder = ort.InferenceSession(str(encoder), options, providers=providers)
            self.decoder = ort.InferenceSession(str(decoder), options, providers=providers)
        except Exception as e:  # ORT raises its own exception types for a bad graph
            raise ModelError(f"cannot load the streaming burst graphs {encoder}, {decoder}: {e}") from e
        self.providers = self.encoder.get_providers()
        # A decoder that ends at the prediction leaves the finish to one C loop (models.runtime.burst_finish);
        # one exported before that returns the enhanced frame itself.
        self._finish = "prediction" in {o.name for o in self.decoder.get_outputs()}
        names = {i.name for i in self.decoder.get_inputs()}
        meta = self.decoder.get_modelmeta().custom_metadata_map
        if "ring1" in names:  # a decoder exported before the pool left the graph: it pools the rings itself
            self._inputs, self._consistency = "ring", None
        elif "pooled1" in names and "consistency" in meta:
            self._inputs, self._consistency = "pooled", float(meta["consistency"])
        else:
            raise ModelError(f"{decoder} is not a streaming burst decoder (inputs {sorted(names)}): "
                             "export it again with 'streamer export'")
        self._start_ring()

    def _start_ring(self) -> None:
        FeatureRing.__init__(self, self._run_encoder, self._run_pool, self._run_decoder, np.concatenate)

    def for_stream(self) -> StreamingBurstSession:
        """The same two sessions with a ring of its own: one per video."""
        other = copy.copy(self)
        other._start_ring()
        return other

    def _run_encoder(self, frame: np.ndarray) -> list[np.ndarray]:
        return self.encoder.run(["f1", "f2", "f3"], {"frame": frame[None]})

    def _run_pool(self, ring: np.ndarray, newest: int) -> np.ndarray:
        return ring if self._consistency is None else pool(ring, newest, self._consistency)

    def _run_decoder(self, pooled: list[np.ndarray], newest: list[np.ndarray], frame: np.ndarray) -> np.ndarray:
        inputs = {f"{self._inputs}{i + 1}": r for i, r in enumerate(pooled)}
        inputs |= {f"new{i + 1}": r for i, r in enumerate(newest)}
        if self._finish:
            return finish(self.decoder.run(["prediction"], inputs)[0], frame[0])
        inputs["frame"] = frame
        return self.decoder.run(["enhanced"], inputs)[0]
