"""The served model's own steps on raw test-format rows (no Kedro): check, events, predict.

Every step is the training code itself, applied to what the model carries: the test table's
pandera validation (:func:`~l6pipeline.rossmann.validation.validate_table`), the event features
recomputed over the carried event history plus the new rows, the stores' recent sales levels
from the history's sales, the fitted processors
(``TabularProcessor.from_dict(...).transform``, whose ``#na#`` code takes unseen categories),
``predict_sales`` and the submission rule (``Open == 0`` sells 0). Between events and
prediction, the inference pipeline (:mod:`l6pipeline.serving.pipeline`) runs
``rossmann_data``'s own test-branch nodes.

A request row that cannot be predicted raises :class:`ServingInputError` naming the row, the
column and the value: an unknown store, a date outside the carried tables, a bad code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd

from l6pipeline.errors import UserInputError
from l6pipeline.rossmann.errors import RawDataError
from l6pipeline.rossmann.features.events import (
    EVENT_INPUTS,
    EVENT_KEY,
    compute_event_features,
    data_days,
)
from l6pipeline.rossmann.features.joins import JoinError
from l6pipeline.rossmann.features.recent import (
    RecentSalesConfig,
    recent_sales,
    recent_sales_lag,
)
from l6pipeline.rossmann.schemas import COLUMNS
from l6pipeline.rossmann.validation import validate_table
from l6pipeline.tabular.processors import TabularProcessor
from l6pipeline.tabular.submission import kaggle_submission
from l6pipeline.tabular.train import predict_sales

#: The request columns (Kaggle's test.csv) and their validated dtypes.
INPUT_COLUMNS: dict[str, str] = dict(COLUMNS["test"])
HISTORY_COLUMNS = [*EVENT_KEY, *EVENT_INPUTS, "Sales"]
_EXAMPLES = 5


class ServingInputError(UserInputError):
    """A request the model must not answer with a number: names row, column and value."""


@contextmanager
def tables_cover_request() -> Iterator[None]:
    """A join of request rows that finds no match in the carried tables is the request's
    fault: a :class:`ServingInputError` naming the join, the key and the rows."""
    try:
        yield
    except JoinError as error:
        raise ServingInputError(f"the model's tables do not cover some rows: {error}") from None


def event_history(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """The rows the event windows look back / ahead on and the recent sales levels are read
    from: (Store, Date, events, Sales) of train + test (test rows have no sales).

    The same rows ``compute_event_features`` and ``compute_recent_sales`` see in training, so a
    request for a training-time test row gets exactly the features the submission used.
    """
    return pd.concat(
        [train[HISTORY_COLUMNS], test.reindex(columns=HISTORY_COLUMNS)], ignore_index=True
    )


def date_coverage(
    weather: pd.DataFrame, state_trend: pd.DataFrame, national_trend: pd.DataFrame
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day that the carried weather and Google-trend tables both cover."""
    first = max(weather["Date"].min(), state_trend["Date"].min(), national_trend["Date"].min())
    last = min(weather["Date"].max(), state_trend["WeekEnd"].max(), national_trend["WeekEnd"].max())
    return pd.Timestamp(first), pd.Timestamp(last)


def _rows(frame: pd.DataFrame, mask: np.ndarray, column: str) -> str:
    """``7 (index 3), 9 (index 5)``: offending values with their row labels, as ingest's."""
    word = "line" if frame.index.name == "line" else "index"
    bad = frame.loc[mask, column]
    shown = ", ".join(
        f"{value:%Y-%m-%d} ({word} {label})"
        if isinstance(value, pd.Timestamp)
        else f"{value} ({word} {label})"
        for label, value in bad.head(_EXAMPLES).items()
    )
    more = f" ... ({len(bad)} rows in all)" if len(bad) > _EXAMPLES else ""
    return shown + more


