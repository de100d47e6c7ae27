"""Figures of the tabular model: learning curve, LR finder, predicted vs actual, embedding maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from sklearn.decomposition import PCA


def learning_curve(history: pd.DataFrame, lightgbm_rmspe: float | None = None) -> Figure:
    """Train / validation loss and validation RMSPE per epoch, one line per ensemble member.

    ``history`` has ``epoch``, ``train_loss``, ``valid_loss``, ``rmspe`` and optionally
    ``member`` and ``kept`` (the epoch whose weights were kept, circled); the LightGBM
    contender's RMSPE is a dashed line.
    """
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(11, 4))
    members = history["member"] if "member" in history else pd.Series(0, index=history.index)
    for i, (member, curve) in enumerate(history.groupby(members, sort=True)):
        epochs = curve["epoch"] + 1
        suffix = f" {member}" if members.nunique() > 1 else ""
        ax_loss.plot(epochs, curve["train_loss"], "o-", color=f"C{i}", label="train" + suffix)
        ax_loss.plot(epochs, curve["valid_loss"], "o--", color=f"C{i}", label="validation" + suffix)
        ax_metric.plot(epochs, curve["rmspe"], "o-", color=f"C{i}", label="network" + suffix)
        if "kept" in curve and curve["kept"].any():
            kept = curve[curve["kept"].astype(bool)]
            ax_metric.scatter(
                kept["epoch"] + 1, kept["rmspe"], s=160, facecolors="none", edgecolors="k", zorder=3
            )
    ax_loss.set(xlabel="epoch", ylabel="MSE of log sales", yscale="log", title="Loss")
    ax_loss.legend(fontsize=7)
    if lightgbm_rmspe is not None:
        ax_metric.axhline(lightgbm_rmspe, ls="--", color="k", label="LightGBM")
    ax_metric.set(
        xlabel="epoch",
        ylabel="RMSPE",
        yscale="log",
        title="Validation RMSPE (exact, whole set; circle: epoch kept)",
    )
    ax_metric.legend(fontsize=7)
    for ax in (ax_loss, ax_metric):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def lr_finder_curve(
    lrs: Sequence[float], losses: Sequence[float], suggestions: Mapping, chosen: str
) -> Figure:
    """fast.ai's ``lr_find`` plot: smoothed loss against the learning rate (log axis), with the
    suggested rates (``{method: lr}``) marked and the ``chosen`` method's named."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(lrs, losses)
    for i, (name, lr) in enumerate(suggestions.items()):
        loss = float(np.interp(np.log(lr), np.log(lrs), losses))
        label = f"{name}: {lr:.2e}" + (" (suggested)" if name == chosen else "")
        ax.plot([lr], [loss], "o", color=f"C{i + 1}", label=label)
    ax.set(
        xscale="log",
        xlabel="learning rate",
        ylabel="loss (smoothed)",
        title="Learning-rate finder (LR range test)",
    )
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray, rmspe: float) -> Figure:
    """Density of predicted against actual validation sales (log-log), with the diagonal."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    hb = ax.hexbin(actual, predicted, gridsize=60, bins="log", xscale="log", yscale="log")
    fig.colorbar(hb, ax=ax, label="rows")
    low = min(actual.min(), predicted.min())
    high = max(actual.max(), predicted.max())
    ax.plot([low, high], [low, high], "r--", lw=1, label="predicted = actual")
    ax.set(
        xlabel="actual sales",
        ylabel="predicted sales",
        title=f"Validation: predicted vs actual (RMSPE {rmspe:.4f})",
    )
    ax.xaxis.set_minor_formatter(NullFormatter())  # unlabelled minor ticks: no overlaps
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def pca_2d(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows onto their first two principal components; also the explained ratios.

    A one-dimensional embedding (or a single row) gets a zero second axis.
    """
    n_components = min(2, *weights.shape)
    pca = PCA(n_components=n_components, svd_solver="full").fit(weights)
    coords = pca.transform(weights)
    ratios = np.nan_to_num(pca.explained_variance_ratio_)
    return np.pad(coords, ((0, 0), (0, 2 - n_components))), np.pad(ratios, (0, 2 - n_components))


def _embedding_panel(
    ax: Axes,
    weights: np.ndarray,
    labels: Sequence,
    title: str,
    groups: Sequence | None = None,
    annotate: bool = True,
) -> None:
    coords, ratios = pca_2d(weights)
    if groups is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=25, color="C0")
    else:
        groups = pd.Series(list(groups), dtype="object").fillna("?").astype(str)
        codes, names = pd.factorize(groups, sort=True)
        cmap = plt.get_cmap("tab20", max(len(names), 1))
        ax.scatter(
            coords[:, 0], coords[:, 1], s=8, c=codes, cmap=cmap, vmin=-0.5, vmax=len(names) - 0.5
        )
        if len(names) <= 20:
            for i, name in enumerate(names):
                ax.scatter([], [], s=15, color=cmap(i), label=name)
            ax.legend(fontsize=6, ncol=2, title="State", title_fontsize=7, loc="best")
    if annotate:
        for (x, y), label in zip(coords, labels, strict=True):
            ax.annotate(str(label), (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set(
        title=title,
        xlabel=f"PC1 ({ratios[0]:.0%})",
        ylabel=f"PC2 ({ratios[1]:.0%})",
    )
    ax.grid(alpha=0.3)


def embedding_maps(
    embeddings: Mapping[str, tuple[np.ndarray, Sequence]],
    store_groups: Sequence | None = None,
) -> Figure:
    """2-D PCA of learned embeddings, one panel per variable.

    ``embeddings`` maps a variable to ``(weights [n, width], labels [n])`` without the ``#na#``
    row. The ``Store`` panel is coloured by ``store_groups`` (its state) and not labelled; the
    others are labelled with their categories. The ``State`` panel is the entity-embedding
    paper's "map of Germany".
    """
    n = len(embeddings)
    ncols = 2 if n > 1 else 1
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 5.5 * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (name, (weights, labels)) in zip(axes.flat, embeddings.items(), strict=False):
        is_store = name == "Store"
        _embedding_panel(
            ax,
            np.asarray(weights, float),
            labels,
            title=f"{name} embedding ({len(labels)} × {np.shape(weights)[1]}), PCA",
            groups=store_groups if is_store else None,
            annotate=not is_store,
        )
    fig.suptitle("Learned entity embeddings (2-D PCA)")
    fig.tight_layout()
    return fig
