"""The regularization study: grids, subsets, training, tracking, tables and figures."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
import torch

from l6pipeline.core.nn import TrainConfig
from l6pipeline.core.params import ParameterError
from l6pipeline.vision.augmentation import study as S
from l6pipeline.vision.augmentation import study_config as C
from l6pipeline.vision.augmentation import study_figures as F
from l6pipeline.vision.augmentation.augment import AugmentConfig
from l6pipeline.vision.images.data import ImageSet, load_mnist_digits

TINY = C.StudySettings(
    train=TrainConfig(epochs=2, batch_size=16, lr=1e-2, device="cpu", progress=False),
    widths=(4, 8),
    augment=AugmentConfig(do_flip=False),
)


def _marked_images(ids: range, n_classes: int = 3) -> ImageSet:
    """Images whose mean encodes their id (``id / 1000`` plus at most 0.05 of noise), so a
    batch tells which images are in it; labels cycle through the classes."""
    g = torch.Generator().manual_seed(ids.start)
    images = 0.05 * torch.rand(len(ids), 1, 12, 12, generator=g)
    images += torch.tensor([i / 1000 for i in ids]).view(-1, 1, 1, 1)
    labels = torch.tensor([i % n_classes for i in ids])
    return ImageSet(images.clamp(0, 1), labels, tuple(str(c) for c in range(n_classes)))


@pytest.fixture(scope="module")
def all_digits() -> ImageSet:
    return load_mnist_digits()


@pytest.fixture(scope="module")
def digits(all_digits):
    return S.digit_subsets(all_digits, 60, 40, seed=0)


# ---- grids --------------------------------------------------------------------------------


def test_small_grid_is_every_combination_of_two_values():
    configs = C.grid_configs("small")
    assert len(configs) == 16 == len(set(configs))
    assert {c.augment for c in configs} == {False, True}
    assert {c.batch_norm for c in configs} == {False, True}


def test_full_grid_is_bigger():
    assert len(C.grid_configs("full")) == 36


def test_explicit_grid_keeps_defaults_for_missing_keys():
    configs = C.grid_configs({"wd": [0.0, 0.1], "augment": [True]})
    assert [(c.wd, c.augment) for c in configs] == [(0.0, True), (0.1, True)]
    assert all(c.p_dropout == C.StudyConfig().p_dropout for c in configs)


def test_bad_grids_are_rejected():
    with pytest.raises(ValueError, match="unknown grid"):
        C.grid_configs("huge")
    with pytest.raises(ValueError, match="lr"):
        C.grid_configs({"lr": [0.1]})


def test_config_names_are_readable_and_distinct():
    names = {c.name for c in C.grid_configs("full")}
    assert len(names) == 36
    assert C.StudyConfig(0.1, 0.5, False, True).name == "wd=0.1 p=0.5 bn=off aug=on"


# ---- data ---------------------------------------------------------------------------------


def test_digit_subsets_are_balanced_disjoint_and_sized(all_digits):
    train, valid = S.digit_subsets(all_digits, 500, 1000, seed=1)
    assert (len(train), len(valid)) == (500, 1000)
    assert torch.bincount(train.labels).tolist() == [50] * 10
    assert torch.bincount(valid.labels).tolist() == [100] * 10
    train_rows = {tuple(x.flatten().tolist()[::7]) for x in train.images[:50]}
    valid_rows = {tuple(x.flatten().tolist()[::7]) for x in valid.images}
    assert not train_rows & valid_rows
    again, _ = S.digit_subsets(all_digits, 500, 1000, seed=1)
    assert torch.equal(again.images, train.images)


def test_digit_subsets_reject_impossible_sizes(all_digits):
    with pytest.raises(ValueError):
        S.digit_subsets(all_digits, 4000, 2000, seed=0)


# ---- training -----------------------------------------------------------------------------


def test_validation_data_is_never_augmented(monkeypatch):
    train, valid = _marked_images(range(0, 48)), _marked_images(range(500, 532))
    valid_before = valid.images.clone()
    seen: list[torch.Tensor] = []

    class SpyAugmenter:
        def __init__(self, config):
            self.config = config

        def __call__(self, images):
            seen.append(images.clone())
            return images

    monkeypatch.setattr(S, "BatchAugmenter", SpyAugmenter)
    S.train_one(C.StudyConfig(augment=True), train, valid, TINY)
    assert seen, "the augmenter was never called"
    ids = torch.cat([batch.mean(dim=(1, 2, 3)) for batch in seen]) * 1000
    assert ids.max() < 100  # only training images (ids < 48) went through augmentation
    assert len(ids) == TINY.train.epochs * len(train)
    assert torch.equal(valid.images, valid_before)


def test_augment_off_means_no_augmenter(monkeypatch):
    def fail(config):
        raise AssertionError("no augmentation was asked for")

    monkeypatch.setattr(S, "BatchAugmenter", fail)
    train, valid = _marked_images(range(0, 48)), _marked_images(range(500, 516))
    S.train_one(C.StudyConfig(augment=False), train, valid, TINY)


def test_train_one_is_deterministic_and_reports(digits):
    train, valid = digits
    config = C.StudyConfig(wd=0.1, p_dropout=0.5, batch_norm=False, augment=True)
    first, second = (S.train_one(config, train, valid, TINY) for _ in range(2))
    assert [e.valid_loss for e in first.history] == [e.valid_loss for e in second.history]
    row = first.summary()
    assert row["epochs"] == 2 and row["wd"] == 0.1 and row["augment"] is True
    assert row["gap"] == pytest.approx(row["valid_loss"] - row["train_eval_loss"])
    assert 0.0 <= row["valid_accuracy"] <= row["best_valid_accuracy"] <= 1.0
    metrics = first.final_metrics()
    assert "valid_accuracy" in metrics and "wd" not in metrics and "label" not in metrics


def test_the_same_seed_gives_the_same_initial_weights_to_every_config(digits):
    train, valid = digits
    results = [
        S.train_one(C.StudyConfig(p_dropout=p, batch_norm=True), train, valid, TINY)
        for p in (0.0, 0.0)
    ]
    assert results[0].history[-1].valid_loss == results[1].history[-1].valid_loss


def test_run_grid_tracks_each_configuration():
    train, valid = _marked_images(range(0, 48)), _marked_images(range(500, 516))
    events: list[tuple] = []

    class Recorder:
        def __init__(self, label):
            self.label = label

        def epoch(self, result):
            events.append(("epoch", self.label, result.epoch))

        def finish(self, result):
            events.append(("finish", self.label, result.label))

    @contextmanager
    def track(config, label):
        events.append(("start", label))
        yield Recorder(label)
        events.append(("end", label))

    configs = C.grid_configs({"augment": [False, True]})
    results = S.run_grid(configs, train, valid, TINY, track=track)
    assert [r.config for r in results] == configs
    first = configs[0].name
    assert events[:5] == [
        ("start", first),
        ("epoch", first, 0),
        ("epoch", first, 1),
        ("finish", first, first),
        ("end", first),
    ]
    assert len(events) == 10


def test_experiment_compares_without_and_with(digits):
    train, valid = digits
    results = S.augmentation_experiment(train, valid, TINY, C.StudyConfig())
    assert [r.label for r in results] == ["without", "with"]
    assert [r.config.augment for r in results] == [False, True]
    diff = S.experiment_difference(results)
    rows = {r.label: r.summary() for r in results}
    assert diff["valid_accuracy_difference"] == pytest.approx(
        rows["with"]["valid_accuracy"] - rows["without"]["valid_accuracy"]
    )


# ---- tables and figures -------------------------------------------------------------------


def test_tables_and_figures(digits):
    train, valid = digits
    configs = C.grid_configs({"wd": [0.0, 0.1], "augment": [False, True]})
    results = S.run_grid(configs, train, valid, TINY)
    table = S.summary_table(results)
    assert len(table) == 4
    assert {"label", "wd", "p_dropout", "batch_norm", "augment", "valid_accuracy", "gap"} <= set(
        table.columns
    )
    history = S.history_frame(results)
    assert len(history) == 4 * TINY.train.epochs
    fig = F.loss_curves_figure(results)
    panels = [ax for ax in fig.axes if ax.lines]
    assert len(panels) == 4 and all(len(ax.lines) == 2 for ax in panels)
    fig = F.comparison_figure(results[:2], title="t")
    assert [ax.get_title() for ax in fig.axes] == ["validation accuracy", "loss (train: dashed)"]
    acc_lines = fig.axes[0].lines
    assert [line.get_label() for line in acc_lines] == [r.config.name for r in results[:2]]
    np.testing.assert_allclose(
        acc_lines[1].get_ydata(), [e.metrics["accuracy"] for e in results[1].history]
    )
    assert len(fig.axes[1].lines) == 4  # valid and train loss of each
    assert fig._suptitle.get_text() == "t"
    assert np.isfinite(table["valid_loss"]).all()


def test_settings_from_params():
    settings = C.StudySettings.from_params(
        {"train": {"epochs": 3}, "model": {"widths": [8, 16]}, "augment": {"do_flip": False}}
    )
    assert settings.train.epochs == 3 and settings.widths == (8, 16)
    assert settings.augment.do_flip is False
    with pytest.raises(ValueError, match="depth"):
        C.StudySettings.from_params({"model": {"depth": 3}})


def test_the_study_block_picks_a_grid_and_checks_its_values():
    named = C.GridSettings.from_params({"grid": "small", "custom_grid": {"wd": [0.0]}})
    assert named.configs() == C.grid_configs("small")
    custom = C.GridSettings.from_params({"grid": "custom", "custom_grid": {"augment": [True]}})
    assert custom.configs() == [C.StudyConfig(augment=True)]
    for params, message in [
        ({"grid": "custom"}, "custom_grid = None: must be set when grid is custom"),
        ({"custom_grid": {"wd": []}}, "custom_grid.wd = []: must list at least one value"),
        ({"custom_grid": {"wd": 0.1}}, "custom_grid.wd = 0.1: must be a list"),
        ({"custom_grid": {"batch_norm": ["on"]}}, "custom_grid.batch_norm[0] = 'on': must be one"),
    ]:
        with pytest.raises(ParameterError) as caught:
            C.GridSettings.from_params(params)
        assert str(caught.value).startswith(message)


def test_the_digits_block_fits_the_mnist_digits_and_changes_the_transforms():
    digits = C.DigitSettings.from_params({"transforms": {"do_flip": False, "max_rotate": 5.0}})
    changed = digits.transforms.applied_to(AugmentConfig())
    assert changed == AugmentConfig(do_flip=False, max_rotate=5.0)
    settings = digits.settings(AugmentConfig(), C.StudyModel((4, 8)), TINY.train)
    assert settings == C.StudySettings(TINY.train, (4, 8), changed)
    with pytest.raises(ParameterError, match=r"^n_train = 5: must be an integer >= 10$"):
        C.DigitSettings.from_params({"n_train": 5})
    with pytest.raises(ParameterError, match=r"^transforms.p_flip = 2: must be a number"):
        C.DigitSettings.from_params({"transforms": {"p_flip": 2}})


def test_the_experiment_trains_its_configuration_without_augmentation_first():
    experiment = C.ExperimentSettings.from_params({"config": {"wd": 0.1, "augment": True}})
    assert experiment.base == C.StudyConfig(wd=0.1, augment=False)
    with pytest.raises(ParameterError, match=r"^config.wd = -1: must be a number >= 0$"):
        C.ExperimentSettings.from_params({"config": {"wd": -1}})
