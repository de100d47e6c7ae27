"""Reading the raw Rossmann CSV files as text indexed by line number, saying what a file is when it
is not CSV text, and writing them in the real files' exact style (docs/rossmann_raw.md)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from l6pipeline.rossmann.raw.errors import RawDataError
from l6pipeline.rossmann.raw.schemas import CSV_STYLES, CsvStyle


def read_raw_csv(path: str | Path, *, missing_hint: str = "") -> pd.DataFrame:
    """Every field of a raw CSV file as text; the index is the line number in the file."""
    path = Path(path)
    name = path.name
    content = check_raw_file(path, missing_hint=missing_hint)
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


# Leading bytes of files that are not CSV text: what the file is, and how to get the CSV.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed", "decompress it (`mv {p} {p}.gz && gunzip -k {p}.gz`)"),
    (b"BZh", "bzip2-compressed", "decompress it (`mv {p} {p}.bz2 && bunzip2 -k {p}.bz2`)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it (`mv {p} {p}.xz && unxz -k {p}.xz`)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it (`mv {p} {p}.zst && unzstd {p}.zst`)"),
    (
        b"PK\x03\x04",
        "a zip archive (or an .xlsx workbook)",
        "extract the CSV file (`unzip -l {p}` lists what is inside), or export the sheet as CSV",
    ),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook", "export the sheet as CSV (UTF-8)"),
    (b"PAR1", "a Parquet file", "write it as CSV, or point the catalog at the original CSV"),
)
_UTF_BOMS: tuple[tuple[bytes, str], ...] = (  # UTF-32 first: its LE mark starts with UTF-16's
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_CONVERT = "save it as UTF-8 (`iconv -f {encoding} -t UTF-8 {{p}} > converted.csv`, then use that)"
_SNIFF_BYTES = 4096


def check_raw_file(path: str | Path, *, missing_hint: str = "") -> bytes:
    """The bytes of ``path`` when it is a non-empty UTF-8 text file; otherwise a
    :class:`RawDataError` that says what the file is and what to do.

    Checked before any parsing, so that a compressed or UTF-16 file is not reported as a
    malformed CSV. The CSV structure itself is checked by :func:`read_raw_csv`.
    """
    path = Path(path)
    name = path.name
    shown = _relative(path)
    if path.is_dir():
        inside = shown / name
        hint = f" ({inside} is there)" if inside.is_file() else ""
        raise RawDataError(
            f"{name}: {shown} is a directory, but a CSV file is expected: point the catalog's "
            f"filepath at the CSV file itself{hint}."
        )
    if not path.is_file():
        raise RawDataError(f"{name}: file not found at {shown}. {missing_hint}".strip())
    content = path.read_bytes()
    if not content.strip():
        raise RawDataError(
            f"{name}: the file is empty ({shown}, {len(content)} bytes): copy or download it "
            "again (or regenerate the synthetic tables: `kedro run --pipelines "
            "rossmann_synthetic`)."
        )
    what = _not_text(content[:_SNIFF_BYTES])
    if what is not None:
        kind, advice = what
        raise RawDataError(
            f"{name} is {kind}, but a plain CSV text file (UTF-8) is expected ({shown}): "
            f"{advice.format(p=shown)}, or point the catalog at a CSV text file."
        )
    if not content.isascii():  # ASCII is UTF-8; only other files need the slower check
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RawDataError(_not_utf8(name, shown, content, exc.start)) from None
    return content


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory (the project) when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _not_text(head: bytes) -> tuple[str, str] | None:
    """What the file is and how to get a CSV from it, when its first bytes are not text."""
    for signature, kind, advice in _SIGNATURES:
        if head.startswith(signature) and (signature != b"BZh" or head[3:4].isdigit()):
            return kind, advice
    for bom, encoding in _UTF_BOMS:
        if head.startswith(bom):
            return f"{encoding} text", _CONVERT.format(encoding=encoding)
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        for order, zeros, chars in (("LE", odd, even), ("BE", even, odd)):
            if zeros.count(0) > 0.9 * len(zeros) and not chars.count(0):
                encoding = f"UTF-16{order}"
                return f"{encoding} text (no byte order mark)", _CONVERT.format(encoding=encoding)
        return "a binary file (it holds NUL bytes)", "find the CSV text file it was made from"
    return None


def _not_utf8(name: str, path: Path, content: bytes, position: int) -> str:
    """Where the first byte that is not UTF-8 is: line, column and the text around it."""
    start = content.rfind(b"\n", 0, position) + 1
    end = content.find(b"\n", position)
    line = content[start : end if end >= 0 else len(content)].rstrip(b"\r")
    line_no = content.count(b"\n", 0, position) + 1
    header = _parse_line(content.split(b"\n", 1)[0])
    prefix = content[start:position].decode("utf-8", errors="replace")
    column_index = len(next(csv.reader([prefix + "x"]), [""])) - 1
    column = f"column {header[column_index]!r}" if column_index < len(header) else "past the header"
    byte = content[position : position + 1]
    return (
        f"{name} is not UTF-8 text ({path}): line {line_no}, {column} holds the byte {byte!r} "
        f"in {line.decode('latin-1')[:120]!r} (as Latin-1). The file looks Latin-1 / "
        "Windows-1252 encoded: save it as UTF-8 (`iconv -f WINDOWS-1252 -t UTF-8 "
        f"{path} > converted.csv`, then use that), or point the catalog at the original UTF-8 file."
    )


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
    """The CSV text of ``frame`` in ``style`` (vectorized with Arrow string kernels)."""
    header = ",".join(
        _quote(name) if name in style.quoted_header else _quote_if_needed(name)
        for name in frame.columns
    )
    if frame.empty:
        return header + style.newline
    fields = [_format_column(frame[name], name in style.quoted, style.na) for name in frame.columns]
    rows = pc.binary_join_element_wise(*fields, _s(",")) if len(fields) > 1 else fields[0]
    if style.block_column is not None:
        blocks = frame[style.block_column].to_numpy()
        ends = np.r_[blocks[1:] != blocks[:-1], True]
        if style.blank_after is not None:
            ends &= np.isin(blocks, list(style.blank_after))
        # A row that ends a block carries the blank line after it.
        rows = pc.if_else(
            pa.array(ends), pc.binary_join_element_wise(rows, _s(""), _s(style.newline)), rows
        )
    body = pc.binary_join(
        pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows),
        _s(style.newline),
    )[0].as_py()
    return header + style.newline + body + style.newline


def write_raw_csv(frame: pd.DataFrame, path: str | Path, table: str) -> None:
    """Write one raw table in its real file's format (``table`` picks the style)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = format_csv(frame, CSV_STYLES[table])
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _s(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _quote_if_needed(value: str) -> str:
    return _quote(value) if any(char in value for char in ',"\r\n') else value


def _format_column(column: pd.Series, quoted: bool, na: str) -> pa.Array:
    """One column as CSV fields: an Arrow string array without nulls."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("int64")
    if pd.api.types.is_integer_dtype(column) and not missing.any():
        text = pc.cast(pa.array(column.to_numpy(dtype="int64")), pa.large_string())
    elif pd.api.types.is_float_dtype(column) or pd.api.types.is_integer_dtype(column):
        values = np.round(column.to_numpy(dtype="float64", na_value=np.nan), 6)
        integral = np.isfinite(values) & (values == np.round(values))
        as_int = pc.cast(pa.array(np.where(integral, values, 0).astype("int64")), pa.large_string())
        # repr-style shortest text of the rounded value ("5.08", not "5.0800000000000001")
        as_float = pa.array(
            pd.Series(values).astype(str).to_numpy(dtype=object),
            pa.large_string(),
            from_pandas=True,
        )
        text = pc.if_else(pa.array(integral), as_int, as_float)
    elif pd.api.types.is_datetime64_any_dtype(column):
        # Few distinct days: format each once, then gather (Arrow's strftime is slow).
        codes, days = pd.factorize(column)
        names = pa.array(pd.DatetimeIndex(days).strftime("%Y-%m-%d").to_numpy(dtype=object))
        text = pc.cast(names.take(pa.array(np.where(codes < 0, 0, codes))), pa.large_string())
    else:
        text = pa.array(
            column.astype(str).to_numpy(dtype=object), pa.large_string(), from_pandas=True
        )
    is_text = not (
        pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)
    )
    if quoted:
        text = _quoted(text, escape=is_text)
    elif is_text:  # minimal quoting: only values with a comma, quote or line break
        needs_quotes = pc.fill_null(pc.match_substring_regex(text, '[,"\r\n]'), False)
        if pc.any(needs_quotes).as_py():
            text = pc.if_else(needs_quotes, _quoted(text, escape=True), text)
    if missing.any():
        text = pc.if_else(pa.array(missing), _s('""' if quoted else na), text)
    return text


def _quoted(text: pa.Array, escape: bool) -> pa.Array:
    if escape:
        text = pc.replace_substring(text, '"', '""')
    return pc.binary_join_element_wise(_s('"'), text, _s('"'), _s(""))
