"""fast.ai's tabular processors, written in pandas/NumPy: FillMissing, Categorify, Normalize.

Each one is fitted on the rows a model trains on only (a prefix of the backtest, or every
labelled row for the refit) and then applied unchanged to the window after it, test and later
inference data. :class:`TabularProcessor` chains them in fast.ai's order
(FillMissing -> Categorify -> Normalize) and is saved as one JSON-able artifact
(:meth:`TabularProcessor.to_dict` / :meth:`TabularProcessor.from_dict`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

NA = "#na#"  # the name of category code 0: missing, or a value never seen in training
FORMAT_VERSION = 1  # bump when the saved layout changes


def _check_columns(df: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [col for col in columns if col not in df.columns]
    if missing:
        raise KeyError(f"columns missing from the frame: {missing}")


def _python_scalar(value):
    """NumPy scalars -> plain Python values, so the artifact is JSON-able."""
    return value.item() if isinstance(value, np.generic) else value


def _sorted_unique(values: pd.Series) -> list:
    unique = [_python_scalar(v) for v in values.dropna().unique()]
    try:
        return sorted(unique)
    except TypeError:  # mixed types: a stable, type-aware order instead of a crash
        return sorted(unique, key=lambda v: (type(v).__name__, str(v)))


def na_flag(column: str) -> str:
    """The name of the flag :class:`FillMissing` adds for a continuous column with gaps."""
    return f"{column}_na"


@dataclass
class FillMissing:
    """Median filling of continuous columns, plus a ``<col>_na`` flag for columns that had gaps.

    ``medians`` holds the training median of every continuous column. Columns with missing
    values in training get a boolean ``<col>_na`` column (a categorical input of the model). A
    column complete in training but with gaps later is filled with its training median and a
    warning is logged; it gets no flag, because the model has no input for one.
    """

    medians: dict[str, float]
    na_columns: list[str] = field(default_factory=list)

    @classmethod
    def fit(cls, df: pd.DataFrame, columns: Sequence[str]) -> FillMissing:
        _check_columns(df, columns)
        medians = {}
        for col in columns:
            median = float(df[col].median())
            if math.isnan(median):
                logger.warning("continuous column %r is empty in training; filling with 0", col)
                median = 0.0
            medians[col] = median
        return cls(medians, [col for col in columns if df[col].isna().any()])

    @property
    def flag_columns(self) -> list[str]:
        return [na_flag(col) for col in self.na_columns]

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of the continuous columns, filled, with the ``_na`` flags."""
        _check_columns(df, self.medians)
        out = df[list(self.medians)].copy()
        for col, median in self.medians.items():
            missing = out[col].isna()
            if col in self.na_columns:
                out[na_flag(col)] = missing.to_numpy()
            elif missing.any():
                logger.warning(
                    "%d missing values in %r, which had none in training: filled with the "
                    "training median %g (no %s_na flag)",
                    int(missing.sum()),
                    col,
                    median,
                    col,
                )
            out[col] = out[col].astype("float64").fillna(median)
        return out


@dataclass
class Categorify:
    """Integer codes: ``0`` is ``#na#`` (missing or unseen), ``i + 1`` is ``categories[col][i]``.

    The categories of a column are its sorted unique (non-missing) training values.
    """

    categories: dict[str, list]

    @classmethod
    def fit(cls, df: pd.DataFrame, columns: Sequence[str]) -> Categorify:
        _check_columns(df, columns)
        return cls({col: _sorted_unique(df[col]) for col in columns})

    @property
    def cardinalities(self) -> dict[str, int]:
        """Number of codes per column, ``#na#`` included (the embedding's row count)."""
        return {col: len(cats) + 1 for col, cats in self.categories.items()}

    def codes(self, df: pd.DataFrame) -> np.ndarray:
        """``[n_rows, n_columns]`` int64 codes, columns in the order of ``categories``."""
        _check_columns(df, self.categories)
        out = np.empty((len(df), len(self.categories)), dtype=np.int64)
        for j, (col, cats) in enumerate(self.categories.items()):
            # get_indexer gives -1 for NaN and for unseen values: both become code 0 (#na#).
            out[:, j] = pd.Index(cats).get_indexer(df[col]) + 1
        return out

    def decode(self, column: str, codes: Iterable[int]) -> list:
        """Category values of ``codes`` (``#na#`` for 0)."""
        labels = [NA, *self.categories[column]]
        return [labels[int(code)] for code in codes]


