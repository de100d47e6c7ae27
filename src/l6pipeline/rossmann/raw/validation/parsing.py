"""Parsing raw columns (text as read from the CSV, or typed values) into the validated dtypes."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from l6pipeline.rossmann.raw.schemas import DATE, FLOAT, INT, STR
from l6pipeline.rossmann.raw.validation.messages import format_examples, format_rows, row_word

NA_TOKENS = frozenset({"", "NA"})  # how the real files spell a missing value


def parse_column(series: pd.Series, dtype: str, nullable: bool) -> tuple[pd.Series, list[str]]:
    """Text (or already typed values) -> the validated dtype, with what could not be parsed."""
    problems: list[str] = []
    index, word = series.index, row_word(series.index)
    if dtype in (INT, FLOAT):
        values, missing, bad, infinite = _numbers(series)
        if bad.any():
            problems.append(f"not a number: {format_examples(series[bad], index[bad], word)}")
        if infinite.any():
            problems.append(
                f"not a finite number: {format_examples(series[infinite], index[infinite], word)}; "
                "a missing value is an empty field (or NA)"
            )
        unusable = bad | infinite
        if dtype == INT:
            fractional = ~missing & ~unusable & (values != np.round(values))
            if fractional.any():
                shown = format_examples(series[fractional], index[fractional], word)
                problems.append(f"not an integer: {shown}")
            ints, overflow = _int64(series, values, ~missing & ~unusable & ~fractional)
            if overflow.any():
                problems.append(
                    f"outside the 64-bit integer range (-2**63 .. 2**63 - 1): "
                    f"{format_examples(series[overflow], index[overflow], word)}"
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
            problems.append(
                f"not a date (YYYY-MM-DD): {format_examples(series[bad], index[bad], word)}"
            )
    else:
        parsed, missing = _strings(series)
        bad = np.zeros(len(series), dtype=bool)
    missing = np.asarray(missing, dtype=bool) & ~np.asarray(bad, dtype=bool)
    if not nullable and missing.any():
        problems.append(f"missing value(s) {format_rows(index[missing], word)}")
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
    """Dates (``YYYY-MM-DD`` text or datetimes) and flags: missing, not a date."""
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
