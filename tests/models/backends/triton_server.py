"""A Triton server on loopback for the tests: PyTriton serving a repository's ``model.onnx`` through ONNX
Runtime on the CPU, with dynamic batching.

Run by ``.venv-pytriton/bin/python`` (PyTriton needs numpy<2, which the project's own venv does not
have; ``.ci/run`` makes that venv): ``python triton_server.py REPO MODEL --http-port P --grpc-port G
--metrics-port M [--batch-log FILE]``. It serves until killed. The batcher waits up to
``--queue-delay-us`` for a second request and runs at once when two are there (preferred batch size
2); each batch's size is appended to ``--batch-log``, so a test can see two concurrent requests run as
one batch (PyTriton keeps Triton's statistics API behind a token). The repository's own ``config.pbtxt``
is for a real tritonserver; PyTriton makes its own from the same names, types and shapes.
"""

from __future__ import annotations

import argparse
import os
import sysconfig
from pathlib import Path

import numpy as np
import onnxruntime as ort
from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("repo", type=Path)
    p.add_argument("model")
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--grpc-port", type=int, required=True)
    p.add_argument("--metrics-port", type=int, required=True)
    p.add_argument("--queue-delay-us", type=int, default=200_000)
    p.add_argument("--batch-log", type=Path, help="append each batch's size here, one a line")
    args = p.parse_args()
    # PyTriton's Python-backend stub loads libpython from the loader's path: make it this interpreter's
    # own, or a stub linked to the system's libpython runs this interpreter's standard library (a
    # pyenv Python of another patch release fails in multiprocessing).
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir:
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [libdir, os.environ.get("LD_LIBRARY_PATH")]))
    session = ort.InferenceSession(str(args.repo / args.model / "1" / "model.onnx"), providers=["CPUExecutionProvider"])

    @batch
    def infer(frames: np.ndarray) -> dict[str, np.ndarray]:
        if args.batch_log is not None:
            with args.batch_log.open("a") as log:
                log.write(f"{len(frames)}\n")
        return {"enhanced": session.run(["enhanced"], {"frames": frames})[0]}

    config = TritonConfig(http_address="127.0.0.1", http_port=args.http_port, grpc_address="127.0.0.1",
                          grpc_port=args.grpc_port, metrics_address="127.0.0.1", metrics_port=args.metrics_port)
    with Triton(config=config) as triton:
        triton.bind(
            model_name=args.model,
            infer_func=infer,
            inputs=[Tensor(name="frames", dtype=np.uint8, shape=(-1, -1, 3))],
            outputs=[Tensor(name="enhanced", dtype=np.uint8, shape=(-1, -1, 3))],
            config=ModelConfig(max_batch_size=8, batcher=DynamicBatcher(
                max_queue_delay_microseconds=args.queue_delay_us, preferred_batch_size=[2])),
            strict=True,
        )
        triton.serve()


if __name__ == "__main__":
    main()
