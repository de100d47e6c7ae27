"""Parameter dicts become settings only when every key is known."""

from __future__ import annotations

import pytest

from l6pipeline.params import known_params


def test_known_keys_pass_through_as_a_new_dict():
    params = {"epochs": 3}
    checked = known_params(params, ["epochs", "lr"], "training")
    assert checked == params and checked is not params


def test_none_means_no_parameters():
    assert known_params(None, ["epochs"], "training") == {}


def test_every_unknown_key_is_named():
    with pytest.raises(ValueError, match=r"unknown training parameters: \['epochz', 'lrr'\]"):
        known_params({"lrr": 1, "epochz": 2, "lr": 3}, ["epochs", "lr"], "training")
