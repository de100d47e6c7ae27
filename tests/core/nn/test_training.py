"""The shared one-cycle loop: it learns, it is deterministic on CPU, and it logs per epoch."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.optim.swa_utils import get_ema_multi_avg_fn

from l6pipeline.core.nn import (
    EmbeddingTable,
    EpochResult,
    TrainConfig,
    fit_one_cycle,
    predict,
    seed_everything,
)
from l6pipeline.core.nn.training import ema_with_warmup, make_optimizer, parameter_groups
from l6pipeline.core.params import ParameterError


def _regression_data(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(n, 1, generator=g)
    return x, y


def _fit(seed: int = 0, epochs: int = 3):
    seed_everything(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.BatchNorm1d(16), nn.Linear(16, 1))
    config = TrainConfig(
        epochs=epochs, batch_size=32, lr=3e-2, seed=seed, device="cpu", progress=False
    )
    history = fit_one_cycle(
        model,
        nn.functional.mse_loss,
        train=_regression_data(512, 1),
        valid=_regression_data(128, 2),
        config=config,
        metrics={"mae": lambda p, t: (p - t).abs().mean()},
    )
    return model, history


def test_learns_a_linear_map():
    _, history = _fit(epochs=5)
    assert history[-1].valid_loss < 0.1 * history[0].train_loss
    assert [r.epoch for r in history] == list(range(5))
    assert set(history[-1].as_dict()) == {"train_loss", "valid_loss", "lr", "mae"}


def test_same_seed_same_history_and_weights():
    model_a, history_a = _fit(seed=7)
    model_b, history_b = _fit(seed=7)
    assert [r.as_dict() for r in history_a] == [r.as_dict() for r in history_b]
    for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_different_seed_different_run():
    _, history_a = _fit(seed=7)
    _, history_b = _fit(seed=8)
    assert history_a[-1].valid_loss != history_b[-1].valid_loss


def test_on_epoch_end_gets_every_epoch():
    seen: list[EpochResult] = []
    model = nn.Linear(4, 1)
    fit_one_cycle(
        model,
        nn.functional.mse_loss,
        train=_regression_data(64, 1),
        valid=_regression_data(16, 2),
        config=TrainConfig(epochs=2, batch_size=16, device="cpu", progress=False),
        on_epoch_end=seen.append,
    )
    assert [r.epoch for r in seen] == [0, 1]


def test_weight_decay_skips_biases_and_norms():
    table = EmbeddingTable([(5, 3), (2, 2)])
    model = nn.Sequential(nn.Embedding(5, 3), table, nn.Linear(3, 2), nn.BatchNorm1d(2))
    decay, no_decay = parameter_groups(model, wd=0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    decayed = {id(p) for p in decay["params"]}
    assert decayed == {id(model[0].weight), id(table.weight), id(model[2].weight)}
    not_decayed = {id(p) for p in no_decay["params"]}
    assert not_decayed == {id(model[2].bias), id(model[3].weight), id(model[3].bias)}


def test_optimizer_has_fastai_adam_constants():
    optimizer = make_optimizer(nn.Linear(3, 2), lr=1e-3, wd=0.01)
    assert optimizer.defaults["betas"] == (0.9, 0.99) and optimizer.defaults["eps"] == 1e-5


def test_optimizer_is_fused_adamw_on_cpu_floats():
    optimizer = make_optimizer(nn.Linear(3, 2), lr=1e-3, wd=0.01)
    assert isinstance(optimizer, torch.optim.AdamW)
    assert optimizer.defaults["fused"] is True


def test_predict_returns_cpu_outputs_for_every_row():
    model = nn.Linear(4, 1)
    out = predict(model, [torch.randn(10, 4)], batch_size=3, device="cpu")
    assert out.shape == (10, 1) and out.device.type == "cpu"
    assert not model.training


def test_unknown_training_parameter_is_rejected():
    with pytest.raises(ValueError, match="unknown training parameters"):
        TrainConfig.from_params({"epochs": 1, "epochz": 2})


def _scripted_fit(values: list[float], monitor: str | None, patience: int | None = None):
    """Train with a validation metric that reads ``values`` epoch by epoch; record the weights
    after every epoch."""
    script = iter(values)
    snapshots: list[dict[str, torch.Tensor]] = []
    model = nn.Linear(4, 1)
    history = fit_one_cycle(
        model,
        nn.functional.mse_loss,
        train=_regression_data(64, 1),
        valid=_regression_data(16, 2),
        config=TrainConfig(
            epochs=len(values),
            batch_size=16,
            device="cpu",
            progress=False,
            monitor=monitor,
            patience=patience,
        ),  # fmt: skip
        metrics={"score": lambda p, t: next(script)},
        on_epoch_end=lambda r: snapshots.append(
            {k: v.clone() for k, v in model.state_dict().items()}
        ),
    )
    return model, history, snapshots


def test_checkpoint_keeps_the_best_epoch_not_the_last():
    model, history, snapshots = _scripted_fit([0.5, 0.2, 0.4, 0.3], monitor="score")
    assert [r.kept for r in history] == [False, True, False, False]
    for name, value in model.state_dict().items():
        assert torch.equal(value, snapshots[1][name])
        assert not torch.equal(value, snapshots[-1][name])


def test_without_monitor_the_last_epoch_is_kept():
    model, history, snapshots = _scripted_fit([0.5, 0.2, 0.4], monitor=None)
    assert [r.kept for r in history] == [False, False, True]
    for name, value in model.state_dict().items():
        assert torch.equal(value, snapshots[-1][name])


def test_early_stop_after_patience_epochs_without_improvement():
    _, history, _ = _scripted_fit([0.5, 0.2, 0.4, 0.3, 0.1, 0.05], monitor="score", patience=2)
    assert [r.epoch for r in history] == [0, 1, 2, 3]
    assert [r.kept for r in history] == [False, True, False, False]


def test_monitoring_an_unknown_metric_names_the_choices():
    with pytest.raises(
        ValueError, match="'accuracy': one of \\['valid_loss', 'train_loss', 'score'\\]"
    ):
        _scripted_fit([0.5], monitor="accuracy")


def test_lr_must_be_resolved_before_training():
    with pytest.raises(ValueError, match="auto"):
        fit_one_cycle(
            nn.Linear(4, 1),
            nn.functional.mse_loss,
            train=_regression_data(16, 1),
            valid=_regression_data(16, 2),
            config=TrainConfig(epochs=1, lr="auto", device="cpu", progress=False),
        )


def _fit_with_ema(ema: float | None):
    seed_everything(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-2, device="cpu", progress=False, ema=ema)
    history = fit_one_cycle(
        model, nn.functional.mse_loss, _regression_data(256, 1), _regression_data(64, 2), config
    )
    return model, history, initial


def test_ema_of_zero_decay_is_the_plain_run():
    plain, plain_history, _ = _fit_with_ema(None)
    averaged, averaged_history, _ = _fit_with_ema(0.0)
    assert [r.valid_loss for r in plain_history] == [r.valid_loss for r in averaged_history]
    for a, b in zip(plain.state_dict().values(), averaged.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_ema_lies_between_the_start_and_the_plain_run():
    plain, _, initial = _fit_with_ema(None)
    averaged, _, _ = _fit_with_ema(0.9)
    weight = "0.weight"
    start, end, mean = initial[weight], plain.state_dict()[weight], averaged.state_dict()[weight]
    assert not torch.equal(mean, end) and not torch.equal(mean, start)
    assert (mean - end).norm() < (start - end).norm()


def _fit_keeping(stop_after=None, keep_states=False, valid=True, ema=None):
    seed_everything(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    config = TrainConfig(epochs=4, batch_size=64, lr=3e-2, seed=0, progress=False, ema=ema)
    history = fit_one_cycle(
        model,
        nn.functional.mse_loss,
        train=_regression_data(256, 1),
        valid=_regression_data(64, 2) if valid else None,
        config=config,
        stop_after=stop_after,
        keep_states=keep_states,
    )
    return model, history


@pytest.mark.parametrize("ema", [None, 0.9])
def test_stopping_after_an_epoch_gives_that_epoch_of_the_full_schedule(ema):
    """A refit that stops at the chosen epoch holds the weights the tuning run had there."""
    _, full = _fit_keeping(keep_states=True, ema=ema)
    stopped, history = _fit_keeping(stop_after=1, valid=False, ema=ema)
    assert [r.epoch for r in history] == [0, 1]
    for name, value in stopped.state_dict().items():
        assert torch.equal(value, full[1].state[name]), name
    assert full[1].predictions.shape == (64, 1)  # validation predictions kept per epoch


def test_without_validation_nothing_is_evaluated_or_monitored():
    _, history = _fit_keeping(valid=False)
    assert all(math.isnan(r.valid_loss) for r in history) and len(history) == 4
    with pytest.raises(ValueError, match="without a validation split"):
        fit_one_cycle(
            nn.Linear(4, 1),
            nn.functional.mse_loss,
            _regression_data(64, 1),
            None,
            TrainConfig(epochs=1, monitor="valid_loss", progress=False),
        )
    with pytest.raises(ValueError, match="stop_after"):
        _fit_keeping(stop_after=4)


def test_the_moving_average_forgets_the_untrained_start():
    """Start 1 (BatchNorm's initial running variance), then a steady 0.02: after 300 updates
    the warmed-up average sits at 0.02, where PyTorch's constant-decay EMA still holds the start."""
    update = ema_with_warmup(0.99)
    mean, value = [torch.ones(4)], [torch.full((4,), 0.02)]
    for n in range(1, 301):
        update(mean, value, torch.tensor(n))
    assert torch.allclose(mean[0], value[0], rtol=0.05)
    constant, plain = [torch.ones(4)], get_ema_multi_avg_fn(0.99)
    for n in range(1, 301):
        plain(constant, value, torch.tensor(n))
    assert (constant[0] > 3 * value[0]).all()  # what the warm-up avoids


def test_one_cycle_starts_at_lr_over_div_and_ends_at_lr_over_div_final():
    seen_lrs: list[float] = []
    model = nn.Linear(2, 1)
    data = (torch.randn(32, 2), torch.randn(32, 1))
    config = TrainConfig(epochs=2, batch_size=8, lr=0.01, div=10.0, div_final=1e4, progress=False)
    original_step = torch.optim.AdamW.step

    def recording_step(self, *args, **kwargs):
        seen_lrs.append(self.param_groups[0]["lr"])
        return original_step(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.optim.AdamW, "step", recording_step)
        fit_one_cycle(model, nn.functional.mse_loss, data, None, config)
    assert math.isclose(seen_lrs[0], 0.01 / 10)
    assert max(seen_lrs) <= 0.01 + 1e-12
    assert math.isclose(seen_lrs[-1], 0.01 / 1e4, rel_tol=0.05)


def test_betas_must_be_two_numbers_below_one():
    with pytest.raises(ParameterError, match="betas"):
        TrainConfig(betas=[0.9])
    with pytest.raises(ParameterError, match=r"betas\[1\]"):
        TrainConfig(betas=[0.9, 1.5])
