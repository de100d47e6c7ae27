"""A raw Rossmann CSV file as a Kedro dataset: loads text, writes the real file's format."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from l6pipeline.rossmann.raw.csv_files import read_raw_csv, write_raw_csv
from l6pipeline.rossmann.raw.errors import RawDataError
from l6pipeline.rossmann.raw.schemas import TABLES


class RawFileError(RawDataError, DatasetError):
    """A raw file that cannot be read as a table; Kedro shows the message as it is."""


class RawCSVDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """One raw Rossmann table (``table``) in a local CSV file: loaded as text indexed by line
    number, saved in the table's Kaggle / fast.ai format, every save refused with ``read_only``."""

    def __init__(
        self,
        *,
        filepath: str,
        table: str,
        read_only: bool = False,
        missing_hint: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if table not in TABLES:
            raise DatasetError(f"table must be one of {', '.join(TABLES)}; got {table!r}")
        self._filepath = PurePosixPath(filepath)
        self._table = table
        self._read_only = read_only
        self._missing_hint = missing_hint.strip()
        self.metadata = metadata

    @property
    def filepath(self) -> str:
        return str(self._filepath)

    @property
    def missing_hint(self) -> str:
        return self._missing_hint

    def load(self) -> pd.DataFrame:
        try:
            return read_raw_csv(Path(self._filepath), missing_hint=self._missing_hint)
        except RawDataError as exc:
            raise RawFileError(str(exc)) from exc

    def save(self, data: pd.DataFrame) -> None:
        if self._read_only:
            raise DatasetError(
                f"{self._filepath} is read-only raw data: refusing to overwrite it. "
                "Raw files in this environment are yours; no pipeline writes them "
                "(the synthetic generator writes only in the base environment)."
            )
        write_raw_csv(data, Path(self._filepath), self._table)

    def _exists(self) -> bool:
        return Path(self._filepath).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "table": self._table, "read_only": self._read_only}
