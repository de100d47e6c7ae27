"""Validation at the boundary: raw Rossmann tables in, typed tables out, or one clear error."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pandera.pandas as pa

from l6pipeline.rossmann.raw.errors import RawDataError
from l6pipeline.rossmann.raw.schemas import COLUMNS, NULLABLE, SCHEMAS, TABLES, UNIQUE, file_name
from l6pipeline.rossmann.raw.validation.across import cross_table_problems
from l6pipeline.rossmann.raw.validation.messages import (
    EXAMPLES,
    Problem,
    format_examples,
    format_rows,
    format_value,
    row_word,
)
from l6pipeline.rossmann.raw.validation.parsing import parse_column

__all__ = ["RawDataError", "validate_raw_tables", "validate_table", "validate_tables"]

# pandera failures that the parsing step already explains in its own words.
_PARSE_CHECKS = ("dtype(", "not_nullable")


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
    problems += cross_table_problems(parsed, sound)
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
        series, column_problems = parse_column(
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
        word = row_word(parsed.index)
        label = "duplicate values" if check == "field_uniqueness" else check
        problems.append(
            Problem(
                name,
                column,
                f"{label}: {format_examples(group['failure_case'], group['index'], word)}",
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
    word = row_word(parsed.index)
    shown = "; ".join(
        f"({', '.join(map(format_value, values))}) at {format_rows(labels, word)[1:-1]}"
        for values, labels in list(groups.items())[:EXAMPLES]
    )
    more = f" ... ({len(groups)} keys in all)" if len(groups) > EXAMPLES else ""
    label = key[0] if len(key) == 1 else f"({', '.join(key)})"
    return Problem(file_name(table), None, f"duplicate {label} in {len(rows)} rows: {shown}{more}")


def _row_problems(table: str, parsed: pd.DataFrame) -> list[Problem]:
    """Checks across the columns of one table (run once its columns are sound)."""
    name = file_name(table)
    problems: list[Problem] = []
    if table in ("train", "test"):
        wrong = parsed["DayOfWeek"] != parsed["Date"].dt.day_of_week + 1
        if wrong.any():
            shown = parsed.loc[wrong, ["DayOfWeek", "Date"]].head(EXAMPLES)
            problems.append(
                Problem(
                    name,
                    "DayOfWeek",
                    f"does not match Date (1 = Monday) in {int(wrong.sum())} rows: "
                    + ", ".join(
                        f"{dow} on {date:%Y-%m-%d} {format_rows([label], row_word(parsed.index))}"
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
                    + format_examples(
                        parsed.loc[wrong, "Store"], parsed.index[wrong], row_word(parsed.index)
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
                    + format_examples(
                        parsed.loc[wrong, "week"], parsed.index[wrong], row_word(parsed.index)
                    ),
                )
            )
    return problems
