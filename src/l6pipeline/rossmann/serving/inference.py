"""The served model's request path on raw test-format rows: no Kedro runner, no catalog.

:class:`ServedPipeline` is built once per model load from what the model carries, and answers a
request with the training code itself: the input contract (:mod:`.contract`), the event
features (``compute_event_features``) and recent sales levels (``recent_sales``) over the
carried history of the request's stores plus the request rows, then every step of
``rossmann_data``'s row chain (:data:`~l6pipeline.rossmann.features.chain.ROW_STEPS`,
the list the Kedro pipeline is built from), the fitted processors, ``predict_sales`` and the
submission rule (``Open == 0`` sells 0). A new row step, or a new column of the test table
that an event reads, reaches the served model without an edit here: the tables a row step
reads are carried (:func:`carried_tables`), except the two computed per request
(:data:`REQUEST_TABLES`).

Prepared once per load: the processors, the history sorted by store with each store's slice
found by binary search (one row reads its store's few hundred days, not the whole history),
the recent-sales lag, the known stores and the days the carried tables cover.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd

from l6pipeline.rossmann.features.chain import ROW_STEPS
from l6pipeline.rossmann.features.dates import day_numbers
from l6pipeline.rossmann.features.events import EVENT_KEY, compute_event_features, data_days
from l6pipeline.rossmann.features.joins import JoinError
from l6pipeline.rossmann.features.parameters import RossmannDataParameters
from l6pipeline.rossmann.features.recent import recent_sales, recent_sales_lag
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.submission import kaggle_submission
from l6pipeline.rossmann.model.train import predict_sales
from l6pipeline.rossmann.serving.contract import INPUT_COLUMNS, ServingInputError, check_request

__all__ = ["INPUT_COLUMNS", "ServedPipeline", "ServingInputError"]

#: The carried history: every request column an event may read (all but ``Id``) and ``Sales``.
HISTORY_COLUMNS = [*(column for column in INPUT_COLUMNS if column != "Id"), "Sales"]
#: The row steps' tables that depend on the request rows: computed per request.
EVENTS, RECENT_SALES = "rossmann_events", "rossmann_recent_sales"
REQUEST_TABLES = (EVENTS, RECENT_SALES)
#: The row steps' parameters are ``rossmann_data``'s (fields of :class:`RossmannDataParameters`).
DATA_PARAMS = "params:rossmann_data."
REQUEST_NAME = "request"  # how the joins name the request rows in their errors


def row_step_inputs() -> list[str]:
    """Every table and parameter a row step reads besides the rows, in chain order."""
    return list(dict.fromkeys(name for step in ROW_STEPS for name in step.tables))


def carried_tables() -> list[str]:
    """Catalog names of the tables the model carries for the row steps, as training saved them."""
    return [
        name
        for name in row_step_inputs()
        if not name.startswith("params:") and name not in REQUEST_TABLES
    ]


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
    from: :data:`HISTORY_COLUMNS` of train + test (test rows have no sales).

    The same rows ``compute_event_features`` and ``compute_recent_sales`` see in training, so a
    request for a training-time test row gets exactly the features the submission used.
    """
    return pd.concat(
        [train.reindex(columns=HISTORY_COLUMNS), test.reindex(columns=HISTORY_COLUMNS)],
        ignore_index=True,
    )


