"""Reference feature code written straight from the issue's definitions: plain Python loops.

Slow and obvious on purpose; the vectorized code in ``l6pipeline.rossmann.features`` must
agree with it exactly.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

EVENTS = ("SchoolHoliday", "StateHoliday", "Promo", "Closed")
LONG_CLOSURE_DAYS = 14  # more data days than this without an open day: a closure
REOPEN_CAP = 365
EPOCH = dt.date(1970, 1, 1)


class ReferenceJoinError(KeyError):
    pass


def _date(value) -> dt.date:
    return pd.Timestamp(value).date()


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


# --- date parts -----------------------------------------------------------------------------


def date_parts(day: dt.date) -> dict:
    next_day = day + dt.timedelta(days=1)
    is_month_end = next_day.month != day.month
    return {
        "Year": day.year,
        "Month": day.month,
        "Week": day.isocalendar()[1],
        "Day": day.day,
        "Dayofweek": day.weekday(),
        "Dayofyear": day.timetuple().tm_yday,
        "Is_month_end": is_month_end,
        "Is_month_start": day.day == 1,
        "Is_quarter_end": is_month_end and day.month in (3, 6, 9, 12),
        "Is_quarter_start": day.day == 1 and day.month in (1, 4, 7, 10),
        "Is_year_end": day.month == 12 and day.day == 31,
        "Is_year_start": day.month == 1 and day.day == 1,
        "Elapsed": (day - EPOCH).days * 86400,
    }


# --- events ---------------------------------------------------------------------------------


def is_open(row: dict) -> bool:
    value = row.get("Open", 1)
    return _missing(value) or value != 0


def is_event(name: str, row: dict) -> bool:
    if name == "Closed":  # closed on a day other than Sunday
        return not is_open(row) and _date(row["Date"]).weekday() != 6
    value = row[name]
    if name == "StateHoliday":
        return value is True or (not isinstance(value, bool) and str(value) != "0")
    return value != 0


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def events(rows: list[dict], window: int = 7, data_days=None) -> dict[tuple, dict]:
    """(Store, date) -> event features, from rows with Store, Date, the event columns and
    (optionally) Open; ``data_days``: the days that count for a closure (default: the rows')."""
    by_store: dict[int, list[dict]] = {}
    for row in rows:
        by_store.setdefault(row["Store"], []).append(row)
    if data_days is None:
        data_days = {_date(r["Date"]) for r in rows}
    out: dict[tuple, dict] = {}
    for store, unsorted in by_store.items():
        store_rows = sorted(unsorted, key=lambda r: r["Date"])
        dates = [_date(r["Date"]) for r in store_rows]
        opened = [dates[j] for j, r in enumerate(store_rows) if is_open(r)]
        reopenings = [
            day
            for before, day in zip(opened, opened[1:], strict=False)
            if sum(1 for d in data_days if before < d < day) > LONG_CLOSURE_DAYS
        ]
        for i, day in enumerate(dates):
            feats = {}
            for name in EVENTS:
                flags = [is_event(name, r) for r in store_rows]
                past = [dates[j] for j in range(0, i + 1) if flags[j]]
                future = [dates[j] for j in range(i, len(dates)) if flags[j]]
                feats[f"After{name}"] = (day - past[-1]).days if past else 0
                feats[f"Before{name}"] = (day - future[0]).days if future else 0
                feats[f"{name}_bw"] = sum(flags[max(0, i - (window - 1)) : i + 1])
                feats[f"{name}_fw"] = sum(flags[i : i + window])
            since = [(day - d).days for d in reopenings if d <= day]
            feats["AfterReopen"] = min([*since, REOPEN_CAP])
            for name in ("SchoolHoliday", "StateHoliday"):
                for suffix, shift in (("Week", 0), ("WeekBefore", -7), ("WeekAfter", 7)):
                    week = _monday(day) + dt.timedelta(days=shift)
                    feats[name + suffix] = sum(
                        1
                        for j, r in enumerate(store_rows)
                        if _monday(dates[j]) == week and is_event(name, r)
                    )
            out[(store, day)] = feats
    return out


def recent_sales(
    train: list[dict], keys: list[tuple], spans=(28, 91, 365), lag: int | None = None, promos=None
) -> dict[tuple, dict]:
    """(Store, date) -> the mean of log(Sales) of the store's days with sales in the ``span``
    days ending ``lag`` days before (NaN with fewer than span // 4 such days); the trend is the
    shortest span's mean minus the longest's; StoreDayPromoSales the mean of log(Sales) of the
    store's days with sales on the same weekday with the same Promo (``promos[key]``) up to
    ``lag`` days before (NaN with fewer than 4). ``lag`` None: days from the last sale to the
    last key."""
    sales, promo_of = {}, {}
    for row in train:
        if row["Sales"] > 0:
            sales[(row["Store"], _date(row["Date"]))] = math.log(row["Sales"])
            promo_of[(row["Store"], _date(row["Date"]))] = row["Promo"]
    if lag is None:
        lag = (max(day for _, day in keys) - max(day for _, day in sales)).days
    out = {}
    for store, day in keys:
        feats = {}
        for span in spans:
            last = day - dt.timedelta(days=lag)
            window = [last - dt.timedelta(days=k) for k in range(span)]
            values = [sales[(store, d)] for d in window if (store, d) in sales]
            enough = len(values) >= max(1, span // 4)
            feats[f"RecentSales{span}"] = sum(values) / len(values) if enough else math.nan
        feats["RecentSalesTrend"] = (
            feats[f"RecentSales{min(spans)}"] - feats[f"RecentSales{max(spans)}"]
        )
        if promos is not None:
            same = [
                value
                for (s, d), value in sales.items()
                if s == store
                and d.weekday() == day.weekday()
                and promo_of[(s, d)] == promos[(store, day)]
                and d <= day - dt.timedelta(days=lag)
            ]
            feats["StoreDayPromoSales"] = sum(same) / len(same) if len(same) >= 4 else math.nan
        out[(store, day)] = feats
    return out


# --- competition / Promo2 -------------------------------------------------------------------


def competition(day: dt.date, store: dict) -> dict:
    comp_year = (
        1900
        if _missing(store["CompetitionOpenSinceYear"])
        else int(store["CompetitionOpenSinceYear"])
    )
    comp_month = (
        1
        if _missing(store["CompetitionOpenSinceMonth"])
        else int(store["CompetitionOpenSinceMonth"])
    )
    promo_year = 1900 if _missing(store["Promo2SinceYear"]) else int(store["Promo2SinceYear"])
    promo_week = 1 if _missing(store["Promo2SinceWeek"]) else int(store["Promo2SinceWeek"])

    comp_since = dt.date(comp_year, comp_month, 15)
    comp_days = (day - comp_since).days
    if comp_days < 0 or comp_year < 1990:
        comp_days = 0
    # Monday of ISO week 1, then whole weeks (= date.fromisocalendar for valid weeks).
    promo_since = dt.date.fromisocalendar(promo_year, 1, 1) + dt.timedelta(weeks=promo_week - 1)
    promo_days = (day - promo_since).days
    if promo_days < 0 or promo_year < 1990:
        promo_days = 0
    return {
        "CompetitionOpenSinceMonth": comp_month,
        "CompetitionOpenSinceYear": comp_year,
        "Promo2SinceWeek": promo_week,
        "Promo2SinceYear": promo_year,
        "CompetitionOpenSince": comp_since,
        "CompetitionDaysOpen": comp_days,
        "CompetitionMonthsOpen": min(comp_days // 30, 24),
        "Promo2Since": promo_since,
        "Promo2Days": promo_days,
        "Promo2Weeks": min(max(promo_days // 7, 0), 25),
    }


# --- the whole table ------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


def _lookup(table: dict, key, what: str):
    if key not in table:
        raise ReferenceJoinError(f"{what}: no match for {key}")
    return table[key]


def trend_tables(googletrend: pd.DataFrame) -> tuple[dict, list]:
    """(state -> [(start, end, trend)], national [(start, end, trend)])."""
    by_state: dict[str, list] = {}
    national: list = []
    for row in _records(googletrend):
        start_text, end_text = row["week"].split(" - ")
        start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
        parts = row["file"].split("_")
        if len(parts) == 2:
            national.append((start, end, row["trend"]))
        else:
            state = "HB,NI" if parts[2] == "NI" else parts[2]
            by_state.setdefault(state, []).append((start, end, row["trend"]))
    return by_state, national


def trend_for(day: dt.date, weeks: list, alignment: str) -> int:
    if alignment == "google_week":
        found = [trend for start, end, trend in weeks if start <= day <= end]
    else:  # fastai: calendar year and ISO week of the day vs. of the week's first day
        found = [
            trend
            for start, _end, trend in weeks
            if (start.year, start.isocalendar()[1]) == (day.year, day.isocalendar()[1])
        ]
    if len(found) != 1:
        raise ReferenceJoinError(f"{len(found)} trend weeks for {day} ({alignment})")
    return found[0]


def feature_rows(
    tables: dict[str, pd.DataFrame], split: str, alignment: str = "google_week"
) -> list[dict]:
    """The feature rows of ``split`` ('train' keeps Sales != 0), one dict per row."""
    state_of_name = {r["StateName"]: r["State"] for r in _records(tables["state_names"])}
    state_of_store = {r["Store"]: r["State"] for r in _records(tables["store_states"])}
    stores = {r["Store"]: r for r in _records(tables["store"])}
    weather = {}
    for r in _records(tables["weather"]):
        state = _lookup(state_of_name, r["file"], "weather <- state_names")
        weather[(state, _date(r["Date"]))] = r
    by_state, national = trend_tables(tables["googletrend"])
    event_rows = _records(tables["train"]) + _records(tables["test"])
    event_feats = events(event_rows)
    keys = [(r["Store"], _date(r["Date"])) for r in event_rows]
    promos = {key: r["Promo"] for key, r in zip(keys, event_rows, strict=True)}
    recent = recent_sales(_records(tables["train"]), keys, promos=promos)

    out = []
    for row in _records(tables[split]):
        if split == "train" and row["Sales"] == 0:
            continue
        day = _date(row["Date"])
        feat = dict(row)
        feat.update(date_parts(day))
        store = _lookup(stores, row["Store"], "rows <- store")
        feat.update({k: v for k, v in store.items() if k != "Store"})
        state = _lookup(state_of_store, row["Store"], "store <- store_states")
        feat["State"] = state
        feat["trend"] = trend_for(day, _lookup(by_state, state, "trend state"), alignment)
        feat["trend_DE"] = trend_for(day, national, alignment)
        w = _lookup(weather, (state, day), "rows <- weather")
        feat.update({k: v for k, v in w.items() if k not in ("file", "Date")})
        feat.update(competition(day, store))
        feat.update(event_feats[(row["Store"], day)])
        feat.update(recent[(row["Store"], day)])
        feat["StateHoliday"] = str(row["StateHoliday"]) != "0"
        out.append(feat)
    return out
