"""The four ways of computing a convolution, timed against F.conv2d; then one training epoch.

    python benchmarks/bench_cnn.py

Part 1 runs the spreadsheet's first layer (two 3x3 filters) and a wider layer (4 -> 8
channels) over a batch of 28x28 digits with each method of ``l6pipeline.vision.convolutions.spreadsheet``
and prints milliseconds per batch and the ratio to ``F.conv2d`` (the reference, measured in the
same run). The convolution matrix is dense here, so its memory grows with
``(C_out * H_out * W_out) x (C_in * H * W)``: it is printed too. Part 2 times one epoch of the
default classifier (4,000 digits) and of the localizer (4,000 canvases of 64x64) on one thread,
the setting of ``conf/base/parameters_cnn.yml``.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from l6pipeline.core.nn import TrainConfig
from l6pipeline.vision.cnn.classifier import CNNConfig, train_classifier
from l6pipeline.vision.convolutions.spreadsheet import METHODS, conv_matrix
from l6pipeline.vision.images.data import load_mnist_digits, stratified_split
from l6pipeline.vision.interpretation.localization import make_canvas_set


def _ms(fn, min_seconds: float = 0.5) -> float:
    fn()  # warm-up
    runs, start = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return 1000 * elapsed / runs


def bench_convolutions() -> None:
    gen = torch.Generator().manual_seed(0)
    for label, c_in, c_out, batch in (("sheet conv1", 1, 2, 64), ("4 -> 8", 4, 8, 64)):
        x = torch.randn(batch, c_in, 28, 28, generator=gen)
        w = torch.randn(c_out, c_in, 3, 3, generator=gen)
        reference = _ms(lambda x=x, w=w: F.conv2d(x, w))
        matrix_mb = conv_matrix(w, (28, 28)).numel() * 4 / 2**20
        print(f"{label}: batch {batch} x {c_in}x28x28, {c_out} filters 3x3 (valid)")
        for name, conv in METHODS.items():
            ms = _ms(lambda conv=conv, x=x, w=w: conv(x, w))
            extra = f", matrix {matrix_mb:.1f} MiB" if name == "matrix" else ""
            print(f"  {name:7s} {ms:9.3f} ms/batch  x{ms / reference:8.1f} vs conv2d{extra}")


def bench_training() -> None:
    images = load_mnist_digits()
    train, valid, _ = (
        images.subset(p) for p in stratified_split(images.labels, [0.8, 0.1, 0.1], 42)
    )
    config = TrainConfig(
        epochs=1, batch_size=128, lr=1e-2, progress=False, device="cpu", num_threads=1
    )
    runs = (
        ("classifier", train, valid, CNNConfig((16, 32, 64, 128), (2, 2, 2, 1))),
        (
            "localizer",
            make_canvas_set(train.images, train.labels, train.classes, seed=0),
            make_canvas_set(valid.images, valid.labels, valid.classes, seed=1),
            CNNConfig((16, 32, 64), (2, 2, 1)),
        ),
    )
    for name, tr, va, model in runs:
        start = time.perf_counter()
        train_classifier((tr.images, tr.labels), (va.images, va.labels), tr.classes, model, config)
        print(
            f"{name}: one epoch of {len(tr)} images, 1 thread: {time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    torch.set_num_threads(1)  # steadier figures on a small, shared machine
    bench_convolutions()
    bench_training()
