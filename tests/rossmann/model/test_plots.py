"""The figures build from plain arrays (their content is checked by eye in MLflow)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from l6pipeline.rossmann.model.plots import (
    embedding_maps,
    learning_curve,
    pca_2d,
    predicted_vs_actual,
)


def test_pca_2d_finds_the_main_direction():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    weights = np.stack([t, 2 * t, 0.01 * rng.normal(size=200)], axis=1)
    coords, ratios = pca_2d(weights)
    assert coords.shape == (200, 2)
    assert ratios[0] > 0.99
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.999


def test_pca_2d_of_one_dimensional_embedding_is_padded():
    coords, ratios = pca_2d(np.arange(5.0).reshape(5, 1))
    assert coords.shape == (5, 2) and np.allclose(coords[:, 1], 0)


def test_figures_build():
    history = pd.DataFrame(
        {"epoch": [0, 1], "train_loss": [0.5, 0.1], "valid_loss": [0.4, 0.2], "rmspe": [0.3, 0.2]}
    )
    rng = np.random.default_rng(0)
    actual = rng.uniform(1000, 9000, 300)
    figures = [
        learning_curve(history, lightgbm_rmspe=0.25),
        predicted_vs_actual(actual, actual * rng.uniform(0.9, 1.1, 300), rmspe=0.05),
        embedding_maps(
            {
                "State": (rng.normal(size=(12, 6)), [f"S{i}" for i in range(12)]),
                "Store": (rng.normal(size=(40, 10)), list(range(40))),
                "DayOfWeek": (rng.normal(size=(7, 4)), list(range(1, 8))),
            },
            store_groups=[f"S{i % 12}" for i in range(40)],
        ),
    ]
    assert [len(f.axes) >= 2 for f in figures] == [True, True, True]
    for figure in figures:
        plt.close(figure)
