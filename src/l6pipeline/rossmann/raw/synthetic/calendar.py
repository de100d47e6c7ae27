"""German calendars for the synthetic Rossmann data: state holidays, school holidays, promos.

Everything is an array over (state, day) or (day,), built from a handful of date rules per year;
no loop runs over rows. Codes follow Kaggle's ``StateHoliday``: ``a`` public holiday, ``b``
Easter (Good Friday, Easter Monday), ``c`` Christmas (25 and 26 December), ``0`` none.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.offsets import Easter

ALL = None  # a rule for every state

# (month, day, code, states)
_FIXED_HOLIDAYS: tuple[tuple[int, int, str, frozenset[str] | None], ...] = (
    (1, 1, "a", ALL),  # New Year
    (1, 6, "a", frozenset({"BW", "BY", "ST"})),  # Epiphany
    (5, 1, "a", ALL),  # Labour Day
    (8, 15, "a", frozenset({"BY", "SL"})),  # Assumption
    (10, 3, "a", ALL),  # German Unity
    (10, 31, "a", frozenset({"BB", "MV", "SN", "ST", "TH"})),  # Reformation Day
    (11, 1, "a", frozenset({"BW", "BY", "NW", "RP", "SL"})),  # All Saints
    (12, 25, "c", ALL),
    (12, 26, "c", ALL),
)
# (days after Easter Sunday, code, states)
_EASTER_HOLIDAYS: tuple[tuple[int, str, frozenset[str] | None], ...] = (
    (-2, "b", ALL),  # Good Friday
    (1, "b", ALL),  # Easter Monday
    (39, "a", ALL),  # Ascension
    (50, "a", ALL),  # Whit Monday
    (60, "a", frozenset({"BW", "BY", "HE", "NW", "RP", "SL"})),  # Corpus Christi
)


def _applies(rule_states: frozenset[str] | None, code: str) -> bool:
    """Whether a rule covers a store state code ("HB,NI" is covered by rules for HB or NI)."""
    return rule_states is None or bool(set(code.split(",")) & rule_states)


def easter_sunday(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=1, day=1) + Easter()


def state_holidays(states: Sequence[str], days: pd.DatetimeIndex) -> np.ndarray:
    """``StateHoliday`` codes, shape (len(states), len(days)), dtype ``<U1``."""
    codes = np.full((len(states), len(days)), "0", dtype="<U1")
    positions = pd.Series(np.arange(len(days)), index=days)
    for year in range(days.min().year, days.max().year + 1):
        easter = easter_sunday(year)
        rules = [
            (pd.Timestamp(year=year, month=month, day=day), code, who)
            for month, day, code, who in _FIXED_HOLIDAYS
        ]
        rules += [
            (easter + pd.Timedelta(days=off), code, who) for off, code, who in _EASTER_HOLIDAYS
        ]
        # Repentance Day (Saxony): the Wednesday before 23 November.
        nov22 = pd.Timestamp(year=year, month=11, day=22)
        rules.append((nov22 - pd.Timedelta(days=(nov22.weekday() - 2) % 7), "a", frozenset({"SN"})))
        for day, code, who in rules:
            if day in positions.index:
                rows = [i for i, state in enumerate(states) if _applies(who, state)]
                codes[rows, positions[day]] = code
    return codes


def school_holidays(
    states: Sequence[str], days: pd.DatetimeIndex, rng: np.random.Generator
) -> np.ndarray:
    """``SchoolHoliday`` flags, shape (len(states), len(days)), that differ between states.

    Christmas, Easter, summer (six weeks, staggered between states and rolling by year as in
    Germany), autumn, and for some states a winter week and a Whitsun break.
    """
    flags = np.zeros((len(states), len(days)), dtype=bool)
    values = days.to_numpy()
    years = range(days.min().year - 1, days.max().year + 1)
    n = len(states)
    summer_slot = rng.permutation(n) % 7  # rolling system: 7 start weeks
    easter_shift = rng.integers(-9, 1, size=n)
    autumn_start = rng.integers(0, 4, size=n) * 7
    autumn_length = rng.choice([7, 14], size=n)
    winter_week = np.where(rng.random(n) < 0.5, rng.integers(4, 9, size=n), -1)
    christmas_shift = rng.integers(-2, 2, size=n)
    for s, state in enumerate(states):
        spans: list[tuple[pd.Timestamp, int]] = []
        for year in years:
            easter = easter_sunday(year)
            spans.append((easter + pd.Timedelta(days=int(easter_shift[s]) - 5), 16))
            summer = pd.Timestamp(year=year, month=6, day=22) + pd.Timedelta(
                weeks=int((summer_slot[s] + year) % 7)
            )
            spans.append((summer, 44))
            autumn = pd.Timestamp(year=year, month=10, day=5) + pd.Timedelta(
                days=int(autumn_start[s])
            )
            spans.append((autumn, int(autumn_length[s])))
            spans.append((pd.Timestamp(year=year, month=12, day=22 + int(christmas_shift[s])), 16))
            if winter_week[s] >= 0:
                spans.append(
                    (
                        pd.Timestamp(year=year, month=1, day=1)
                        + pd.Timedelta(weeks=int(winter_week[s])),
                        7,
                    )
                )
            if _applies(frozenset({"BW", "BY"}), state):
                spans.append((easter + pd.Timedelta(days=51), 11))  # after Whit Monday
        for start, length in spans:
            first = np.searchsorted(values, start.to_datetime64())
            last = np.searchsorted(values, (start + pd.Timedelta(days=length)).to_datetime64())
            flags[s, first:last] = True
    return flags


def promo_days(days: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Chain-wide ``Promo`` flags per day: Monday to Friday of promo weeks.

    As in the real data, promo weeks mostly alternate with plain weeks, with the odd pair of
    consecutive promo weeks; weekends never have the daily promo.
    """
    monday = days.min() - pd.Timedelta(days=days.min().weekday())
    week = ((days - monday).days // 7).to_numpy()
    n_weeks = int(week.max()) + 1
    on = np.arange(n_weeks) % 2 == 1
    extra = rng.random(n_weeks) < 0.12  # a plain week turned into a promo week
    on = on | extra
    return on[week] & (days.day_of_week.to_numpy() < 5)