def date_coverage(
    weather: pd.DataFrame, state_trend: pd.DataFrame, national_trend: pd.DataFrame
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day that the carried weather and Google-trend tables both cover."""
    first = max(weather["Date"].min(), state_trend["Date"].min(), national_trend["Date"].min())
    last = min(weather["Date"].max(), state_trend["WeekEnd"].max(), national_trend["WeekEnd"].max())
    return pd.Timestamp(first), pd.Timestamp(last)


class StoreHistory:
    """The carried history sorted by (Store, Date); a store's rows are one slice."""

    def __init__(self, history: pd.DataFrame) -> None:
        self.rows = history.sort_values(list(EVENT_KEY), ignore_index=True, kind="stable")
        stores = self.rows["Store"].to_numpy()
        self.stores, self.starts = np.unique(stores, return_index=True)
        self.ends = np.append(self.starts[1:], len(stores))

    def of(self, stores: np.ndarray) -> pd.DataFrame:
        """The rows of ``stores`` (stores without history give none)."""
        wanted = np.unique(stores)
        at = np.searchsorted(self.stores, wanted)
        found = at < len(self.stores)
        found[found] = self.stores[at[found]] == wanted[found]
        at = at[found]
        if len(at) == 1:
            return self.rows.iloc[self.starts[at[0]] : self.ends[at[0]]]
        spans = [np.arange(self.starts[i], self.ends[i]) for i in at]
        return self.rows.take(np.concatenate(spans) if spans else np.array([], dtype=np.int64))


def _keys(frame: pd.DataFrame) -> np.ndarray:
    """(Store, Date) as one integer per row."""
    return frame["Store"].to_numpy(dtype=np.int64) * 1_000_000 + day_numbers(frame["Date"])


def request_events(
    rows: pd.DataFrame, own: pd.DataFrame, window: int, days: np.ndarray
) -> pd.DataFrame:
    """Event features over the request stores' history (``own``) + the request rows; a request
    row replaces the history row of its (Store, Date). The windows never cross stores; a
    closure is counted in the data's ``days`` of every store (the whole history's)."""
    replaced = np.isin(_keys(own), _keys(rows))
    days = np.union1d(days, day_numbers(rows["Date"]))
    return compute_event_features(own.loc[~replaced], rows, window, days)


class ServedPipeline:
    """What a request needs, prepared once per model load; :meth:`predict` answers one."""

    def __init__(
        self,
        model,
        processors: Mapping,
        tables: Mapping[str, pd.DataFrame],
        history: pd.DataFrame,
        data_params: RossmannDataParameters,
    ) -> None:
        absent = [name for name in carried_tables() if name not in tables]
        if absent:
            raise ValueError(f"the served model lacks the tables {absent} that the row steps read")
        self.model = model
        self.processor = TabularProcessor.from_dict(processors)
        self.tables = {name: tables[name] for name in carried_tables()}
        self.params = {
            name: getattr(data_params, name.removeprefix(DATA_PARAMS))
            for name in row_step_inputs()
            if name.startswith("params:")
        }
        self.window = data_params.event_window_rows
        recent = data_params.recent_sales
        self.lag = recent_sales_lag(history, history, recent)  # as training's, over train + test
        self.spans = recent.spans
        self.history = StoreHistory(history)
        self.days = data_days(history)
        self.stores = np.sort(self.tables["rossmann_store"]["Store"].unique())
        self.coverage = date_coverage(
            self.tables["rossmann_weather"],
            self.tables["rossmann_trend_state"],
            self.tables["rossmann_trend_national"],
        )

    def check(self, raw: pd.DataFrame) -> pd.DataFrame:
        """Raw rows -> typed rows (:func:`~.contract.check_request`), or ServingInputError."""
        if not isinstance(raw, pd.DataFrame):
            raise ServingInputError(
                "the model takes a table of rows (JSON dataframe_split or dataframe_records, "
                f"or a DataFrame), not {type(raw).__name__}."
            )
        return check_request(raw, self.stores, self.coverage)

    def features(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The feature table of checked ``rows``: every row step, in order."""
        own = self.history.of(rows["Store"].to_numpy())
        inputs = {
            **self.tables,
            **self.params,
            EVENTS: request_events(rows, own, self.window, self.days),
            RECENT_SALES: recent_sales(own, rows, self.lag, self.spans),
        }
        table = rows
        with tables_cover_request():
            for step in ROW_STEPS:
                named = {"name": REQUEST_NAME} if step.named else {}
                table = step.kernel(table, *(inputs[name] for name in step.tables), **named)
        return table

    def predict(self, raw: pd.DataFrame) -> pd.DataFrame:
        """``Id, Sales`` of raw request rows, in request order."""
        rows = self.check(raw)
        arrays = self.processor.transform(self.features(rows))
        return answer(rows, predict_sales(self.model, arrays))


def answer(rows: pd.DataFrame, predicted: np.ndarray) -> pd.DataFrame:
    """``Id, Sales`` in request order; closed days (``Open == 0``) sell 0 as in the submission."""
    submission = kaggle_submission(rows, predicted)  # sorted by Id
    ids = rows["Id"].to_numpy()
    return submission.iloc[np.searchsorted(submission["Id"].to_numpy(), ids)].reset_index(drop=True)


def serving_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Validated rows in the served model's input types (``Date`` as ``YYYY-MM-DD`` text).

    The index is kept, so that errors name a file's lines when the rows were read from one.
    """
    frame = rows[list(INPUT_COLUMNS)]
    return frame.assign(
        Date=frame["Date"].dt.strftime("%Y-%m-%d").astype(object),
        StateHoliday=frame["StateHoliday"].astype(object),
    )
