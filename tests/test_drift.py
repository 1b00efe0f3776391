"""Drift checks: hand-computed statistics, constructed shifts with their expected verdicts, schema mismatches."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.config import RunConfig
from core.data import LoadedTable, infer_column_types, validate_dataset
from core.drift import (
    DriftThresholds,
    Verdict,
    check_drift,
    drift_dict,
    newcombe_interval,
    population_stability_index,
    thresholds_from_pairs,
    two_proportion_p_value,
    wilson_interval,
)
from core.errors import ConfigError, DataError


def population(n: int, seed: int, minority_share: float = 0.2, concept: str = "x1") -> pd.DataFrame:
    """Two numbers, one category; the minority ('yes') sits high on `concept` (x1, or x2 for a concept shift)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(0, 1, n), "x2": rng.normal(0, 1, n),
                          "colour": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2])})
    score = frame[concept] + rng.normal(0, 0.3, n)
    frame["label"] = np.where(score >= np.quantile(score, 1 - minority_share), "yes", "no")
    return frame


def reference_dataset(frame: pd.DataFrame):
    table = LoadedTable(frame=frame, name="population.csv", sha256="0" * 64, n_bytes=0,
                        column_types=infer_column_types(frame))
    return validate_dataset(table, "label")


@pytest.fixture(scope="module")
def reference():
    return reference_dataset(population(1500, 1))


def test_psi_by_hand():
    # (0.7-0.5) ln(0.7/0.5) + (0.3-0.5) ln(0.3/0.5) = 0.2 * 0.33647 + 0.2 * 0.51083
    assert population_stability_index([0.5, 0.5], [0.7, 0.3]) == pytest.approx(0.169460, abs=1e-6)
    assert population_stability_index([0.2, 0.8], [0.2, 0.8]) == 0.0
    # an empty reference bin counts as 1e-4: (0.1 - 1e-4) ln(0.1 / 1e-4) + (0.9 - 1) ln(0.9)
    expected = 0.0999 * np.log(1000) + 0.1 * np.log(1 / 0.9)
    assert population_stability_index([0.0, 1.0], [0.1, 0.9]) == pytest.approx(expected)


def test_wilson_and_newcombe_match_the_published_examples():
    # Newcombe (1998), Statistics in Medicine 17: 81/263 -> Wilson 0.2553 to 0.3662; 56/70 - 48/80 -> 0.0524 to 0.3339
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert two_proportion_p_value(5, 10, 5, 10) == 1.0


def test_two_random_halves_are_stable(reference):
    result = check_drift(reference, population(1500, 2))
    assert result.verdict == Verdict.STABLE, result.reasons
    assert result.tests == 3 + 3 + 1 + 2 and result.per_test_alpha == pytest.approx(0.05 / 9)
    assert all(f.psi < 0.05 for f in result.features)
    assert result.prior.status == Verdict.STABLE and result.concept is not None
    recall = next(m for m in result.concept.metrics if m.metric == "minority recall")
    assert recall.interval[0] < 0 < recall.interval[1]


def test_mean_shift_asks_for_a_rerun(reference):
    new = population(1500, 2).assign(x2=lambda f: f["x2"] + 1.0)
    result = check_drift(reference, new)
    assert result.verdict == Verdict.RERUN
    assert [f.column for f in result.drifted] == ["x2"]
    x2 = result.drifted[0]
    assert x2.psi > 0.25 and x2.statistic_name == "KS" and x2.statistic > 0.3 and x2.p_value < 1e-10
    assert len(x2.bins) == len(x2.reference_shares) == len(x2.new_shares) and sum(x2.new_shares) == pytest.approx(1)
    assert "--config" not in result.next_step and "compare" in result.next_step


def test_small_mean_shift_is_watched():
    reference = reference_dataset(population(5000, 1))
    new = population(5000, 2).assign(x2=lambda f: f["x2"] + 0.3)
    result = check_drift(reference, new, concept=False)
    x2 = next(f for f in result.features if f.column == "x2")
    assert 0.1 <= x2.psi < 0.25 and x2.status == Verdict.WATCH
    assert result.verdict == Verdict.WATCH


def test_prior_shift_is_measured_with_an_interval(reference):
    new = population(1500, 2, minority_share=0.45)
    result = check_drift(reference, new, concept=False)
    prior = result.prior
    assert prior.reference_share == pytest.approx(0.2, abs=0.001) and prior.new_share == pytest.approx(0.45, abs=0.001)
    assert prior.difference_interval[0] > 0.2 and prior.status == Verdict.RERUN
    assert result.verdict == Verdict.RERUN
    assert any("share of 'yes' moved from 20.0% to 45.0%" in r for r in result.reasons)


def test_a_new_category_is_reported_and_drifts(reference):
    new = population(1500, 2)
    new.loc[new.index[:450], "colour"] = "purple"
    result = check_drift(reference, new, concept=False)
    assert result.schema.unseen_categories == {"colour": {"purple": 0.3}}
    colour = next(f for f in result.features if f.column == "colour")
    assert colour.status == Verdict.RERUN and colour.statistic_name == "TV" and "purple" in colour.bins
    assert any("'purple' (30.0%)" in m for m in result.schema.messages)


