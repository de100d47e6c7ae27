"""The seven raw Rossmann tables declared once: files, columns in Kaggle order, validated dtypes
and CSV styles, from which the generator, the writer and the pandera schemas derive."""

from __future__ import annotations

from dataclasses import dataclass

import pandera.pandas as pa

TABLES: tuple[str, ...] = (
    "train",
    "test",
    "store",
    "store_states",
    "state_names",
    "googletrend",
    "weather",
)

INT, FLOAT, STR, DATE = "int64", "float64", "str", "datetime64[ns]"

WEATHER_NUMERIC: tuple[str, ...] = (
    "Max_TemperatureC",
    "Mean_TemperatureC",
    "Min_TemperatureC",
    "Dew_PointC",
    "MeanDew_PointC",
    "Min_DewpointC",
    "Max_Humidity",
    "Mean_Humidity",
    "Min_Humidity",
    "Max_Sea_Level_PressurehPa",
    "Mean_Sea_Level_PressurehPa",
    "Min_Sea_Level_PressurehPa",
    "Max_VisibilityKm",
    "Mean_VisibilityKm",
    "Min_VisibilitykM",
    "Max_Wind_SpeedKm_h",
    "Mean_Wind_SpeedKm_h",
    "Max_Gust_SpeedKm_h",
    "Precipitationmm",
    "CloudCover",
)

# Column -> validated dtype, in the order of the Kaggle / fast.ai files.
COLUMNS: dict[str, dict[str, str]] = {
    "train": {
        "Store": INT,
        "DayOfWeek": INT,
        "Date": DATE,
        "Sales": INT,
        "Customers": INT,
        "Open": INT,
        "Promo": INT,
        "StateHoliday": STR,
        "SchoolHoliday": INT,
    },
    "test": {
        "Id": INT,
        "Store": INT,
        "DayOfWeek": INT,
        "Date": DATE,
        "Open": FLOAT,
        "Promo": INT,
        "StateHoliday": STR,
        "SchoolHoliday": INT,
    },
    "store": {
        "Store": INT,
        "StoreType": STR,
        "Assortment": STR,
        "CompetitionDistance": FLOAT,
        "CompetitionOpenSinceMonth": FLOAT,
        "CompetitionOpenSinceYear": FLOAT,
        "Promo2": INT,
        "Promo2SinceWeek": FLOAT,
        "Promo2SinceYear": FLOAT,
        "PromoInterval": STR,
    },
    "store_states": {"Store": INT, "State": STR},
    "state_names": {"StateName": STR, "State": STR},
    "googletrend": {"file": STR, "week": STR, "trend": INT},
    "weather": {
        "file": STR,
        "Date": DATE,
        **dict.fromkeys(WEATHER_NUMERIC, FLOAT),
        "Events": STR,
        "WindDirDegrees": FLOAT,
    },
}

# Columns that may be missing (everything else must be present on every row).
NULLABLE: dict[str, frozenset[str]] = {
    "train": frozenset(),
    "test": frozenset({"Open"}),
    "store": frozenset(
        {
            "CompetitionDistance",
            "CompetitionOpenSinceMonth",
            "CompetitionOpenSinceYear",
            "Promo2SinceWeek",
            "Promo2SinceYear",
            "PromoInterval",
        }
    ),
    "store_states": frozenset(),
    "state_names": frozenset(),
    "googletrend": frozenset(),
    "weather": frozenset({*WEATHER_NUMERIC, "WindDirDegrees", "Events"}),
}

# Rows are identified by these columns (duplicates are an error).
UNIQUE: dict[str, tuple[str, ...]] = {
    "train": ("Store", "Date"),
    "test": ("Store", "Date"),
    "store": ("Store",),
    "store_states": ("Store",),
    "state_names": ("StateName",),
    "googletrend": ("file", "week"),
    "weather": ("file", "Date"),
}

# Single columns whose values are unique on their own.
UNIQUE_COLUMNS: dict[str, frozenset[str]] = {"test": frozenset({"Id"})}