def validate_request(
    rows: pd.DataFrame, store: pd.DataFrame, coverage: tuple[pd.Timestamp, pd.Timestamp]
) -> pd.DataFrame:
    """The request parsed and checked as ingest checks test.csv, plus what the model knows.

    Raises :class:`ServingInputError` listing every problem: a missing column, a value that is
    not a number / date / allowed code (the test table's pandera schema), a store missing from
    the carried store table, a date outside ``coverage`` (see :func:`date_coverage`).
    """
    missing = [column for column in INPUT_COLUMNS if column not in rows.columns]
    if missing:
        raise ServingInputError(
            f"request is missing column(s) {missing}; expected the columns of Kaggle's "
            f"test.csv: {list(INPUT_COLUMNS)}"
        )
    if not rows.index.is_unique:  # errors name rows by index label: make them unambiguous
        rows = rows.reset_index(drop=True)
    try:
        parsed = validate_table("test", rows[list(INPUT_COLUMNS)])
    except RawDataError as error:
        raise ServingInputError(
            "bad request rows:\n"
            + "\n".join(f"  - {p.replace('test.csv, ', '', 1)}" for p in error.problems)
        ) from None
    parsed.index = rows.index
    problems = []
    unknown = ~parsed["Store"].isin(store["Store"]).to_numpy()
    if unknown.any():
        problems.append(
            f"column 'Store': store(s) not in the store table the model carries "
            f"({store['Store'].nunique()} stores): {_rows(parsed, unknown, 'Store')}"
        )
    first, last = coverage
    outside = ~parsed["Date"].between(first, last).to_numpy()
    if outside.any():
        problems.append(
            f"column 'Date': outside the days the model's weather and Google-trend tables "
            f"cover ({first:%Y-%m-%d}..{last:%Y-%m-%d}): {_rows(parsed, outside, 'Date')}"
        )
    if problems:
        raise ServingInputError("bad request rows:\n" + "\n".join(f"  - {p}" for p in problems))
    return parsed


def check_request(
    request: pd.DataFrame,
    store: pd.DataFrame,
    weather: pd.DataFrame,
    state_trend: pd.DataFrame,
    national_trend: pd.DataFrame,
) -> pd.DataFrame:
    """:func:`validate_request` against the stores and the days the carried tables cover."""
    return validate_request(request, store, date_coverage(weather, state_trend, national_trend))


def request_events(rows: pd.DataFrame, history: pd.DataFrame, window: int) -> pd.DataFrame:
    """Event features of the request's stores over history + request.

    A request row replaces the history row of the same (Store, Date); only the request's
    stores are computed (the windows never cross stores).
    """
    stores = history["Store"].isin(rows["Store"].unique())
    own = history.loc[stores]
    key = pd.MultiIndex.from_frame(own[list(EVENT_KEY)])
    replaced = key.isin(pd.MultiIndex.from_frame(rows[list(EVENT_KEY)]))
    return compute_event_features(own.loc[~replaced], rows, window, data_days(history, rows))


def request_recent_sales(
    rows: pd.DataFrame, history: pd.DataFrame, params: Mapping
) -> pd.DataFrame:
    """The recent sales levels of the request's (Store, Date) from the history's sales, with
    the lag training used (the history is training's train + test); NaN, which
    ``FillMissing`` fills, where a span holds no carried sale."""
    lag = recent_sales_lag(history, history, params)
    own = history.loc[history["Store"].isin(rows["Store"].unique())]
    return recent_sales(own, rows, lag, RecentSalesConfig.from_params(params).spans)


def predict_request(
    features: pd.DataFrame, rows: pd.DataFrame, processors: Mapping, model
) -> pd.DataFrame:
    """``Id, Sales`` in request order; closed days (``Open == 0``) sell 0 as in the submission."""
    arrays = TabularProcessor.from_dict(processors).transform(features)
    submission = kaggle_submission(rows, predict_sales(model, arrays))
    return submission.set_index("Id").loc[rows["Id"].to_numpy()].reset_index()


def serving_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Validated rows in the served model's input types (``Date`` as ``YYYY-MM-DD`` text).

    The index is kept, so that errors name a file's lines when the rows were read from one.
    """
    frame = rows[list(INPUT_COLUMNS)]
    return frame.assign(
        Date=frame["Date"].dt.strftime("%Y-%m-%d").astype(object),
        StateHoliday=frame["StateHoliday"].astype(object),
    )
