"""Validation at the boundary: raw Rossmann tables in, typed tables out, or one clear error.

:func:`validate_tables` parses each raw table (text as read from the CSV, or already typed
frames such as the generator's output) into the validated dtypes of
:mod:`~l6pipeline.rossmann.raw.schemas`, runs the table's pandera schema (columns and order, dtypes,
value domains, uniqueness, ``lazy=True`` so that every problem is found), a few checks across
columns, and checks across tables (stores known to store.csv and store_states.csv, states known
to state_names.csv, weather and Google trend for every state and date). Every problem becomes
one line naming the file, the column and a few offending values with their lines, all raised
together as :class:`~l6pipeline.rossmann.raw.errors.RawDataError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from l6pipeline.rossmann.raw.errors import RawDataError
from l6pipeline.rossmann.raw.schemas import (
    COLUMNS,
    DATE,
    FLOAT,
    INT,
    NATIONAL_TREND,
    NULLABLE,
    SCHEMAS,
    STR,
    TABLES,
    UNIQUE,
    file_name,
    trend_file_for_state,
)

__all__ = ["RawDataError", "validate_raw_tables", "validate_table", "validate_tables"]

NA_TOKENS = frozenset({"", "NA"})  # how the real files spell a missing value
_EXAMPLES = 5
# pandera failures that the parsing step already explains in its own words.
_PARSE_CHECKS = ("dtype(", "not_nullable")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the raw data, in words a user can act on."""

    file: str
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, column {self.column!r}" if self.column else self.file
        return f"{where}: {self.message}"