STORE_TYPES = ("a", "b", "c", "d")
ASSORTMENTS = ("a", "b", "c")
STATE_HOLIDAYS = ("0", "a", "b", "c")  # none, public holiday, Easter, Christmas
PROMO_INTERVALS = ("Jan,Apr,Jul,Oct", "Feb,May,Aug,Nov", "Mar,Jun,Sept,Dec")
NATIONAL_TREND = "Rossmann_DE"
TREND_FILE_PATTERN = r"^Rossmann_DE(_[A-Z]{2})?$"
WEEK_PATTERN = r"^\d{4}-\d{2}-\d{2} - \d{4}-\d{2}-\d{2}$"

# fast.ai's state_names.csv: weather `file` (state name) -> state code as in store_states.csv.
# Niedersachsen carries the combined code "HB,NI" (Bremen's stores are filed under it).
STATE_NAMES: dict[str, str] = {
    "BadenWuerttemberg": "BW",
    "Bayern": "BY",
    "Berlin": "BE",
    "Brandenburg": "BB",
    "Bremen": "HB",
    "Hamburg": "HH",
    "Hessen": "HE",
    "MecklenburgVorpommern": "MV",
    "Niedersachsen": "HB,NI",
    "NordrheinWestfalen": "NW",
    "RheinlandPfalz": "RP",
    "Saarland": "SL",
    "Sachsen": "SN",
    "SachsenAnhalt": "ST",
    "SchleswigHolstein": "SH",
    "Thueringen": "TH",
}
STATE_NAME_OF_CODE: dict[str, str] = {code: name for name, code in STATE_NAMES.items()}
# The 12 codes that occur in the real store_states.csv.
STORE_STATE_CODES: tuple[str, ...] = (
    "BE",
    "BW",
    "BY",
    "HB,NI",
    "HE",
    "HH",
    "NW",
    "RP",
    "SH",
    "SN",
    "ST",
    "TH",
)
# The state series in the real googletrend.csv (`Rossmann_DE_<suffix>`); NI stands for "HB,NI".
TREND_SUFFIXES: tuple[str, ...] = (
    "BE",
    "BW",
    "BY",
    "HE",
    "HH",
    "NI",
    "NW",
    "RP",
    "SH",
    "SL",
    "SN",
    "ST",
    "TH",
)


def trend_file_for_state(code: str) -> str:
    """The googletrend ``file`` of a store state code (``"HB,NI"`` -> ``Rossmann_DE_NI``)."""
    return f"{NATIONAL_TREND}_{code.rsplit(',', maxsplit=1)[-1]}"


def file_name(table: str) -> str:
    """The file a table lives in (``train`` -> ``train.csv``)."""
    return f"{table}.csv"


@dataclass(frozen=True)
class CsvStyle:
    """How a real file is written, so that generated files look the same byte for byte.

    ``quoted_header``: header names written in double quotes; ``quoted``: columns whose values
    are always quoted (other values only when they contain a comma or a quote); ``na``: how a
    missing number is written (missing quoted values are ``""``); ``blank_after``: a blank line
    follows every block of rows with the same ``block_column`` value in this set (``None``: after
    every block).
    """

    quoted_header: frozenset[str] = frozenset()
    quoted: frozenset[str] = frozenset()
    na: str = ""
    newline: str = "\n"
    block_column: str | None = None
    blank_after: frozenset[str] | None = None


