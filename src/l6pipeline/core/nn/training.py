"""fast.ai's ``fit_one_cycle`` in plain PyTorch: AdamW under the one-cycle schedule, over whole
in-memory tensors batched by index, shared by every model here (docs/rossmann_model.md)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm.auto import tqdm

from l6pipeline.core.nn.device import cpu_threads, resolve_device
from l6pipeline.core.nn.reproducibility import seed_everything
from l6pipeline.core.params import (
    ParameterError,
    Parameters,
    check_each,
    check_int,
    check_number,
)

Tensors = Sequence[torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MetricFn = Callable[[torch.Tensor, torch.Tensor], float]

_FUSED_DTYPES = {torch.float16, torch.bfloat16, torch.float32, torch.float64}
_PROGRESS_EVERY = 20  # update the progress bar's loss every this many batches


@dataclass(frozen=True)
class TrainConfig(Parameters, what="training"):
    """Hyper-parameters of one training run (all come from Kedro parameters)."""

    epochs: int = 5
    batch_size: int = 128
    lr: float | str = 1e-3  # peak learning rate of the one-cycle schedule, or "auto" (lr_find)
    wd: float = 1e-2  # decoupled weight decay
    pct_start: float = 0.25  # share of steps spent warming up
    # fast.ai's Adam and one-cycle constants: betas, eps, the rate starts at lr / div and ends
    # at lr / div_final.
    betas: tuple[float, float] = (0.9, 0.99)
    eps: float = 1e-5
    div: float = 25.0
    div_final: float = 1e5
    seed: int = 42
    device: str = "auto"
    progress: bool = True
    num_threads: int | None = None  # CPU intra-op threads while training; None: torch's default
    monitor: str | None = None  # keep the epoch with the lowest value of this; None: the last
    patience: int | None = None  # stop after this many epochs without improving ``monitor``
    ema: float | None = None  # evaluate and keep an exponential moving average of the weights

    def __post_init__(self) -> None:
        """A value out of range names its key before any training (``l6pipeline.core.params``)."""
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_number("lr", self.lr, above=0, words=("auto",))
        check_number("wd", self.wd, minimum=0)
        check_number("pct_start", self.pct_start, above=0, below=1)
        check_each(check_number, "betas", self.betas, minimum=0, below=1)
        if len(self.betas) != 2:
            raise ParameterError("betas", "must be two numbers, e.g. [0.9, 0.99]", self.betas)
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        check_number("eps", self.eps, above=0)
        check_number("div", self.div, minimum=1)
        check_number("div_final", self.div_final, minimum=self.div)
        check_int("seed", self.seed, minimum=0)
        check_int("num_threads", self.num_threads, minimum=1, optional=True)
        check_int("patience", self.patience, minimum=1, optional=True)
        check_number("ema", self.ema, minimum=0, maximum=1, optional=True)


@dataclass
class EpochResult:
    """Losses (means over the whole split) and metrics after one epoch."""

    epoch: int
    train_loss: float
    valid_loss: float
    metrics: dict[str, float] = field(default_factory=dict)
    lr: float = 0.0
    kept: bool = False  # the epoch whose weights the model holds after training
    # The validation predictions of this epoch (on the CPU), for choices made across epochs.
    predictions: torch.Tensor | None = field(default=None, repr=False, compare=False)
    # The kept weights after this epoch (CPU copies), when ``fit_one_cycle(keep_states=True)``.
    state: dict[str, torch.Tensor] | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, float]:
        return {
            "train_loss": self.train_loss,
            "valid_loss": self.valid_loss,
            "lr": self.lr,
            **self.metrics,
        }

    def value(self, name: str) -> float:
        """``valid_loss``, ``train_loss`` or a metric, by name."""
        return self.as_dict()[name]


_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def parameter_groups(model: nn.Module, wd: float) -> list[dict]:
    """Weight decay on weights, kernels and embedding tables; none on biases and norm layers
    (fast.ai's ``wd_bn_bias=False``)."""
    decay, no_decay = [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if param.requires_grad:
                skip = isinstance(module, _NORMS) or name == "bias"
                (no_decay if skip else decay).append(param)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(
    model: nn.Module,
    lr: float,
    wd: float,
    betas: tuple[float, float] = (0.9, 0.99),
    eps: float = 1e-5,
) -> torch.optim.AdamW:
    """AdamW over :func:`parameter_groups` with fast.ai's Adam constants, fused (one kernel for
    all tensors) where the parameters allow it."""
    groups = parameter_groups(model, wd)
    params = [p for group in groups for p in group["params"]]
    fused = bool(params) and all(
        p.device.type in {"cpu", "cuda"} and p.dtype in _FUSED_DTYPES for p in params
    )
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, fused=fused or None)


def _batches(n: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(order.split(batch_size))


def _to(tensors: Tensors, device: torch.device) -> list[torch.Tensor]:
    return [t.to(device) for t in tensors]


@torch.no_grad()
def predict(
    model: nn.Module, inputs: Tensors, batch_size: int = 4096, device: str | torch.device = "auto"
) -> torch.Tensor:
    """Model outputs in eval mode for all rows of ``inputs``, returned on the CPU."""
    device = resolve_device(device) if isinstance(device, str) else device
    model = model.to(device).eval()
    inputs = _to(inputs, device)
    outputs = [
        model(*(t[idx] for t in inputs))
        for idx in torch.arange(len(inputs[0]), device=device).split(batch_size)
    ]
    return torch.cat(outputs).cpu()


def ema_with_warmup(decay: float) -> Callable:
    """An ``AveragedModel`` update: the exponential moving average with decay
    ``min(decay, (1 + n) / (10 + n))`` at update ``n`` (timm's warm-up; docs/rossmann_model.md)."""

    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n: torch.Tensor) -> None:
        step_decay = min(decay, (1 + float(n)) / (10 + float(n)))
        if torch.is_floating_point(averaged[0]) or torch.is_complex(averaged[0]):
            torch._foreach_lerp_(averaged, current, 1 - step_decay)
        else:  # integer buffers (BatchNorm's batch count)
            for mean, value in zip(averaged, current, strict=True):
                mean.copy_(mean * step_decay + value * (1 - step_decay))

    return update


def fit_one_cycle(
    model: nn.Module,
    loss_fn: LossFn,
    train: Tensors,
    valid: Tensors | None,
    config: TrainConfig,
    metrics: Mapping[str, MetricFn] | None = None,
    on_epoch_end: Callable[[EpochResult], None] | None = None,
    train_transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    stop_after: int | None = None,
    keep_states: bool = False,
) -> list[EpochResult]:
    """Train ``model`` in place on ``(*inputs, target)`` tensors; one :class:`EpochResult` per
    epoch. The options (``valid=None``, ``stop_after``, ...): docs/rossmann_model.md."""
    if stop_after is not None and not 0 <= stop_after < config.epochs:
        raise ValueError(f"stop_after must be in [0, {config.epochs}), got {stop_after}")
    with cpu_threads(config.num_threads):
        return _fit_one_cycle(
            model,
            loss_fn,
            train,
            valid,
            config,
            metrics,
            on_epoch_end,
            train_transform,
            stop_after,
            keep_states,
        )


def _fit_one_cycle(
    model: nn.Module,
    loss_fn: LossFn,
    train: Tensors,
    valid: Tensors | None,
    config: TrainConfig,
    metrics: Mapping[str, MetricFn] | None,
    on_epoch_end: Callable[[EpochResult], None] | None,
    train_transform: Callable[[torch.Tensor], torch.Tensor] | None,
    stop_after: int | None,
    keep_states: bool,
) -> list[EpochResult]:
    """The loop of :func:`fit_one_cycle`: set up, train and evaluate each epoch, keep the best."""
    _check_fit(valid, config, metrics)
    generator = seed_everything(config.seed)
    device = resolve_device(config.device)
    model.to(device)
    train = _to(train, device)
    valid = None if valid is None else _to(valid, device)
    stepper = _Stepper.one_cycle(model, config, math.ceil(len(train[0]) / config.batch_size))
    kept = model if stepper.averaged is None else stepper.averaged.module
    history: list[EpochResult] = []
    best = _BestEpoch(config.monitor)
    for epoch in range(config.epochs):
        batches = _batches(len(train[0]), config.batch_size, generator)
        train_loss = _train_epoch(
            model, loss_fn, train, batches, stepper, config, train_transform, epoch
        )
        result = _epoch_result(kept, loss_fn, valid, config, metrics)
        result.epoch, result.train_loss = epoch, train_loss
        result.lr = stepper.scheduler.get_last_lr()[0]
        if keep_states:
            result.state = {k: v.detach().cpu().clone() for k, v in kept.state_dict().items()}
        history.append(result)
        best.update(kept, result)
        if on_epoch_end is not None:
            on_epoch_end(result)
        if config.patience is not None and epoch - best.epoch >= config.patience:
            break
        if epoch == stop_after:
            break
    best.restore(kept, history)
    if stepper.averaged is not None:
        model.load_state_dict(stepper.averaged.module.state_dict())
    return history


def _check_fit(
    valid: Tensors | None, config: TrainConfig, metrics: Mapping[str, MetricFn] | None
) -> None:
    """Refuse a monitor that cannot be computed and a learning rate still ``"auto"``."""
    if valid is None and config.monitor not in (None, "train_loss"):
        raise ValueError(f"cannot monitor {config.monitor!r} without a validation split")
    if not isinstance(config.lr, int | float):
        raise ValueError(f"lr must be a number here, got {config.lr!r}: resolve 'auto' first")
    monitored = ["valid_loss", "train_loss", *(metrics or {})]
    if config.monitor is not None and config.monitor not in monitored:
        raise ValueError(f"cannot monitor {config.monitor!r}: one of {monitored}")


@dataclass
class _Stepper:
    """One optimization step: AdamW, the moving average of the weights, the one-cycle schedule."""

    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    # With ``ema``, the moving average of the weights (and BatchNorm statistics) is what is
    # evaluated, checkpointed and returned; the optimizer still steps the raw weights.
    averaged: AveragedModel | None

    @classmethod
    def one_cycle(cls, model: nn.Module, config: TrainConfig, steps_per_epoch: int) -> _Stepper:
        """AdamW (:func:`make_optimizer`) under PyTorch's one-cycle schedule over all epochs."""
        optimizer = make_optimizer(model, config.lr, config.wd, config.betas, config.eps)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=config.lr,
            total_steps=config.epochs * steps_per_epoch,
            pct_start=config.pct_start,
            div_factor=config.div,
            final_div_factor=config.div_final / config.div,  # PyTorch's is relative to lr / div
        )
        averaged = None
        if config.ema is not None:
            averaged = AveragedModel(
                model, multi_avg_fn=ema_with_warmup(config.ema), use_buffers=True
            )
        return cls(optimizer, scheduler, averaged)

    def step(self, model: nn.Module, loss: torch.Tensor) -> None:
        """Back-propagate ``loss``, step the weights, their average and the learning rate."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.averaged is not None:
            self.averaged.update_parameters(model)
        self.scheduler.step()


def _train_epoch(
    model: nn.Module,
    loss_fn: LossFn,
    train: list[torch.Tensor],
    batches: list[torch.Tensor],
    stepper: _Stepper,
    config: TrainConfig,
    train_transform: Callable[[torch.Tensor], torch.Tensor] | None,
    epoch: int,
) -> float:
    """One pass over ``batches`` (row indices) in train mode; the mean loss over all rows."""
    model.train()
    device = train[0].device
    total, seen = 0.0, 0
    bar = tqdm(
        batches,
        desc=f"epoch {epoch + 1}/{config.epochs}",
        # None: tqdm shows the bar on a terminal only, never in a log file.
        disable=None if config.progress else True,
        leave=False,
    )
    for step, batch in enumerate(bar):
        idx = batch.to(device)
        *inputs, target = (t[idx] for t in train)
        if train_transform is not None:
            inputs[0] = train_transform(inputs[0])
        loss = loss_fn(model(*inputs), target)
        stepper.step(model, loss)
        # Accumulate on the device: no host sync per step (it stalls a GPU).
        total += loss.detach() * len(idx)
        seen += len(idx)
        if config.progress and step % _PROGRESS_EVERY == 0:
            # refresh=False: tqdm redraws at its own pace, not on every batch.
            bar.set_postfix(loss=f"{float(total) / seen:.4f}", refresh=False)
    return float(total) / seen


def _epoch_result(
    kept: nn.Module,
    loss_fn: LossFn,
    valid: list[torch.Tensor] | None,
    config: TrainConfig,
    metrics: Mapping[str, MetricFn] | None,
) -> EpochResult:
    """The kept weights evaluated on ``valid``; NaN losses when there is none."""
    if valid is None:
        return EpochResult(epoch=-1, train_loss=math.nan, valid_loss=math.nan)
    return evaluate(kept, loss_fn, valid, config.batch_size * 4, metrics)


class _BestEpoch:
    """The weights of the epoch with the lowest ``monitor`` (all epochs kept when ``None``)."""

    def __init__(self, monitor: str | None) -> None:
        self.monitor = monitor
        self.value, self.epoch, self.state = math.inf, -1, None

    def update(self, model: nn.Module, result: EpochResult) -> None:
        value = result.value(self.monitor) if self.monitor else -result.epoch
        if value < self.value:  # ties keep the earlier epoch
            self.value, self.epoch = value, result.epoch
            if self.monitor:
                self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def restore(self, model: nn.Module, history: list[EpochResult]) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)
        for result in history:
            result.kept = result.epoch == self.epoch


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loss_fn: LossFn,
    data: Tensors,
    batch_size: int = 4096,
    metrics: Mapping[str, MetricFn] | None = None,
) -> EpochResult:
    """Loss over the whole split (not a mean of batch means) and metrics on all predictions."""
    *inputs, target = data
    device = next(model.parameters()).device
    preds = predict(model, inputs, batch_size, device)
    target = target.cpu()
    values = {name: float(fn(preds, target)) for name, fn in (metrics or {}).items()}
    return EpochResult(
        epoch=-1,
        train_loss=float("nan"),
        valid_loss=float(loss_fn(preds, target)),
        metrics=values,
        predictions=preds,
    )