def validate_raw_tables(
    train: pd.DataFrame,
    test: pd.DataFrame,
    store: pd.DataFrame,
    store_states: pd.DataFrame,
    state_names: pd.DataFrame,
    googletrend: pd.DataFrame,
    weather: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The seven validated tables, keyed by table name; raises ``RawDataError`` otherwise."""
    return validate_tables(
        {
            "train": train,
            "test": test,
            "store": store,
            "store_states": store_states,
            "state_names": state_names,
            "googletrend": googletrend,
            "weather": weather,
        }
    )


def validate_tables(raw: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Validate all seven tables and their relations; one error lists every problem."""
    missing = [table for table in TABLES if table not in raw]
    if missing:
        raise ValueError(f"missing raw tables: {missing}")
    problems: list[Problem] = []
    parsed: dict[str, pd.DataFrame] = {}
    sound: set[str] = set()
    for table in TABLES:
        frame, table_problems = _validate_table(table, raw[table])
        parsed[table] = frame
        problems += table_problems
        if not table_problems:
            sound.add(table)
    problems += _cross_table_problems(parsed, sound)
    if problems:
        raise RawDataError(_summary(problems), [str(problem) for problem in problems])
    return {table: parsed[table].reset_index(drop=True) for table in TABLES}


def validate_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate one table on its own (no checks across tables)."""
    parsed, problems = _validate_table(table, frame)
    if problems:
        raise RawDataError(_summary(problems), [str(problem) for problem in problems])
    return parsed.reset_index(drop=True)


def _summary(problems: list[Problem]) -> str:
    files = sorted({problem.file for problem in problems})
    head = (
        f"The raw Rossmann data failed validation: {len(problems)} problem(s) in "
        f"{', '.join(files)}. Nothing downstream was written. Fix the file(s) or regenerate "
        "the synthetic ones (`kedro run --pipelines rossmann_synthetic`)."
    )
    return "\n".join([head, *(f"  - {problem}" for problem in problems)])


# -- one table ---------------------------------------------------------------------------------


def _validate_table(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    name = file_name(table)
    if len(frame) == 0:
        return frame, [Problem(name, None, "has no data rows")]
    problems: list[Problem] = []
    parsed_columns: dict[str, pd.Series] = {}
    explained: set[str] = set()
    for column in frame.columns:
        if column not in COLUMNS[table]:
            parsed_columns[column] = frame[column]
            continue
        series, column_problems = _parse_column(
            frame[column], COLUMNS[table][column], column in NULLABLE[table]
        )
        parsed_columns[column] = series
        if column_problems:
            explained.add(column)
            problems += [Problem(name, column, message) for message in column_problems]
    parsed = pd.DataFrame(parsed_columns, index=frame.index)
    problems += _schema_problems(table, parsed, explained)
    if not problems:
        problems += _row_problems(table, parsed)
    return parsed, problems


def _parse_column(series: pd.Series, dtype: str, nullable: bool) -> tuple[pd.Series, list[str]]:
    """Text (or already typed values) -> the validated dtype, with what could not be parsed."""
    problems: list[str] = []
    index, word = series.index, _where(series.index)
    if dtype in (INT, FLOAT):
        values, missing, bad, infinite = _numbers(series)
        if bad.any():
            problems.append(f"not a number: {_examples(series[bad], index[bad], word)}")
        if infinite.any():
            problems.append(
                f"not a finite number: {_examples(series[infinite], index[infinite], word)}; "
                "a missing value is an empty field (or NA)"
            )
        unusable = bad | infinite
        if dtype == INT:
            fractional = ~missing & ~unusable & (values != np.round(values))
            if fractional.any():
                problems.append(
                    f"not an integer: {_examples(series[fractional], index[fractional], word)}"
                )
            ints, overflow = _int64(series, values, ~missing & ~unusable & ~fractional)
            if overflow.any():
                problems.append(
                    f"outside the 64-bit integer range (-2**63 .. 2**63 - 1): "
                    f"{_examples(series[overflow], index[overflow], word)}"
                )
            unusable |= overflow
            if not (missing | unusable).any():
                values = ints
        if unusable.any():  # reported above: no later check may show a parser's stand-in
            values = np.where(unusable, np.nan, values)
        parsed = pd.Series(values, index=series.index, name=series.name)
    elif dtype == DATE:
        parsed, missing, bad = _dates(series)
        if bad.any():
            problems.append(f"not a date (YYYY-MM-DD): {_examples(series[bad], index[bad], word)}")
    else:
        parsed, missing = _strings(series)
        bad = np.zeros(len(series), dtype=bool)
    missing = np.asarray(missing, dtype=bool) & ~np.asarray(bad, dtype=bool)
    if not nullable and missing.any():
        problems.append(f"missing value(s) {_rows(index[missing], word)}")
    return parsed, problems


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float values and flags: missing, unparseable, not finite (``inf``, ``nan``, ``1e999``)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return values, np.isnan(values), np.zeros(len(values), dtype=bool), np.isinf(values)
    text = series.astype("str").str.strip()
    missing = (text.isna() | text.isin(NA_TOKENS)).to_numpy()
    try:  # Arrow's cast is ~30x faster than pd.to_numeric; it fails on any bad value
        values = pc.cast(pa_arrow.array(text.where(~missing), type=pa_arrow.string()), "float64")
        values = values.to_numpy(zero_copy_only=False)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowTypeError):
        values = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    infinite = np.isinf(values)
    unparsed = np.isnan(values) & ~missing
    if unparsed.any():  # "nan" parses, to NaN; tell it from text that is no number at all
        words = text[unparsed].str.lower().str.lstrip("+-")
        infinite[np.flatnonzero(unparsed)[words.isin(["nan", "inf", "infinity"]).to_numpy()]] = True
    return values, missing, unparsed & ~infinite, infinite


def _int64(
    series: pd.Series, values: np.ndarray, whole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` as int64, and which ``whole`` values lie outside int64's range.

    Beyond 2**53 a float no longer holds every integer, so those few values are read again,
    exactly, from their text (or their integer dtype)."""
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype="int64"), np.zeros(len(series), dtype=bool)
    ints = np.where(whole & (np.abs(values) < 2.0**53), values, 0).astype("int64")
    overflow = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(whole & (np.abs(values) >= 2.0**53)):
        exact = int(Decimal(str(series.iloc[i]).strip()))
        if -(2**63) <= exact < 2**63:
            ints[i] = exact
        else:
            overflow[i] = True
    return ints, overflow