CSV_STYLES: dict[str, CsvStyle] = {
    # Kaggle's files come from R's write.csv: quoted header and text, bare numbers, NA as empty.
    "train": CsvStyle(
        quoted_header=frozenset(COLUMNS["train"]),
        quoted=frozenset({"StateHoliday", "SchoolHoliday"}),
    ),
    "test": CsvStyle(
        quoted_header=frozenset(COLUMNS["test"]),
        quoted=frozenset({"StateHoliday", "SchoolHoliday"}),
    ),
    "store": CsvStyle(
        quoted_header=frozenset(COLUMNS["store"]),
        quoted=frozenset({"StoreType", "Assortment", "PromoInterval"}),
    ),
    # fast.ai's external tables: minimal quoting; store_states.csv has Windows line ends.
    "store_states": CsvStyle(newline="\r\n"),
    "state_names": CsvStyle(),
    "googletrend": CsvStyle(block_column="file", blank_after=frozenset({NATIONAL_TREND})),
    # weather.csv: every header name quoted but `file`, "NA" for missing numbers, quoted Events,
    # and a blank line after each state's block.
    "weather": CsvStyle(
        quoted_header=frozenset(COLUMNS["weather"]) - {"file"},
        quoted=frozenset({"Events"}),
        na="NA",
        block_column="file",
    ),
}


def _binary() -> pa.Check:
    return pa.Check.isin([0, 1], error="must be 0 or 1")


def _checks(table: str, column: str) -> list[pa.Check]:
    """Value domains per column (dtypes, nulls and uniqueness come from the declarations)."""
    checks: dict[tuple[str, str], list[pa.Check]] = {
        ("*", "Store"): [pa.Check.ge(1, error="store ids start at 1")],
        ("*", "DayOfWeek"): [pa.Check.in_range(1, 7, error="must be 1 (Monday) .. 7 (Sunday)")],
        ("*", "Open"): [_binary()],
        ("*", "Promo"): [_binary()],
        ("*", "SchoolHoliday"): [_binary()],
        ("*", "StateHoliday"): [
            pa.Check.isin(STATE_HOLIDAYS, error="must be one of '0', 'a', 'b', 'c'")
        ],
        ("train", "Sales"): [pa.Check.ge(0, error="must be >= 0")],
        ("train", "Customers"): [pa.Check.ge(0, error="must be >= 0")],
        ("test", "Id"): [pa.Check.ge(1, error="ids start at 1")],
        ("store", "StoreType"): [pa.Check.isin(STORE_TYPES, error="must be one of a, b, c, d")],
        ("store", "Assortment"): [pa.Check.isin(ASSORTMENTS, error="must be one of a, b, c")],
        ("store", "CompetitionDistance"): [pa.Check.ge(0, error="must be >= 0")],
        ("store", "CompetitionOpenSinceMonth"): [
            pa.Check.in_range(1, 12, error="must be a month 1..12")
        ],
        ("store", "Promo2"): [_binary()],
        ("store", "Promo2SinceWeek"): [pa.Check.in_range(1, 53, error="must be a week 1..53")],
        ("store", "PromoInterval"): [
            pa.Check.isin(PROMO_INTERVALS, error=f"must be one of {', '.join(PROMO_INTERVALS)}")
        ],
        ("googletrend", "file"): [
            pa.Check.str_matches(TREND_FILE_PATTERN, error="must be Rossmann_DE or Rossmann_DE_XX")
        ],
        ("googletrend", "week"): [
            pa.Check.str_matches(WEEK_PATTERN, error="must be 'YYYY-MM-DD - YYYY-MM-DD'")
        ],
        ("googletrend", "trend"): [pa.Check.in_range(0, 100, error="must be 0..100")],
    }
    return [*checks.get((table, column), []), *checks.get(("*", column), [])]


def table_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of one validated table: exact columns in order, dtypes, domains."""
    columns = {
        name: pa.Column(
            dtype,
            checks=_checks(table, name),
            nullable=name in NULLABLE[table],
            unique=name in UNIQUE_COLUMNS.get(table, ()),
            required=True,
        )
        for name, dtype in COLUMNS[table].items()
    }
    return pa.DataFrameSchema(
        columns,
        strict=True,
        ordered=True,
        unique=list(UNIQUE[table]),
        report_duplicates="all",
        name=file_name(table),
    )


SCHEMAS: dict[str, pa.DataFrameSchema] = {table: table_schema(table) for table in TABLES}
