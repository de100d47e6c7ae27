"""Checked many-to-one left joins: the lesson's ``merge(how="left")`` and null count in one step, an
unmatched left key or a duplicated right key a :class:`JoinError` naming the join."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Above this many key combinations the position lookup hashes instead of using a dense table.
_DENSE_LOOKUP_LIMIT = 20_000_000
_EXAMPLES = 5


class JoinError(ValueError):
    """A join whose keys do not line up: unmatched left rows or duplicated right keys."""


def _as_list(keys: str | Sequence[str]) -> list[str]:
    return [keys] if isinstance(keys, str) else list(keys)


def _encode_keys(
    left: pd.DataFrame, right: pd.DataFrame, left_on: list[str], right_on: list[str]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Mixed-radix integer codes of the key tuples, shared by both sides (-1: no match)."""
    left_code = np.zeros(len(left), dtype=np.int64)
    right_code = np.zeros(len(right), dtype=np.int64)
    left_bad = np.zeros(len(left), dtype=bool)
    right_bad = np.zeros(len(right), dtype=bool)
    radix = 1
    for lkey, rkey in zip(left_on, right_on, strict=True):
        # Factorize each side (fast, C/Arrow hashing), then match only the distinct values.
        rcodes, runiques = pd.factorize(right[rkey])
        lcodes, luniques = pd.factorize(left[lkey])
        mapped = np.append(pd.Index(runiques).get_indexer(luniques), -1)  # [-1]: missing key
        lcodes = mapped[lcodes]
        left_bad |= lcodes < 0
        right_bad |= rcodes < 0
        size = max(len(runiques), 1)
        left_code = left_code * size + np.maximum(lcodes, 0)
        right_code = right_code * size + np.maximum(rcodes, 0)
        radix *= size
    left_code[left_bad] = -1
    right_code[right_bad] = -1
    return left_code, right_code, radix


def _key_examples(frame: pd.DataFrame, keys: list[str], mask: np.ndarray) -> str:
    sample = frame.loc[mask, keys].drop_duplicates().head(_EXAMPLES)
    return ", ".join(str(tuple(row)) for row in sample.itertuples(index=False))


def join_positions(
    left: pd.DataFrame,
    right: pd.DataFrame,
    left_on: str | Sequence[str],
    right_on: str | Sequence[str] | None = None,
    *,
    name: str = "join",
) -> np.ndarray:
    """Row position in ``right`` of each ``left`` row's key; raises on any miss or duplicate."""
    left_keys = _as_list(left_on)
    right_keys = left_keys if right_on is None else _as_list(right_on)
    left_code, right_code, radix = _encode_keys(left, right, left_keys, right_keys)

    valid_right = right_code >= 0
    right_valid_codes = right_code[valid_right]
    if radix <= _DENSE_LOOKUP_LIMIT:
        counts = np.bincount(right_valid_codes, minlength=radix)
        duplicated_codes = counts > 1
        has_duplicates = bool(duplicated_codes.any())
    else:
        has_duplicates = not pd.Index(right_valid_codes).is_unique
    if has_duplicates:
        dup_mask = np.zeros(len(right), dtype=bool)
        dup_mask[valid_right] = pd.Index(right_valid_codes).duplicated(keep=False)
        raise JoinError(
            f"{name}: the right table has {int(dup_mask.sum())} rows with duplicated keys "
            f"{right_keys}, e.g. {_key_examples(right, right_keys, dup_mask)}"
        )

    if radix <= _DENSE_LOOKUP_LIMIT:
        table = np.full(radix, -1, dtype=np.int64)
        table[right_valid_codes] = np.flatnonzero(valid_right)
        positions = np.where(left_code >= 0, table[np.maximum(left_code, 0)], -1)
    else:
        positions = pd.Index(right_code).get_indexer(left_code)
        positions[left_code < 0] = -1

    missing = positions < 0
    if missing.any():
        raise JoinError(
            f"{name}: {int(missing.sum())} of {len(left)} rows have no match on "
            f"{left_keys} -> {right_keys}, e.g. {_key_examples(left, left_keys, missing)}"
        )
    return positions


def left_join(
    left: pd.DataFrame,
    right: pd.DataFrame,
    left_on: str | Sequence[str],
    right_on: str | Sequence[str] | None = None,
    *,
    columns: Sequence[str] | None = None,
    rename: dict[str, str] | None = None,
    name: str = "join",
) -> pd.DataFrame:
    """Left join of ``right``'s ``columns`` (renamed by ``rename``) onto ``left`` (rows, order and
    index kept); a :class:`JoinError` named ``name`` for an unmatched or duplicated key or a clash."""
    right_keys = _as_list(left_on if right_on is None else right_on)
    if columns is None:
        columns = [col for col in right.columns if col not in right_keys]
    rename = rename or {}
    clashes = [rename.get(col, col) for col in columns if rename.get(col, col) in left.columns]
    if clashes:
        raise JoinError(f"{name}: columns {clashes} exist on both sides")
    positions = join_positions(left, right, left_on, right_on, name=name)
    gathered = {rename.get(col, col): take(right[col], positions) for col in columns}
    return append_columns(left, gathered)


def take(column: pd.Series, positions: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """``column``'s values at ``positions`` (NumPy or extension array, same dtype)."""
    values = column.array
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        return values.to_numpy().take(positions)
    return values.take(positions)


def append_columns(frame: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """``frame`` with new columns appended without copying any data (each array its own block)."""
    new = pd.DataFrame(columns, index=frame.index, copy=False)
    return pd.concat([frame, new], axis=1)


def replace_columns(frame: pd.DataFrame, columns: dict) -> pd.DataFrame:
    """``frame`` with some columns' values replaced (same position), without copying the rest."""
    unknown = [col for col in columns if col not in frame.columns]
    if unknown:
        raise KeyError(f"no columns {unknown} to replace")
    data = {col: columns[col] if col in columns else frame[col] for col in frame.columns}
    return pd.DataFrame(data, index=frame.index, copy=False)
