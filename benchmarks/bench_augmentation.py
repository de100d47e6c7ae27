"""Throughput of the full fast.ai-style transform set: one batched call vs one image at a time.

    python benchmarks/bench_augmentation.py                 # CPU, 64x64 and 224x224
    python benchmarks/bench_augmentation.py --device cuda   # on a GPU
    python benchmarks/bench_augmentation.py --study         # + the study: local loop vs Ray

For each size it augments the same images twice: as one ``[B, 3, H, W]`` batch per call (how
the training loop uses it) and as B calls on ``[1, 3, H, W]`` (how a per-item dataset
transform works), and prints images per second for both and their ratio. Every call draws new
random parameters, so both do the same work: flip, warp, rotate, zoom, brightness, contrast.

``--study`` also times the regularization study (the default run's data, model and grid) on
the local loop and on Ray with ``--ray-cpus`` CPUs, checks that both give the same table, and
prints both wall times and their ratio (Ray's includes starting Ray and its workers).
"""

from __future__ import annotations

import argparse
import time

import torch

from l6pipeline.core.executors import LocalExecutor, RayExecutor
from l6pipeline.vision.augmentation.augment import AugmentConfig, build_transforms
from l6pipeline.vision.augmentation.batch import apply


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(fn, n_images: int, device: torch.device, min_seconds: float) -> float:
    """Images per second of ``fn`` (which augments ``n_images``), repeated for ``min_seconds``."""
    fn()  # warm-up: allocations, kernel selection
    _sync(device)
    runs, start = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        _sync(device)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return runs * n_images / elapsed


def measure(
    size: int, batch: int, device: torch.device, min_seconds: float = 1.0
) -> tuple[float, float]:
    """(batched, one-at-a-time) images per second at ``size`` x ``size``."""
    transform = build_transforms(AugmentConfig())
    images = torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(0))
    images = images.to(device)
    singles = list(images.split(1))

    @torch.no_grad()
    def batched() -> None:
        apply(transform, images)

    @torch.no_grad()
    def one_at_a_time() -> None:
        for image in singles:
            apply(transform, image)

    return (
        _rate(batched, batch, device, min_seconds),
        _rate(one_at_a_time, batch, device, min_seconds),
    )


def study_on_engines(ray_cpus: int, epochs: int) -> None:
    """Wall time of the default study on the local loop and on Ray; the tables must agree."""
    from pathlib import Path  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    from l6pipeline.vision.augmentation.study import (  # noqa: PLC0415
        digit_subsets,
        run_grid,
        summary_table,
    )
    from l6pipeline.vision.augmentation.study_config import (  # noqa: PLC0415
        StudySettings,
        grid_configs,
    )
    from l6pipeline.vision.images.data import load_mnist_digits  # noqa: PLC0415

    conf = Path(__file__).resolve().parents[1] / "conf/base/parameters_augmentation.yml"
    p = yaml.safe_load(conf.read_text())["augmentation"]
    digits = p["digits"]
    train, valid = digit_subsets(
        load_mnist_digits(), digits["n_train"], digits["n_valid"], digits["split_seed"]
    )
    settings = StudySettings.from_params(
        {
            "train": {**p["study"]["train"], "epochs": epochs, "device": "cpu"},
            "model": p["model"],
            "augment": {**p["transforms"], **digits["transforms"]},
        }
    )
    configs = grid_configs(p["study"]["grid"])
    print(
        f"regularization study: {len(configs)} configurations x {epochs} epochs on "
        f"{len(train)} digits"
    )
    tables, seconds = {}, {}
    engines = {
        "local loop": LocalExecutor(),
        f"Ray, {ray_cpus} CPUs": RayExecutor(num_cpus=ray_cpus),
    }
    for name, executor in engines.items():
        start = time.perf_counter()
        with executor as engine:
            results = run_grid(configs, train, valid, settings, executor=engine)
        seconds[name] = time.perf_counter() - start
        tables[name] = summary_table(results).drop(columns="seconds")
    local, on_ray = tables.values()
    print(f"same table on both engines: {local.equals(on_ray)}")
    (local_s, ray_s), names = seconds.values(), list(seconds)
    print(f"{names[0]}: {local_s:.1f} s; {names[1]}: {ray_s:.1f} s; ratio {local_s / ray_s:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
    parser.add_argument("--batch", type=int, default=64, help="images per batch")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (torch default)")
    parser.add_argument("--study", action="store_true", help="also: the study, local vs Ray")
    parser.add_argument("--ray-cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--study-epochs", type=int, default=20, help="epochs per configuration")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(
        f"full transform set (flip, warp, rotate, zoom, brightness, contrast) on {device}, "
        f"{torch.get_num_threads()} CPU threads, batch of {args.batch}"
    )
    print(f"{'size':>9} {'batched img/s':>14} {'one-by-one img/s':>17} {'ratio':>7}")
    for size in args.sizes:
        batched, single = measure(size, args.batch, device, args.seconds)
        print(f"{size:>4}x{size:<4} {batched:>14,.0f} {single:>17,.0f} {batched / single:>6.1f}x")
    if args.study:
        study_on_engines(args.ray_cpus, args.study_epochs)


if __name__ == "__main__":
    main()
