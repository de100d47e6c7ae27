"""FillMissing / Categorify / Normalize: fitted on training rows only, reusable as one artifact."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from l6pipeline.rossmann.model.processors import (
    NA,
    Categorify,
    FillMissing,
    Normalize,
    TabularProcessor,
)
from tests.rossmann.model.conftest import CAT_VARS, CONT_VARS, make_frame


@pytest.fixture
def train_valid(frame):
    """Validation rows differ from training ones: new store, new event, shifted values."""
    train = frame.iloc[:300].reset_index(drop=True)
    valid = frame.iloc[300:].reset_index(drop=True).copy()
    valid.loc[:9, "Store"] = 99  # a store never seen in training
    valid.loc[10:19, "Events"] = "Hail"  # an event never seen in training
    valid["Max_TemperatureC"] += 30.0  # a heat wave: the validation mean is far off
    valid.loc[20:29, "Max_TemperatureC"] = np.nan  # complete in training, gaps here
    return train, valid


# --- Categorify -------------------------------------------------------------------------


def test_categories_are_sorted_unique_training_values(train_valid):
    train, valid = train_valid
    cat = Categorify.fit(train, ["Store", "Events", "StateHoliday"])
    assert cat.categories["Store"] == sorted(train["Store"].unique().tolist())
    assert cat.categories["Events"] == sorted(train["Events"].dropna().unique().tolist())
    assert cat.categories["StateHoliday"] == [False, True]
    # Fit on training rows only: validation's store 99 and event "Hail" are not categories.
    assert 99 not in cat.categories["Store"] and "Hail" not in cat.categories["Events"]


def test_codes_start_at_one_and_zero_means_missing_or_unseen(train_valid):
    train, valid = train_valid
    cat = Categorify.fit(train, ["Store", "Events"])
    codes = cat.codes(valid)
    stores, events = codes[:, 0], codes[:, 1]
    assert (stores[:10] == 0).all()  # store 99: unseen
    assert (events[10:20] == 0).all()  # "Hail": unseen
    assert (events[valid["Events"].isna().to_numpy()] == 0).all()  # missing
    seen = valid["Store"] != 99
    expected = [cat.categories["Store"].index(s) + 1 for s in valid.loc[seen, "Store"]]
    assert stores[seen.to_numpy()].tolist() == expected
    assert codes.dtype == np.int64


def test_decode_inverts_codes(frame):
    cat = Categorify.fit(frame, ["Events"])
    codes = cat.codes(frame)[:, 0]
    decoded = cat.decode("Events", codes)
    assert decoded == [NA if pd.isna(v) else v for v in frame["Events"]]


def test_cardinality_counts_na():
    cat = Categorify.fit(pd.DataFrame({"a": ["x", "y", None, "x"]}), ["a"])
    assert cat.cardinalities == {"a": 3}


def test_integer_categories_match_float_values_with_gaps():
    """A column read back as float because of a NaN still finds its integer categories."""
    cat = Categorify.fit(pd.DataFrame({"Year": [2013, 2014, 2015]}), ["Year"])
    codes = cat.codes(pd.DataFrame({"Year": [2015.0, np.nan, 2013.0, 2016.0]}))
    assert codes[:, 0].tolist() == [3, 0, 1, 0]


# --- FillMissing ------------------------------------------------------------------------


def test_fill_missing_uses_training_median_and_flags_gappy_columns(train_valid):
    train, valid = train_valid
    fill = FillMissing.fit(train, CONT_VARS)
    train_median = float(train["CompetitionDistance"].median())
    assert fill.na_columns == ["CompetitionDistance"]  # the only column with gaps in training
    assert fill.medians["CompetitionDistance"] == pytest.approx(train_median)
    out = fill.apply(valid)
    gaps = valid["CompetitionDistance"].isna()
    assert out["CompetitionDistance_na"].tolist() == gaps.tolist()
    assert (out.loc[gaps, "CompetitionDistance"] == train_median).all()
    assert not out[CONT_VARS].isna().any().any()


def test_new_gaps_are_filled_with_training_median_and_logged(train_valid, caplog):
    train, valid = train_valid
    fill = FillMissing.fit(train, CONT_VARS)
    with caplog.at_level(logging.WARNING):
        out = fill.apply(valid)
    assert "Max_TemperatureC" in caplog.text and "had none in training" in caplog.text
    assert "Max_TemperatureC_na" not in out  # the model has no input for a new flag
    filled = out.loc[20:29, "Max_TemperatureC"]
    assert (filled == train["Max_TemperatureC"].median()).all()


def test_fill_missing_leaves_the_input_alone(train_valid):
    train, valid = train_valid
    before = valid.copy()
    FillMissing.fit(train, CONT_VARS).apply(valid)
    pd.testing.assert_frame_equal(valid, before)


# --- Normalize --------------------------------------------------------------------------


def test_normalize_uses_training_mean_and_std(train_valid):
    train, valid = train_valid
    filled_train = FillMissing.fit(train, CONT_VARS).apply(train)
    norm = Normalize.fit(filled_train, CONT_VARS)
    temps = train["Max_TemperatureC"]
    assert norm.means["Max_TemperatureC"] == pytest.approx(temps.mean())
    assert norm.stds["Max_TemperatureC"] == pytest.approx(temps.std())
    x = norm.values(filled_train)
    assert np.allclose(x.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(x.std(axis=0, ddof=1), 1, atol=1e-4)
    v = norm.values(valid.fillna({"CompetitionDistance": 0.0, "Max_TemperatureC": 0.0}))
    expected = (valid["Max_TemperatureC"].fillna(0.0) - temps.mean()) / (temps.std() + 1e-7)
    assert np.allclose(v[:, 2], expected, atol=1e-4)


def test_constant_column_normalizes_to_zero():
    df = pd.DataFrame({"c": [5.0, 5.0, 5.0]})
    assert np.allclose(Normalize.fit(df, ["c"]).values(df), 0.0)


# --- TabularProcessor -------------------------------------------------------------------


def test_processor_is_fitted_on_training_rows_only(train_valid):
    """Refitting on train + validation would change every statistic checked here."""
    train, valid = train_valid
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    both = TabularProcessor.fit(pd.concat([train, valid]), CAT_VARS, CONT_VARS)
    assert proc.normalize.means["Max_TemperatureC"] == pytest.approx(
        train["Max_TemperatureC"].mean()
    )
    assert proc.normalize.means != both.normalize.means
    assert proc.fill_missing.medians != both.fill_missing.medians
    assert proc.categorify.categories["Store"] != both.categorify.categories["Store"]
    assert proc.fill_missing.na_columns == ["CompetitionDistance"]
    # Transforming validation rows must not refit: the heat wave stays ~ +30 / std away.
    x = proc.transform(valid).conts[:, CONT_VARS.index("Max_TemperatureC")]
    assert np.nanmean(x[30:]) > 2.0


def test_processor_outputs_codes_and_normalized_values(train_valid):
    train, valid = train_valid
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    assert proc.cat_names == [*CAT_VARS, "CompetitionDistance_na"]
    arrays = proc.transform(valid)
    assert arrays.cats.shape == (len(valid), 5) and arrays.cats.dtype == np.int64
    assert arrays.conts.shape == (len(valid), 3) and arrays.conts.dtype == np.float32
    assert np.isfinite(arrays.conts).all()
    na_flag = arrays.cats[:, -1]
    assert (na_flag == np.where(valid["CompetitionDistance"].isna(), 2, 1)).all()  # True=2
    assert proc.cardinalities["Store"] == train["Store"].nunique() + 1


def test_processor_rejects_a_column_in_both_lists(frame):
    with pytest.raises(ValueError, match="both categorical and continuous"):
        TabularProcessor.fit(frame, ["Store", "Promo"], ["Promo"])


def test_processor_reports_missing_columns(frame):
    with pytest.raises(KeyError, match="Nope"):
        TabularProcessor.fit(frame, ["Store", "Nope"], CONT_VARS)


def test_artifact_round_trips_through_json(train_valid):
    train, valid = train_valid
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    restored = TabularProcessor.from_dict(json.loads(json.dumps(proc.to_dict())))
    assert restored == proc
    a, b = proc.transform(valid), restored.transform(valid)
    assert np.array_equal(a.cats, b.cats) and np.array_equal(a.conts, b.conts)


def test_artifact_round_trips_through_a_versioned_kedro_dataset(tmp_path, train_valid):
    from kedro.io import Version
    from kedro_datasets.json import JSONDataset

    train, valid = train_valid
    proc = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    dataset = JSONDataset(filepath=str(tmp_path / "proc.json"), version=Version(None, None))
    dataset.save(proc.to_dict())
    restored = TabularProcessor.from_dict(dataset.load())
    assert restored.cat_names == proc.cat_names  # column order survives the file
    assert np.array_equal(restored.transform(valid).cats, proc.transform(valid).cats)


def test_artifact_of_another_format_version_is_refused(frame):
    data = TabularProcessor.fit(frame, CAT_VARS, CONT_VARS).to_dict()
    data["format_version"] = 0
    with pytest.raises(ValueError, match="format_version"):
        TabularProcessor.from_dict(data)


def test_transform_of_fresh_rows_matches_the_lesson_semantics():
    """A tiny worked example, every number computed by hand."""
    train = pd.DataFrame({"c": ["b", "a", "b", None], "x": [1.0, np.nan, 3.0, 5.0]})
    test = pd.DataFrame({"c": ["a", "z", None], "x": [np.nan, 3.0, 7.0]})
    proc = TabularProcessor.fit(train, ["c"], ["x"])
    out = proc.transform(test)
    # c: categories [a, b] -> a=1, b=2, unseen/missing=0; x_na: [False, True] -> 1, 2.
    assert out.cats.tolist() == [[1, 2], [0, 1], [0, 1]]
    # x filled with the training median 3 -> [1, 3, 3, 5]: mean 3, sample std sqrt(8/3).
    std = np.sqrt(8 / 3)
    assert np.allclose(out.conts[:, 0], [0.0, 0.0, 4 / std], atol=1e-6)


def test_rows_of_another_period_are_processed(frame):
    proc = TabularProcessor.fit(frame, CAT_VARS, CONT_VARS)
    later = make_frame(50, seed=5, start="2016-01-01")
    assert len(proc.transform(later)) == 50
