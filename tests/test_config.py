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


def test_comparison_and_leaderboard_judge_the_rows_the_user_kept(small_credit):
    ds = small_credit  # the 300-row German credit sample: every column of the full one, the same path
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


def _config_file(tmp_path, **fields) -> str:
    import json

    from core.data import sha256_of
    from tests.conftest import sample_path
    raw = sample_path("german_credit").read_bytes()
    (tmp_path / "german_credit.csv").write_bytes(raw)
    base = {"target": "credit_risk", "method": "smote", "data": "german_credit.csv", "data_sha256": sha256_of(raw)}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**base, **fields}))
    return str(path)


def test_every_bad_field_gets_its_own_line():
    from core.config import ConfigFieldErrors, config_from_dict
    with pytest.raises(ConfigFieldErrors) as caught:
        config_from_dict({"target": "y", "method": "smote", "seed": "7", "test_size": "0.3", "repeats": True,
                          "drop_copies": 1, "amount": {"value": "1"}, "cleaning": {"knn": 3}, "rules": [5]})
    assert caught.value.problems == [
        "'cleaning.knn' is not a setting of 'cleaning'; it has: missing, duplicates, outliers, outlier_action, "
        "knn_neighbors, iqr_factor.",
        "'test_size' must be a number from 0.1 to 0.5; got \"0.3\" (text).",
        "'seed' must be a whole number from 0 to 2147483647; got \"7\" (text).",
        "'amount.value' must be a number; got \"1\" (text).",
        "'drop_copies' must be true or false; got 1 (number).",
        "'repeats' must be a whole number from 1 to 30; got true (true/false).",
        "'rules' must be a list of rules (text), e.g. [\"age >= 18\"]."]


@pytest.mark.parametrize("fields, line", [
    ({"seed": -1}, "'seed' must be a whole number from 0 to 2147483647; got -1."),
    ({"test_size": 0.9}, "'test_size' must be a number from 0.1 to 0.5; got 0.9."),
    ({"repeats": 31}, "'repeats' must be a whole number from 1 to 30; got 31."),
    ({"density": {"k": "5"}}, "'density.k' must be a whole number; got \"5\" (text)."),
])
def test_out_of_range_fields_are_named(fields, line):
    from core.config import config_from_dict
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"target": "y", "method": "smote", **fields})
    assert str(caught.value) == line
    ok = config_from_dict({"target": "y", "method": "smote", "seed": 7.0, "test_size": 0.25, "repeats": 2})
    assert (ok.seed, ok.test_size, ok.repeats) == (7, 0.25, 2) and isinstance(ok.seed, int)


def test_cli_prints_one_error_line_per_bad_field(tmp_path, capsys):
    from core.cli.main import main
    config = _config_file(tmp_path, seed="7", test_size="0.3")
    assert main(["run", "--config", config, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: 'test_size' must be a number from 0.1 to 0.5; got \"0.3\" (text).",
        "error: 'seed' must be a whole number from 0 to 2147483647; got \"7\" (text)."]
    assert main(["run", "--data", str(tmp_path / "german_credit.csv"), "--target", "credit_risk", "--method",
                 "smote", "--seed", "-1", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == "error: The seed must be a whole number from 0 to 2147483647; got -1.\n"
    assert not (tmp_path / "out").exists()


def test_work_is_capped_with_a_way_to_lift_it(tmp_path, capsys):
    from core.cli.main import main
    from core.config import MAX_WORK, check_work
    config = build_run_config("y", "smote", repeats=30)
    with pytest.raises(ConfigError, match=r"30 repeats x 1,000,000 rows x 1 method\(s\) = 30,000,000 row-fits, "
                                          r"over the cap of 10,000,000\. .* --max-work 30000000\."):
        check_work(config, 1_000_000)
    check_work(config, 1_000_000, limit=30_000_000)  # lifted
    check_work(build_run_config("y", "smote", repeats=5), 2_000_000)  # the row limit at the default repeats fits
    assert MAX_WORK == 10_000_000
    path = _config_file(tmp_path, repeats=30)
    assert main(["run", "--config", path, "--max-work", "29999", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "30 repeats x 1,000 rows x 1 method(s) = 30,000 row-fits, over the cap of 29,999" \
        in err and "--max-work 30000" in err
    assert main(["compare", "--data", str(tmp_path / "german_credit.csv"), "--target", "credit_risk", "--methods",
                 "smote,random_oversampler", "--repeats", "3", "--max-work", "5999", "--out", str(tmp_path)]) == 2
    assert "3 repeats x 1,000 rows x 2 method(s) = 6,000 row-fits" in capsys.readouterr().err


def test_the_schema_types_every_field_of_the_config():
    """A field added to RunConfig without a schema entry would reach the run untyped from a replayed config."""
    from dataclasses import fields

    from core.config import CONFIG_SCHEMA, RunConfig, config_problems
    assert {f.name for f in fields(RunConfig)} - {"versions"} <= set(CONFIG_SCHEMA)
    assert config_problems({"margin": "0.02"}) == ["'margin' must be a minority F1 difference from 0 to below 1; "
                                                   "got \"0.02\" (text)."]
    assert config_problems({"margin": 1.0}) == ["'margin' must be a minority F1 difference from 0 to below 1; "
                                                "got 1.0."]
