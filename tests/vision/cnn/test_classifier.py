"""The small CNN: random shifts, a short training that beats chance, determinism, checkpoints."""

from __future__ import annotations

import pytest
import torch

from l6pipeline.core.nn import TrainConfig
from l6pipeline.core.params import ParameterError
from l6pipeline.vision.cnn.classifier import (
    CNNConfig,
    TrainedModel,
    predict_logits,
    random_shift,
    train_classifier,
)
from l6pipeline.vision.cnn.metrics import accuracy
from l6pipeline.vision.images.data import load_mnist_digits, stratified_split


@pytest.fixture(scope="module")
def digits():
    images = load_mnist_digits()
    # 1,500 digits: 1,000 to train, 250 to validate, 250 to test
    keep, _ = stratified_split(images.labels, [0.3, 0.7], seed=0)
    small = images.subset(keep)
    return [small.subset(p) for p in stratified_split(small.labels, [0.666, 0.167, 0.167], 0)]


FAST = TrainConfig(
    epochs=8, batch_size=32, lr=1e-2, seed=0, device="cpu", progress=False, num_threads=1
)
MODEL = CNNConfig(widths=(16, 32, 64, 128), strides=(2, 2, 2, 2), p_dropout=0.1)


def test_random_shift_moves_each_image_without_changing_it():
    torch.manual_seed(0)
    x = torch.zeros(64, 2, 9, 9)
    x[:, :, 4, 4] = 1.0  # one bright pixel in the middle
    out = random_shift(2)(x)
    assert out.shape == x.shape
    assert (out.sum(dim=(1, 2, 3)) == 2).all()  # the pixel survives a shift of <= 2
    positions = {tuple(torch.nonzero(o[0])[0].tolist()) for o in out}
    assert len(positions) > 5  # images move independently
    assert all(abs(r - 4) <= 2 and abs(c - 4) <= 2 for r, c in positions)
    assert (out[:, 0] == out[:, 1]).all()  # channels move together
    assert random_shift(0)(x) is x
    with pytest.raises(ValueError):
        random_shift(-1)


@pytest.mark.slow
def test_a_short_training_beats_chance_by_a_wide_margin(digits):
    train, valid, test = digits
    trained = train_classifier(train, valid, train.classes, MODEL, FAST, max_shift=1)
    assert len(trained.history) == 8
    acc = accuracy(predict_logits(trained.model, test.images, FAST), test.labels)
    assert acc > 0.85  # chance: 0.10
    assert [r["epoch"] for r in trained.history_rows()] == list(range(8))


@pytest.mark.slow
def test_training_is_deterministic_per_seed_on_cpu(digits):
    train, valid, _ = digits
    config = TrainConfig(**{**FAST.__dict__, "epochs": 1})
    a = train_classifier(train, valid, train.classes, MODEL, config, max_shift=1)
    b = train_classifier(train, valid, train.classes, MODEL, config, max_shift=1)
    for (name, pa), pb in zip(
        a.model.state_dict().items(), b.model.state_dict().values(), strict=True
    ):
        assert torch.equal(pa, pb), name
    assert a.history[0].valid_loss == b.history[0].valid_loss


def test_checkpoint_round_trip():
    torch.manual_seed(0)
    config = CNNConfig.from_params({"widths": [4, 8], "strides": [2, 1], "p_dropout": 0.0})
    trained = TrainedModel(config.build(3, 5).eval(), config, 3, tuple("abcde"))
    checkpoint = trained.checkpoint()
    again = TrainedModel.from_checkpoint(checkpoint)
    x = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(again.model(x), trained.model(x))
    assert again.classes == tuple("abcde")
    assert checkpoint["model_config"] == {
        "widths": [4, 8],
        "strides": [2, 1],
        "p_dropout": 0.0,
        "batch_norm": True,
    }
    with pytest.raises(ValueError, match="unknown"):
        CNNConfig.from_params({"width": [4]})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"widths": [4, 0]}, "widths[1] = 0: must be an integer >= 1"),
        ({"widths": []}, "widths = []: must list at least one width"),
        ({"widths": [4, 8], "strides": [2]}, "strides = [2]: must be null or one stride per width"),
        ({"p_dropout": 1.5}, "p_dropout = 1.5: must be a number >= 0 and <= 1"),
        ({"batch_norm": "yes"}, "batch_norm = 'yes': must be one of True, False"),
    ],
)
def test_a_model_parameter_out_of_range_names_its_key(params, message):
    with pytest.raises(ParameterError) as caught:
        CNNConfig.from_params(params)
    assert str(caught.value).startswith(message)
