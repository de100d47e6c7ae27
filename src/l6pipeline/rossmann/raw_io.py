"""Reading and writing the raw Rossmann CSV files exactly as Kaggle and fast.ai ship them.

Reading keeps every field as the text in the file (no NA guessing, no type inference: the
``StateHoliday`` ``"0"``/``0`` mix and ``""`` vs ``NA`` are left to the validation) and catches
what is wrong with the *file* rather than its values: missing, empty, header only, a truncated
last line, rows with the wrong number of fields. The frame's index holds the line number of each
row in the file (blank lines counted), so that validation errors can point at the line.

Writing reproduces each file's quoting, NA spelling, line ends and blank lines (see
:data:`~l6pipeline.rossmann.schemas.CSV_STYLES`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from l6pipeline.rossmann.errors import RawDataError
from l6pipeline.rossmann.schemas import CSV_STYLES, CsvStyle


def read_raw_csv(path: str | Path, *, missing_hint: str = "") -> pd.DataFrame:
    """Every field of a raw CSV file as text; the index is the line number in the file."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise RawDataError(f"{name}: file not found at {path}. {missing_hint}".strip())
    content = path.read_bytes()
    if not content.strip():
        raise RawDataError(f"{name}: the file is empty ({path}, {len(content)} bytes).")
    header = _parse_line(content.split(b"\n", 1)[0])
    _check_last_line(name, content, header)
    try:
        table = pacsv.read_csv(
            io.BytesIO(content),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise RawDataError(f"{name}: malformed CSV ({path}): {exc}") from exc
    frame = table.to_pandas()
    if frame.empty:
        raise RawDataError(f"{name}: the file has a header but no data rows ({path}).")
    frame.index = pd.Index(_line_numbers(content, len(frame)), name="line")
    return frame


def _parse_line(raw: bytes) -> list[str]:
    text = raw.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader([text]), [])


def _check_last_line(name: str, content: bytes, header: list[str]) -> None:
    """A cut-off download or copy leaves a short last line or an unclosed quote: say so."""
    body = content.rstrip(b"\r\n \t")
    if b"\n" not in body:
        return  # a header and nothing else: reported after parsing
    last = body.rsplit(b"\n", 1)[-1].rstrip(b"\r")
    fields = _parse_line(last)
    unclosed = last.count(b'"') % 2 == 1
    if unclosed or len(fields) < len(header):
        line_no = body.count(b"\n") + 1
        reason = "an unclosed quote" if unclosed else f"{len(fields)} of {len(header)} fields"
        ending = "" if content.endswith(b"\n") else ", no final newline"
        raise RawDataError(
            f"{name}: the last line (line {line_no}) is truncated ({reason}{ending}): "
            f"{last.decode('utf-8', errors='replace')[:200]!r}. "
            "Was the file cut off while copying or downloading?"
        )


def _line_numbers(content: bytes, n_rows: int) -> np.ndarray:
    """1-based line numbers of the data rows (the header is line 1; blank lines skipped)."""
    if b"\n\n" not in content and b"\n\r\n" not in content:
        return np.arange(2, n_rows + 2)
    lines = content.split(b"\n")
    blank = np.fromiter((not line.strip() for line in lines), dtype=bool, count=len(lines))
    numbers = np.flatnonzero(~blank)[1:] + 1
    return numbers[:n_rows] if len(numbers) >= n_rows else np.arange(2, n_rows + 2)


def format_csv(frame: pd.DataFrame, style: CsvStyle) -> str:
    """The CSV text of ``frame`` in ``style`` (vectorized per column)."""
    header = ",".join(
        _quote(name) if name in style.quoted_header else _quote_if_needed(name)
        for name in frame.columns
    )
    fields = [_format_column(frame[name], name in style.quoted, style.na) for name in frame.columns]
    if fields:
        rows = fields[0].str.cat(fields[1:], sep=",") if len(fields) > 1 else fields[0]
    else:
        rows = pd.Series([], dtype=str)
    lines = rows.tolist()
    if style.block_column is not None and len(frame):
        lines = _with_blank_lines(lines, frame[style.block_column].to_numpy(), style.blank_after)
    return style.newline.join([header, *lines]) + style.newline


def write_raw_csv(frame: pd.DataFrame, path: str | Path, table: str) -> None:
    """Write one raw table in its real file's format (``table`` picks the style)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = format_csv(frame, CSV_STYLES[table])
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _quote_if_needed(value: str) -> str:
    return _quote(value) if any(char in value for char in ',"\r\n') else value


def _format_column(column: pd.Series, quoted: bool, na: str) -> pd.Series:
    """One column as CSV fields (strings)."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("int64")
    if pd.api.types.is_integer_dtype(column) and not missing.any():
        text = column.astype("int64").astype(str)
    elif pd.api.types.is_float_dtype(column) or pd.api.types.is_integer_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        rounded = np.round(values, 6)
        integral = np.isfinite(rounded) & (rounded == np.round(rounded))
        as_int = np.where(integral, rounded, 0).astype("int64").astype(str)
        as_float = pd.Series(rounded).astype(str).to_numpy()
        text = pd.Series(np.where(integral, as_int, as_float), index=column.index, dtype=str)
    elif pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d")
    else:
        text = column.astype(str)
    text = pd.Series(text.to_numpy(dtype=object), index=column.index, dtype=str)
    if quoted:
        text = '"' + text.str.replace('"', '""', regex=False) + '"'
        return text.where(~missing, '""')
    needs_quotes = text.str.contains(r'[,"\r\n]', regex=True, na=False)
    if needs_quotes.any():
        text = text.where(~needs_quotes, '"' + text.str.replace('"', '""', regex=False) + '"')
    return text.where(~missing, na)


def _with_blank_lines(
    lines: list[str], blocks: np.ndarray, blank_after: frozenset[str] | None
) -> list[str]:
    """Insert an empty line after each block of equal ``blocks`` values (or the chosen ones)."""
    ends = np.flatnonzero(np.r_[blocks[1:] != blocks[:-1], True])
    out: list[str] = []
    start = 0
    for end in ends:
        out.extend(lines[start : end + 1])
        if blank_after is None or blocks[end] in blank_after:
            out.append("")
        start = end + 1
    return out