def _dates(series: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.astype(DATE)
        missing = parsed.isna().to_numpy()
        return parsed, missing, np.zeros(len(series), dtype=bool)
    text = series.astype("str").str.strip()
    missing = (text.isna() | text.isin(NA_TOKENS)).to_numpy()
    parsed = pd.to_datetime(text.where(~missing), format="%Y-%m-%d", errors="coerce").astype(DATE)
    return parsed, missing, parsed.isna().to_numpy() & ~missing


def _strings(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text with ``""`` as missing; numbers (``StateHoliday`` read as 0) become their text."""
    if pd.api.types.is_float_dtype(series):  # integral floats, e.g. 0.0 -> "0"
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        known = values[~np.isnan(values)]
        if (known == np.round(known)).all():
            series = series.astype("Int64")
    text = series.astype(STR)
    text = text.mask(text == "")
    return text, text.isna().to_numpy()


def _schema_problems(table: str, parsed: pd.DataFrame, explained: set[str]) -> list[Problem]:
    """Run the table's pandera schema (lazy) and turn its failure cases into problems."""
    try:
        SCHEMAS[table].validate(parsed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    name = file_name(table)
    problems: list[Problem] = []
    cases = cases[~(cases["column"].isin(explained) & cases["check"].str.startswith(_PARSE_CHECKS))]
    structure = {
        "column_in_dataframe": "missing column(s)",
        "column_in_schema": "unexpected column(s)",
        "column_ordered": "columns out of order",
    }
    for check, label in structure.items():
        found = cases.loc[cases["check"] == check, "failure_case"].astype(str).unique()
        if len(found):
            expected = ", ".join(COLUMNS[table])
            problems.append(
                Problem(name, None, f"{label}: {', '.join(map(repr, found))}; expected: {expected}")
            )
    cases = cases[~cases["check"].isin(list(structure))]
    duplicates = cases["check"] == "multiple_fields_uniqueness"
    if duplicates.any():
        rows = pd.Index(cases.loc[duplicates, "index"].dropna().unique())
        problems.append(_duplicate_problem(table, parsed, rows))
    for (column, check), group in cases[~duplicates].groupby(["column", "check"], sort=False):
        if str(check).startswith("dtype("):
            problems.append(
                Problem(
                    name, column, f"expected {check[6:-1]}, got {group['failure_case'].iloc[0]}"
                )
            )
            continue
        word = _where(parsed.index)
        label = "duplicate values" if check == "field_uniqueness" else check
        problems.append(
            Problem(
                name, column, f"{label}: {_examples(group['failure_case'], group['index'], word)}"
            )
        )
    return problems


def _duplicate_problem(table: str, parsed: pd.DataFrame, rows: pd.Index) -> Problem:
    """``duplicate (Store, Date) in 2 rows: (4, 2015-01-31) at lines 5, 1594``."""
    key = list(UNIQUE[table])
    groups: dict[tuple, list] = {}
    first = parsed.loc[parsed.index.isin(rows), key].head(200)  # enough for the examples
    for label, values in zip(first.index, first.itertuples(index=False), strict=True):
        groups.setdefault(tuple(values), []).append(label)
    word = _where(parsed.index)
    shown = "; ".join(
        f"({', '.join(_fmt(value) for value in values)}) at {_rows(labels, word)[1:-1]}"
        for values, labels in list(groups.items())[:_EXAMPLES]
    )
    more = f" ... ({len(groups)} keys in all)" if len(groups) > _EXAMPLES else ""
    label = key[0] if len(key) == 1 else f"({', '.join(key)})"
    return Problem(file_name(table), None, f"duplicate {label} in {len(rows)} rows: {shown}{more}")


def _row_problems(table: str, parsed: pd.DataFrame) -> list[Problem]:
    """Checks across the columns of one table (run once its columns are sound)."""
    name = file_name(table)
    problems: list[Problem] = []
    if table in ("train", "test"):
        wrong = parsed["DayOfWeek"] != parsed["Date"].dt.day_of_week + 1
        if wrong.any():
            shown = parsed.loc[wrong, ["DayOfWeek", "Date"]].head(_EXAMPLES)
            problems.append(
                Problem(
                    name,
                    "DayOfWeek",
                    f"does not match Date (1 = Monday) in {int(wrong.sum())} rows: "
                    + ", ".join(
                        f"{dow} on {date:%Y-%m-%d} {_rows([label], _where(parsed.index))}"
                        for label, dow, date in shown.itertuples()
                    ),
                )
            )
    if table == "store":
        details = ["Promo2SinceWeek", "Promo2SinceYear", "PromoInterval"]
        wrong = (parsed[details].notna().ne(parsed["Promo2"] == 1, axis=0)).any(axis=1)
        if wrong.any():
            problems.append(
                Problem(
                    name,
                    "Promo2",
                    f"{', '.join(details)} must be given exactly when Promo2 = 1; stores "
                    + _examples(
                        parsed.loc[wrong, "Store"], parsed.index[wrong], _where(parsed.index)
                    ),
                )
            )
    if table == "googletrend":
        parts = parsed["week"].str.split(" - ", expand=True)
        first = pd.to_datetime(parts[0], format="%Y-%m-%d", errors="coerce")
        last = pd.to_datetime(parts[1], format="%Y-%m-%d", errors="coerce")
        wrong = (
            first.isna()
            | last.isna()
            | (first.dt.day_of_week != 6)
            | (last - first != pd.Timedelta(days=6))
        )
        if wrong.any():
            problems.append(
                Problem(
                    name,
                    "week",
                    "must be a Sunday-Saturday week: "
                    + _examples(
                        parsed.loc[wrong, "week"], parsed.index[wrong], _where(parsed.index)
                    ),
                )
            )
    return problems


# -- across tables -----------------------------------------------------------------------------


def _cross_table_problems(parsed: dict[str, pd.DataFrame], sound: set[str]) -> list[Problem]:
    """Relations between tables; each check runs only when the tables it needs are sound."""
    problems: list[Problem] = []

    def ready(*tables: str) -> bool:
        return set(tables) <= sound

    for table in ("train", "test"):
        for reference in ("store", "store_states"):
            if ready(table, reference):
                unknown = _not_in(parsed[table]["Store"], parsed[reference]["Store"])
                if unknown:
                    problems.append(
                        Problem(
                            file_name(table),
                            "Store",
                            f"{len(unknown)} store id(s) missing from {file_name(reference)}: {_values(unknown)}",
                        )
                    )
    if not ready("train", "test", "store_states", "state_names"):
        return problems
    stores = pd.concat([parsed["train"]["Store"], parsed["test"]["Store"]]).unique()
    states = parsed["store_states"]
    codes = states.loc[states["Store"].isin(stores), "State"]
    code_to_name = dict(
        zip(parsed["state_names"]["State"], parsed["state_names"]["StateName"], strict=True)
    )
    unknown = _not_in(codes, pd.Series(list(code_to_name)))
    if unknown:
        problems.append(
            Problem(
                file_name("store_states"),
                "State",
                f"states missing from state_names.csv: {_values(unknown)}",
            )
        )
    used = sorted(set(codes) - set(unknown))
    dates = pd.DatetimeIndex(
        pd.concat([parsed["train"]["Date"], parsed["test"]["Date"]]).unique()
    ).sort_values()
    if ready("weather"):
        problems += _weather_problems(parsed["weather"], [code_to_name[c] for c in used], dates)
    if ready("googletrend"):
        files = [NATIONAL_TREND, *(trend_file_for_state(code) for code in used)]
        problems += _trend_problems(parsed["googletrend"], files, dates)
    return problems


def _weather_problems(
    weather: pd.DataFrame, names: list[str], dates: pd.DatetimeIndex
) -> list[Problem]:
    present = set(weather["file"].unique())
    absent = [name for name in names if name not in present]
    problems = []
    if absent:
        problems.append(
            Problem(
                "weather.csv",
                "file",
                f"no weather for state(s) {_values(absent)} (names as in state_names.csv)",
            )
        )
    needed = pd.MultiIndex.from_product([[n for n in names if n in present], dates])
    have = pd.MultiIndex.from_arrays([weather["file"], weather["Date"]])
    gaps = needed.difference(have)
    if len(gaps):
        shown = ", ".join(f"{name} {date:%Y-%m-%d}" for name, date in gaps[:_EXAMPLES])
        problems.append(
            Problem(
                "weather.csv",
                "Date",
                f"{len(gaps)} (state, date) pairs of train/test have no weather row: {shown}",
            )
        )
    return problems


def _trend_problems(
    trend: pd.DataFrame, files: list[str], dates: pd.DatetimeIndex
) -> list[Problem]:
    present = set(trend["file"].unique())
    absent = [file for file in files if file not in present]
    problems = []
    if absent:
        problems.append(
            Problem("googletrend.csv", "file", f"no Google trend series {_values(absent)}")
        )
    sundays = pd.DatetimeIndex(
        dates - pd.to_timedelta((dates.day_of_week + 1) % 7, unit="D")
    ).unique()
    starts = pd.to_datetime(trend["week"].str.slice(0, 10), format="%Y-%m-%d")
    needed = pd.MultiIndex.from_product([[f for f in files if f in present], sundays])
    gaps = needed.difference(pd.MultiIndex.from_arrays([trend["file"], starts]))
    if len(gaps):
        shown = ", ".join(f"{file} week of {day:%Y-%m-%d}" for file, day in gaps[:_EXAMPLES])
        problems.append(
            Problem(
                "googletrend.csv", "week", f"{len(gaps)} weeks of train/test dates missing: {shown}"
            )
        )
    return problems


# -- formatting --------------------------------------------------------------------------------


def _not_in(values: pd.Series, reference: pd.Series) -> list:
    unique = pd.unique(values.to_numpy())
    return sorted(unique[~pd.Index(unique).isin(reference.to_numpy())].tolist())


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _values(values: Iterable[object]) -> str:
    values = list(values)
    shown = ", ".join(_fmt(value) for value in values[: _EXAMPLES * 2])
    return shown + (f" ... ({len(values)} in all)" if len(values) > _EXAMPLES * 2 else "")


def _where(index: pd.Index) -> str:
    """Rows read from a file are indexed by line number; other frames by their index label."""
    return "line" if index.name == "line" else "index"


def _rows(labels: Iterable[object], word: str) -> str:
    """``(line 18)`` / ``(lines 18, 19)``, or ``(index 16)`` for frames not read from a file."""
    labels = list(labels)
    shown = ", ".join(str(label) for label in labels[:_EXAMPLES])
    more = f" ... ({len(labels)} in all)" if len(labels) > _EXAMPLES else ""
    plural = "s" if len(labels) > 1 and word == "line" else ""
    return f"({word}{plural} {shown}{more})"


def _examples(values: Iterable[object], labels: Iterable[object], word: str) -> str:
    """A few offending values with their lines, and how many there are in all."""
    values, labels = list(values), list(labels)
    shown = ", ".join(
        f"{_fmt(value)} ({word} {label})"
        for value, label in zip(values[:_EXAMPLES], labels[:_EXAMPLES], strict=True)
    )
    return shown + (f" ... ({len(values)} rows in all)" if len(values) > _EXAMPLES else "")
