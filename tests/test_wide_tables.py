"""Wide tables: the whole-block shortcuts give the same answers as the per-column code they replace, and a validated
wide table stays one block (bench/wide_table.py times the full run; these pin the answers, not the speed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.column_kinds import infer_column_kind, infer_column_types
from core.data import validate_dataset
from core.encoding import model_frame
from core.generators.registry import _decimals_at_once, observed_decimals
from core.reading import read_table
from core.validation.fidelity import fidelity
from core.validation.pair_trends import _pearson_matrix


def awkward_numbers(rows: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "row_id": np.arange(rows), "rising": np.arange(rows) * 2.0, "small": rng.integers(0, 5, rows),
        "flag": rng.integers(0, 2, rows), "flag_float": rng.integers(0, 2, rows).astype(float),
        "constant": np.ones(rows), "constant_gap": np.r_[np.ones(rows - 1), np.nan], "x": rng.normal(size=rows),
        "x_gap": np.r_[rng.normal(size=rows - 1), np.nan], "with_inf": np.r_[np.arange(rows - 1.0), np.inf],
        "bytes": rng.integers(0, 9, rows).astype(np.uint8), "empty": np.full(rows, np.nan),
        "shuffled": rng.permutation(rows), "money": rng.normal(size=rows).round(2),
        "nullable": pd.array(np.r_[rng.integers(0, 9, rows - 1), 0], dtype="Int64")})


def test_column_kinds_of_number_blocks_match_the_per_column_rules():
    frame = awkward_numbers()
    kinds = infer_column_types(frame)
    assert kinds == {c: infer_column_kind(frame[c], c) for c in frame}
    assert kinds["row_id"] == "identifier" and kinds["flag"] == "boolean" and kinds["flag_float"] == "integer"
    assert kinds["constant_gap"] == "constant" and kinds["x_gap"] == "numeric" and kinds["empty"] == "constant"


def test_decimals_of_every_column_at_once_match_one_by_one():
    frame = awkward_numbers().drop(columns=["nullable"]).astype(float)
    frame["third"] = np.full(len(frame), 0.455)
    assert _decimals_at_once(frame) == {c: observed_decimals(frame[c]) for c in frame}
    assert _decimals_at_once(frame)["money"] == 2 and _decimals_at_once(frame)["third"] == 3


def test_a_validated_wide_table_is_one_block_and_converts_as_one():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(60, 300)).round(3), columns=[f"f{i}" for i in range(300)])
    frame["label"] = np.where(np.arange(60) < 10, "rare", "common")
    dataset = validate_dataset(read_table(frame.to_csv(index=False).encode(), "wide.csv"), "label")
    assert dataset.frame._mgr.nblocks <= 3  # not one block per column: every later column lookup would pay for it
    numbers = model_frame(dataset.frame, dataset.features, dataset.column_types)
    assert numbers.shape == (60, 300) and np.array_equal(numbers.to_numpy(), frame.iloc[:, :300].to_numpy())


@pytest.mark.parametrize("gaps", [False, True])
def test_pearson_matrix_by_one_product_matches_pandas(gaps):
    frame = awkward_numbers().drop(columns=["nullable", "with_inf"]).astype(float)
    if not gaps:
        frame = frame.drop(columns=["constant_gap", "x_gap", "empty"])
    ours = _pearson_matrix(frame, list(frame.columns))
    values = frame.corr(min_periods=2)
    constant = frame.nunique() == 1
    values.loc[constant, :] = np.nan
    values.loc[:, constant] = np.nan
    np.testing.assert_allclose(ours.to_numpy(), values.to_numpy(), rtol=0, atol=1e-12)
    assert ours.loc["constant"].isna().all() and ours.loc["x", "x"] == pytest.approx(1.0)


def test_fidelity_of_a_wide_block_matches_each_column_alone():
    rng = np.random.default_rng(2)
    real = pd.DataFrame(rng.normal(size=(40, 50)), columns=[f"f{i}" for i in range(50)])
    synthetic = pd.DataFrame(rng.normal(0.3, 1.2, size=(70, 50)), columns=real.columns)
    numeric = dict.fromkeys(real.columns, True)
    whole = fidelity(real, synthetic, numeric)
    alone = fidelity(real[["f7"]], synthetic[["f7"]], {"f7": True})
    assert whole.per_feature[7] == alone.per_feature[0]
    assert len(whole.pairs) == 50 * 49 // 2 and whole.correlation_real.shape == (50, 50)
    pair = whole.pairs.set_index(["column_1", "column_2"]).loc[("f3", "f9")]
    gap = real["f3"].corr(real["f9"]) - synthetic["f3"].corr(synthetic["f9"])
    assert pair["score"] == pytest.approx(1 - abs(gap) / 2, abs=1e-12)
