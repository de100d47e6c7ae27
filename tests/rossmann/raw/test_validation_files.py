"""File-level problems surface when the raw CSV is loaded, before any value is looked at.

Files that are not CSV text at all (compressed, UTF-16, a directory, empty): test_validation_file_types.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l6pipeline.rossmann import RawDataError
from l6pipeline.rossmann.raw.csv_files import format_csv, read_raw_csv, write_raw_csv
from l6pipeline.rossmann.raw.schemas import CSV_STYLES, TABLES, CsvStyle
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables
from tests.rossmann.conftest import SMALL_PARAMS, read_raw_tables, write_raw_tables


def test_missing_file_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(RawDataError, match=r"train\.csv: file not found .* run the generator"):
        read_raw_csv(tmp_path / "train.csv", missing_hint="run the generator")


def test_header_without_rows(raw_csv_dir):
    path = raw_csv_dir / "train.csv"
    path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n")
    with pytest.raises(RawDataError, match=r"train\.csv: the file has a header but no data rows"):
        read_raw_csv(path)


def test_truncated_last_line(raw_csv_dir):
    path = raw_csv_dir / "train.csv"
    content = path.read_bytes()
    path.write_bytes(content[: len(content) - 12])  # cut in the middle of the last row
    with pytest.raises(RawDataError) as caught:
        read_raw_csv(path)
    message = str(caught.value)
    assert message.startswith("train.csv: the last line (line ")
    assert "is truncated" in message and "no final newline" in message


def test_truncated_inside_a_quoted_field(raw_csv_dir):
    path = raw_csv_dir / "store.csv"
    content = path.read_bytes().rstrip(b"\n")
    path.write_bytes(content[:-3])  # ..."Mar,Jun,Sept,Dec" -> ..."Mar,Jun,Sept,D
    with pytest.raises(RawDataError, match=r"store\.csv: the last line .* truncated"):
        read_raw_csv(path)


def test_a_short_row_in_the_middle(raw_csv_dir):
    path = raw_csv_dir / "test.csv"
    lines = path.read_bytes().split(b"\n")
    lines[5] = lines[5].rsplit(b",", 2)[0]
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(RawDataError, match=r"test\.csv: malformed CSV .*Expected 8 columns, got 6"):
        read_raw_csv(path)


def test_a_long_row_in_the_middle(raw_csv_dir):
    path = raw_csv_dir / "store_states.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines[3] += b",extra"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(RawDataError, match=r"store_states\.csv: malformed CSV .*got 3"):
        read_raw_csv(path)


def test_fields_are_text_and_index_is_the_line_number(raw_csv_dir):
    weather = read_raw_csv(raw_csv_dir / "weather.csv")
    assert weather.index.name == "line"
    assert (weather.dtypes == "str").all()
    days = (weather["file"] == weather["file"].iloc[0]).sum()
    # One blank line after each state block: the second state starts after it.
    assert weather.index[days] == days + 3
    lines = (raw_csv_dir / "weather.csv").read_text().split("\n")
    assert lines[weather.index[days] - 1].startswith(weather["file"].iloc[days] + ",")
    store = read_raw_csv(raw_csv_dir / "store.csv")
    assert (store["PromoInterval"] == "").any()  # "" is kept as text; validation makes it NaN


def test_byte_order_mark_is_ignored(raw_csv_dir):
    path = raw_csv_dir / "state_names.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert list(read_raw_csv(path).columns) == ["StateName", "State"]


@pytest.mark.realdata
def test_real_files_load_with_their_quirks(real_rossmann):
    weather = read_raw_csv(real_rossmann / "weather.csv")
    assert len(weather) == 15_840
    assert weather.index[990] == 993  # after the first state's block and its blank line
    trend = read_raw_csv(real_rossmann / "googletrend.csv")
    assert len(trend) == 2_072
    states = read_raw_csv(real_rossmann / "store_states.csv")
    assert "HB,NI" in set(states["State"]) and not states["State"].str.endswith("\r").any()
    store = read_raw_csv(real_rossmann / "store.csv")
    assert (store["PromoInterval"] == "Jan,Apr,Jul,Oct").any()


# -- round trips -------------------------------------------------------------------------------


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_stores=st.integers(1, 15),
    end_day=st.integers(0, 60),
)
def test_generated_tables_survive_the_csv_round_trip(tmp_path_factory, seed, n_stores, end_day):
    params = {
        **SMALL_PARAMS,
        "seed": seed,
        "n_stores": n_stores,
        "end_date": str(pd.Timestamp("2014-12-01") + pd.Timedelta(days=end_day)),
    }
    tables = generate_rossmann(params)
    folder = write_raw_tables(tables, tmp_path_factory.mktemp("raw"))
    validated = validate_tables(read_raw_tables(folder))
    for table in TABLES:
        pd.testing.assert_frame_equal(validated[table], tables[table], check_exact=True)


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda value: value.strip() == value and value != ""
)


_BOTH = frozenset({"StateName", "State"})
_STYLES = [
    CSV_STYLES["state_names"],  # minimal quoting
    CSV_STYLES["store_states"],  # minimal quoting, CRLF
    CsvStyle(quoted_header=_BOTH, quoted=_BOTH),  # Kaggle's R style
    CsvStyle(quoted_header=frozenset({"State"}), quoted=frozenset({"State"}), na="NA"),
    CsvStyle(block_column="State"),  # blank lines between blocks
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(_text, min_size=1, max_size=6), style=st.sampled_from(_STYLES))
def test_any_text_survives_the_csv_round_trip(tmp_path_factory, names, style):
    """Commas, quotes and non-ASCII text come back unchanged in every file style."""
    frame = pd.DataFrame({"StateName": names, "State": list(reversed(names))}, dtype="str")
    path: Path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text(format_csv(frame, style), encoding="utf-8", newline="")
    back = read_raw_csv(path)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), frame)


def test_write_raw_csv_creates_the_folder(tmp_path, raw_tables):
    write_raw_csv(raw_tables["store"], tmp_path / "a" / "b" / "store.csv", "store")
    assert (tmp_path / "a" / "b" / "store.csv").exists()