def test_a_concept_shift_moves_only_the_labels(reference):
    new = population(1500, 2, concept="x2")  # same features and prior; the minority is now high on x2
    result = check_drift(reference, new)
    assert all(f.status == Verdict.STABLE for f in result.features)
    assert result.prior.status == Verdict.STABLE
    recall = next(m for m in result.concept.metrics if m.metric == "minority recall")
    assert recall.test_value > 0.6 and recall.new_value < 0.3 and recall.status == Verdict.RERUN
    assert recall.sentence.startswith("minority recall dropped from")
    assert result.verdict == Verdict.RERUN


def test_label_free_mode(reference):
    new = population(1500, 2).drop(columns="label")
    result = check_drift(reference, new)
    assert result.label_free and result.prior is None and result.concept is None and not result.minority_features
    assert result.verdict == Verdict.STABLE and result.tests == 3
    forced = check_drift(reference, population(1500, 2), label_free=True)
    assert forced.label_free and forced.prior is None


def test_schema_mismatches_are_reported_not_raised(reference):
    new = population(300, 2).drop(columns="x1").assign(extra=1)
    new["x2"] = new["x2"].astype(object)
    new.loc[new.index[0], "x2"] = "n/a"
    result = check_drift(reference, new)
    assert result.schema.missing_columns == ("x1",) and result.schema.extra_columns == ("extra",)
    assert "1 of 300 values here are not numbers (e.g. 'n/a')" in result.schema.retyped["x2"]
    assert [f.column for f in result.features] == ["colour"] and result.concept is None
    assert result.verdict == Verdict.RERUN and "does not match the reference's columns" in result.reasons[0]
    infinite = check_drift(reference, population(300, 2).assign(x1=np.inf))
    assert "300 infinite values (inf)" in infinite.schema.retyped["x1"] and infinite.verdict == Verdict.RERUN
    with pytest.raises(DataError, match="shares no feature"):
        check_drift(reference, pd.DataFrame({"other": [1, 2]}))
    with pytest.raises(DataError, match="no rows"):
        check_drift(reference, population(10, 2).iloc[:0])


def test_whole_numbers_from_two_files_are_one_level():
    frame = population(600, 1).assign(grade=lambda f: (f["x1"] > 0).astype(int))
    table = LoadedTable(frame=frame, name="p.csv", sha256="0" * 64, n_bytes=0,
                        column_types={**infer_column_types(frame), "grade": "categorical"})
    reference = validate_dataset(table, "label")
    new = population(600, 2).assign(grade=lambda f: (f["x1"] > 0).astype(float))
    new.loc[new.index[0], "grade"] = np.nan  # a float column in the new file
    result = check_drift(reference, new, concept=False)
    assert "grade" not in result.schema.unseen_categories


def test_thresholds_are_named_and_checked():
    assert thresholds_from_pairs(["psi_rerun=0.3", "alpha=0.01"]) == DriftThresholds(psi_rerun=0.3, alpha=0.01)
    with pytest.raises(ConfigError, match="Unknown drift threshold 'psi'"):
        thresholds_from_pairs(["psi=1"])
    with pytest.raises(ConfigError, match="'psi_watch' must not be above 'psi_rerun'"):
        thresholds_from_pairs(["psi_watch=0.5"])
    with pytest.raises(ConfigError, match="between 0 and 1"):
        DriftThresholds(alpha=2).check()


def test_a_config_rebuilds_its_training_part_and_refits(datasets):
    credit = datasets["german_credit"]
    config = RunConfig(target="credit_risk", method="smote", data="german_credit.csv", seed=3, repeats=1)
    new = credit.frame.sample(400, random_state=0).assign(age=lambda f: f["age"] + 20)
    result = check_drift(credit, new, config, config_path="run/config.json")
    assert result.reference_rows == 700 and "seed 3" in result.reference
    assert result.concept.model.startswith("logreg on training rows + smote synthetic rows")
    assert result.concept.test_rows == 300
    assert result.verdict == Verdict.RERUN and result.drifted[0].column == "age"
    assert "python -m core run --config run/config.json --data NEW_FILE" in result.next_step
    assert "seed 3" in result.next_step and "rollback" in result.next_step
    report = json.loads(json.dumps(drift_dict(result)))
    assert report["verdict"] == "re-run" and report["thresholds"]["psi_rerun"] == 0.25
    assert {"column", "kind", "psi", "statistic", "value", "p_value", "status"} <= set(report["features"][0])
    assert report["prior_shift"]["minority_class"] == "bad" and len(report["concept"]["metrics"]) == 4


def test_same_inputs_same_figures(reference):
    new = population(800, 5)
    first, second = check_drift(reference, new), check_drift(reference, new)
    assert drift_dict(first) == drift_dict(second)
    assert replace(first.thresholds) == DriftThresholds()
