"""bench_tabular.py's figures: time to the peer's RMSPE, the fold table, FLOPs per row."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.bench_tabular import first_time_below, fold_rows, linear_flops_per_row


def curve(rmspe: list[float], seconds: list[float], **columns) -> pd.DataFrame:
    return pd.DataFrame({"rmspe": rmspe, "seconds": seconds, **columns})


def test_first_time_below_sums_the_seconds_up_to_the_first_epoch_at_or_below():
    epochs = curve([0.30, 0.20, 0.12, 0.15], [10.0, 11.0, 12.0, 13.0])
    assert first_time_below(epochs, 0.20, "seconds") == 21.0  # equal counts as reached
    assert first_time_below(epochs, 0.13, "seconds") == 33.0
    assert first_time_below(epochs, 0.10, "seconds") is None


def test_first_time_below_reads_a_slice_of_a_longer_table():
    """Rows filtered out of a table keep their index; the clock starts at the slice's start."""
    table = curve([0.5, 0.4, 0.3, 0.2], [100.0, 100.0, 5.0, 6.0], prefix=["a", "a", "b", "b"])
    assert first_time_below(table[table["prefix"] == "b"], 0.2, "seconds") == 11.0


def summary() -> dict:
    windows = [
        {"name": "W3", "start": "2015-01-01", "end": "2015-01-31", "rows": 30},
        {"name": "W2", "start": "2015-02-01", "end": "2015-02-28", "rows": 20},
        {"name": "W1", "start": "2015-03-01", "end": "2015-03-31", "rows": 10},
    ]
    backtest = {
        "W2": {"rmspe": 0.11, "networks_rmspe": 0.13, "lightgbm_rmspe": 0.105, "rows": 20.0},
        "W1": {"rmspe": 0.12, "networks_rmspe": 0.14, "lightgbm_rmspe": 0.125, "rows": 10.0},
    }
    return {"windows": windows, "backtest": backtest}


def curves() -> tuple[pd.DataFrame, pd.DataFrame]:
    networks = pd.DataFrame(
        {
            "prefix": ["before_W2"] * 3 + ["before_W1"] * 4,
            "member": [0, 0, 1, 0, 0, 1, 1],
            "rmspe": [0.20, 0.13, 0.10, 0.16, 0.15, 0.12, 0.11],
            "seconds": [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
        }
    )
    lightgbm = pd.DataFrame(
        {
            "prefix": ["before_W2"] * 3 + ["before_W1"] * 2,
            "rmspe": [0.2, 0.14, 0.12, 0.3, 0.2],
            "seconds": [0.5] * 3 + [0.25] * 2,
        }
    )
    return networks, lightgbm


def test_fold_rows_give_each_window_its_own_figures_and_clocks():
    networks, lightgbm = curves()
    peers = {"W2": {"exact_rmspe": 0.14, "fit_s": 900.0}, "W1": {"exact_rmspe": 0.15}}
    w2, w1 = fold_rows(summary(), networks, lightgbm, peers)
    assert (w2["window"], w2["start"], w2["end"], w2["rows"]) == (
        "W2",
        "2015-02-01",
        "2015-02-28",
        20,
    )
    assert (w2["model"], w2["networks"], w2["lightgbm"], w2["peer"]) == (0.11, 0.13, 0.105, 0.14)
    assert w2["model_per_peer"] == pytest.approx(0.11 / 0.14)
    assert w2["ours_s"] == 5 + 6 + 7 + 3 * 0.5  # every network and LightGBM on before_W2
    assert w2["peer_s"] == 900.0
    assert w2["network_to_peer_s"] == 11.0  # member 0 only: 0.20, then 0.13 <= 0.14
    assert w2["lightgbm_to_peer_s"] == 1.0  # the second round
    assert w1["ours_s"] == 8 + 9 + 10 + 11 + 2 * 0.25
    assert w1["peer_s"] is None
    assert w1["network_to_peer_s"] == 17.0  # 0.16, then 0.15 <= 0.15
    assert w1["lightgbm_to_peer_s"] is None  # never below 0.15


def test_fold_rows_without_a_peer_leave_its_columns_empty():
    networks, lightgbm = curves()
    rows = fold_rows(summary(), networks, lightgbm, {"W1": {"exact_rmspe": 0.2}})
    w2 = rows[0]
    assert [w2[k] for k in ("peer", "model_per_peer", "peer_s", "network_to_peer_s")] == [None] * 4
    assert w2["lightgbm_to_peer_s"] is None
    assert rows[1]["model_per_peer"] == pytest.approx(0.6)


@pytest.mark.parametrize("shapes", [[(7, 5)], [(37, 16), (16, 8), (8, 1)]])
def test_linear_flops_per_row_match_pytorchs_flop_counter(shapes):
    """Forward and backward of Linear layers whose input needs a gradient (as the model's
    embeddings do), counted by PyTorch's own FLOP counter."""
    layers = torch.nn.Sequential(*(torch.nn.Linear(n_in, n_out) for n_in, n_out in shapes))
    rows = 13
    x = torch.randn(rows, shapes[0][0], requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        layers(x).sum().backward()
    assert linear_flops_per_row(shapes) == counter.get_total_flops() / rows