@dataclass
class Normalize:
    """``(x - mean) / (std + 1e-7)`` with the training mean and (sample) standard deviation."""

    means: dict[str, float]
    stds: dict[str, float]
    eps: float = 1e-7

    @classmethod
    def fit(cls, df: pd.DataFrame, columns: Sequence[str]) -> Normalize:
        _check_columns(df, columns)
        return cls(
            {col: float(df[col].mean()) for col in columns},
            {col: float(np.nan_to_num(df[col].std())) for col in columns},
        )

    def values(self, df: pd.DataFrame) -> np.ndarray:
        """``[n_rows, n_columns]`` float32, columns in the order of ``means``."""
        _check_columns(df, self.means)
        cols = list(self.means)
        x = df[cols].to_numpy(dtype=np.float64)
        mean = np.array([self.means[c] for c in cols])
        std = np.array([self.stds[c] for c in cols])
        return ((x - mean) / (std + self.eps)).astype(np.float32)


@dataclass(frozen=True)
class TabularArrays:
    """Model inputs: categorical codes ``[n, n_cat]`` int64 and continuous ``[n, n_cont]``."""

    cats: np.ndarray
    conts: np.ndarray

    def __len__(self) -> int:
        return len(self.cats)


@dataclass
class TabularProcessor:
    """FillMissing -> Categorify -> Normalize, fitted together on the training split."""

    cat_vars: list[str]
    cont_vars: list[str]
    fill_missing: FillMissing
    categorify: Categorify
    normalize: Normalize
    format_version: int = FORMAT_VERSION

    @classmethod
    def fit(
        cls, train: pd.DataFrame, cat_vars: Sequence[str], cont_vars: Sequence[str]
    ) -> TabularProcessor:
        """Fit on ``train`` (the training split only: never validation or test rows)."""
        overlap = set(cat_vars) & set(cont_vars)
        if overlap:
            raise ValueError(f"columns both categorical and continuous: {sorted(overlap)}")
        _check_columns(train, [*cat_vars, *cont_vars])
        fill_missing = FillMissing.fit(train, cont_vars)
        filled = fill_missing.apply(train)
        for col in cat_vars:
            filled[col] = train[col]
        return cls(
            cat_vars=list(cat_vars),
            cont_vars=list(cont_vars),
            fill_missing=fill_missing,
            categorify=Categorify.fit(filled, [*cat_vars, *fill_missing.flag_columns]),
            normalize=Normalize.fit(filled, cont_vars),
        )

    @property
    def cat_names(self) -> list[str]:
        """The model's categorical inputs, in order: ``cat_vars`` then the ``_na`` flags."""
        return list(self.categorify.categories)

    @property
    def cardinalities(self) -> dict[str, int]:
        return self.categorify.cardinalities

    def transform(self, df: pd.DataFrame) -> TabularArrays:
        """Apply the fitted processors to any split (never refits anything)."""
        filled = self.fill_missing.apply(df)
        for col in self.cat_vars:
            filled[col] = df[col]
        return TabularArrays(self.categorify.codes(filled), self.normalize.values(filled))

    def to_dict(self) -> dict:
        """A JSON-able dict (plain Python types only)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> TabularProcessor:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"processor artifact has format_version {version}, this code reads "
                f"{FORMAT_VERSION}: refit the processors"
            )
        return cls(
            cat_vars=list(data["cat_vars"]),
            cont_vars=list(data["cont_vars"]),
            fill_missing=FillMissing(**data["fill_missing"]),
            categorify=Categorify(**data["categorify"]),
            normalize=Normalize(**data["normalize"]),
            format_version=version,
        )
