"""What the user kept is what gets judged: build_run_config, the config's JSON round trip, and run_experiment
evaluating the very rows the app validated and downloaded (same row hashes)."""
from __future__ import annotations

import pandas as pd
import pytest

from core.config import build_run_config, config_json, read_config
from core.constraints import ColumnBound, build_constraints
from core.errors import ConfigError
from core.generators.amount import Amount
from core.generators.density import DensityFilter
from core.pipeline import prepare, run_experiment, synthesize
from core.validation.validate import validate_synthetic, without_copies
from core.validation.verdict import Thresholds


def _hashes(frame: pd.DataFrame) -> list[int]:
    return pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).tolist()


def test_build_run_config_reads_the_generation_record_and_round_trips():
    record = {"method": "smotenc", "amount": {"rule": "ratio", "value": 0.8}, "params": {},
              "constraints": {"rules": ["age >= 25", " "],
                              "bounds": [{"column": "duration_months", "low": None, "high": 36.0, "allowed": None},
                                         {"column": "housing", "low": None, "high": None, "allowed": ["own", "rent"]}]},
              "density": {"k": 5, "max_other_share": 0.5}, "copies_dropped": True}
    strict = Thresholds(quality_score=(0.9, 0.7))
    config = build_run_config("credit_risk", generation=record, data="german_credit.csv", seed=7,
                              thresholds=strict, column_types={"dependents": "categorical"}, repeats=1)
    assert config.method == "smotenc" and config.amount == Amount("ratio", 0.8) and config.rules == ("age >= 25",)
    assert config.bounds == (ColumnBound("duration_months", high=36.0), ColumnBound("housing", allowed=("own", "rent")))
    assert config.density == DensityFilter(5, 0.5) and config.drop_copies and config.thresholds == strict
    assert read_config(config_json(config)) == config
    override = build_run_config("credit_risk", "smote", generation=record, amount=Amount("ratio", 1.0))
    assert override.method == "smote" and override.amount == Amount("ratio", 1.0) and override.rules == config.rules
    with pytest.raises(ConfigError, match="unknown column kind|Unknown column kind"):
        build_run_config("credit_risk", "smote", column_types={"age": "colour"})
    with pytest.raises(ConfigError, match="needs a method"):
        build_run_config("credit_risk")


def test_comparison_and_leaderboard_judge_the_rows_the_user_kept(datasets):
    ds = datasets["german_credit"]
    seed, rules = 5, ["age >= 25"]
    bounds = [ColumnBound("duration_months", high=36.0)]
    density = DensityFilter(5, 0.6)
    # the app's path: prepare, generate with limits and the density filter, validate, drop the copies
    prepared = prepare(ds, 0.3, seed)
    constraints = build_constraints(list(ds.frame.columns), rules, bounds)
    generated = synthesize(prepared, "smotenc", Amount("ratio", 0.8), {}, seed, constraints, density)
    first = validate_synthetic(prepared.train, prepared.test, generated.rows, ds.target, ds.features,
                               ds.column_types, seed, cleaning=prepared.cleaning)
    kept = without_copies(generated, first, ds.target)
    assert 0 < len(kept.rows) < len(generated.rows)  # copies were found and dropped
    assert (kept.rows["age"] >= 25).all() and (kept.rows["duration_months"] <= 36).all()
    record = {"method": "smotenc", "amount": {"rule": "ratio", "value": 0.8}, "params": {},
              "constraints": constraints.to_dict(), "density": vars(density), "copies_dropped": True}
    strict = Thresholds(quality_score=(0.97, 0.6))
    config = build_run_config(ds.target, generation=record, data=ds.name, data_sha256=ds.sha256, seed=seed,
                              thresholds=strict, repeats=1)
    result = run_experiment(ds, config)
    assert _hashes(result.synthetic.rows) == _hashes(kept.rows)
    quality = next(c for c in result.validation.verdict.checks if c.name == "quality_score")
    assert quality.refine_at == 0.97  # validated with the user's thresholds
    assert result.validation.n_synthetic == len(kept.rows)  # the kept rows were validated, not the generated ones
    assert result.validation.privacy.exact_copies == 0
    # the leaderboard runs this same config per method (tests/test_pages_comparison.py checks it end to end)
