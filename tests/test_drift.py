"""Drift checks: hand-computed statistics, constructed shifts with their expected verdicts, schema mismatches."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.column_kinds import infer_column_types
from core.config import RunConfig
from core.data import LoadedTable, validate_dataset
from core.drift import DriftThresholds, Verdict, check_drift, drift_dict, thresholds_from_pairs
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


def test_two_random_halves_are_stable(reference):
    result = check_drift(reference, population(1500, 2))
    assert result.verdict == Verdict.STABLE, result.reasons
    # each feature's distribution and missing share, whole batch and minority rows, the prior, recall, precision
    assert result.tests == 2 * 3 + 2 * 3 + 1 + 2 and result.correction == "Holm"
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
    assert result.verdict == Verdict.STABLE and result.tests == 2 * 3  # distribution and missing share per feature
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
    # the step is the feed's, named by column; a re-run cannot help while the model's column is missing
    assert result.headline == "fix the feed"
    assert result.next_step.startswith("Fix the feed: column 'x1' is missing from the new batch and column 'x2' "
                                       "holds values of another kind.")
    assert "re-run" not in result.next_step.lower() and "re-run" not in result.reasons[0].lower()
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
    assert result.concept.model.startswith("logistic regression (scaled, one-hot) on the training rows + SMOTE "
                                           "synthetic rows")  # words, not the ids logreg and smote
    assert result.concept.test_rows == 300
    assert result.verdict == Verdict.RERUN and result.drifted[0].column == "age"
    assert "python -m core run --config run/config.json --data NEW_FILE" in result.next_step
    assert "seed 3" in result.next_step and "rollback" in result.next_step
    assert "refreshed minority rows" in result.next_step and "smote" not in result.next_step  # it made synthetic rows
    report = json.loads(json.dumps(drift_dict(result)))
    assert report["verdict"] == "re-run" and report["thresholds"]["psi_rerun"] == 0.25
    assert {"column", "kind", "psi", "statistic", "value", "p_value", "status"} <= set(report["features"][0])
    assert report["prior_shift"]["minority_class"] == "bad" and len(report["concept"]["metrics"]) == 4


def test_same_inputs_same_figures(reference):
    new = population(800, 5)
    first, second = check_drift(reference, new), check_drift(reference, new)
    assert drift_dict(first) == drift_dict(second)
    assert replace(first.thresholds) == DriftThresholds()


# ---------------------------------------------------------------------------------------------------------
# The reviewer's batches (issue 19): a skewed column scaled, a column going missing, a fresh draw


def skewed_population(n: int, seed: int) -> pd.DataFrame:
    """A log-normal amount (median about 1,100), a normal score and a category; the minority sits high on both."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"amount": rng.lognormal(7, 1, n), "score": rng.normal(0, 1, n),
                          "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])})
    risk = np.log(frame["amount"]) - 7 + frame["score"] + rng.normal(0, 0.5, n)
    frame["label"] = np.where(risk >= np.quantile(risk, 0.8), "yes", "no")
    return frame


@pytest.fixture(scope="module")
def skewed_reference():
    return reference_dataset(skewed_population(1500, 11))


def test_a_doubled_skewed_column_is_not_stable(skewed_reference):
    """Every amount doubled: on equal-width bins most of a log-normal column sits in one bin and the PSI stays
    below 0.1; on the reference's deciles it is a major shift."""
    new = skewed_population(1500, 12).assign(amount=lambda f: f["amount"] * 2)
    result = check_drift(skewed_reference, new, concept=False, batch="doubled.csv")
    amount = next(f for f in result.features if f.column == "amount")
    assert amount.psi > 0.25 and amount.p_adjusted < 1e-20 and amount.status == Verdict.RERUN
    assert len(amount.bins) == 10 and max(amount.reference_shares) == pytest.approx(0.1, abs=0.002)
    assert result.verdict != Verdict.STABLE and [f.column for f in result.drifted] == ["amount"]
    assert "the new batch 'doubled.csv'" == result.about


def test_a_column_going_mostly_missing_is_not_stable(skewed_reference):
    new = skewed_population(1500, 12)
    new.loc[new.sample(frac=0.7, random_state=0).index, "amount"] = np.nan
    result = check_drift(skewed_reference, new, concept=False)
    amount = next(f for f in result.features if f.column == "amount")
    # what is left is a fair sample of the same distribution: only the missing share tells
    assert amount.shape_status == Verdict.STABLE and amount.p_adjusted > 0.05
    assert amount.reference_missing == 0 and amount.new_missing == pytest.approx(0.7, abs=0.001)
    assert amount.missing_status == Verdict.RERUN and amount.status == Verdict.RERUN
    assert result.verdict == Verdict.RERUN
    assert any("'amount' is missing in 70% of the new rows against 0% in the reference" in r for r in result.reasons)
    assert result.table().set_index("column").loc["amount", "missing_new"] == pytest.approx(0.7, abs=0.001)
    small = new.assign(amount=skewed_population(1500, 12)["amount"])
    small.loc[small.index[:45], "amount"] = np.nan  # 3% blank: significant, but below the 5-point watch limit
    quiet = next(f for f in check_drift(skewed_reference, small, concept=False).features if f.column == "amount")
    assert quiet.missing_p_adjusted < 0.05 and quiet.missing_status == Verdict.STABLE


def test_a_fresh_draw_of_the_same_process_is_stable(skewed_reference):
    result = check_drift(skewed_reference, skewed_population(1500, 12))
    assert result.verdict == Verdict.STABLE, result.reasons
    assert result.concept is not None and all(f.status == Verdict.STABLE for f in result.features)
    assert result.reasons[0].startswith("No feature, prior or model figure moved beyond its threshold (15 tests, Holm")


def test_concept_drift_is_judged_at_the_runs_tuned_threshold(datasets):
    """The refitted model and threshold are the run's own (repeat 1): the test-time figures equal the run's."""
    from core.pipeline import run_experiment
    credit = datasets["german_credit"]
    config = RunConfig(target="credit_risk", method="threshold_tuned", data="german_credit.csv", seed=5, repeats=1,
                       validation=False)
    run = run_experiment(credit, config).runs[0]["threshold_tuned"]
    result = check_drift(credit, credit.frame.sample(300, random_state=1), config)
    assert result.concept.threshold == run.threshold and run.threshold != 0.5
    assert f"P('bad') >= {run.threshold:.2f}" in result.concept.decision
    recall = next(m for m in result.concept.metrics if m.metric == "minority recall")
    assert recall.test_value == pytest.approx(run.metrics["minority_recall"], abs=1e-12)


def test_few_minority_rows_with_a_large_psi_are_unconfirmed_not_stable(reference):
    new = population(600, 2)
    yes = new.index[new["label"] == "yes"]
    new = new.drop(yes[6:])  # six minority rows left, moved up on x2
    new.loc[yes[:6], "x2"] += 1.0
    result = check_drift(reference, new, concept=False)
    x2 = next(f for f in result.minority_features if f.column == "x2")
    assert x2.psi > 0.25 and x2.p_adjusted >= 0.05 and x2.status == Verdict.STABLE and x2.unconfirmed
    assert x2.status_text == "unconfirmed: large PSI, too few rows to tell"
    assert result.table(minority=True).set_index("column").loc["x2", "status"] == x2.status_text
    unconfirmed = next(r for r in result.reasons if r.startswith("Not confirmed, so not called stable: "))
    assert f"'x2' among 'yes' rows has PSI {x2.psi:.2f} from 6 new rows" in unconfirmed


def test_every_reference_column_is_named_when_the_shape_differs(reference):
    new = population(300, 2).rename(columns={"x1": "X1 "}).assign(extra=1)
    new["x2"] = new["x2"].astype(object)
    new.loc[new.index[:3], "x2"] = "n/a"
    result = check_drift(reference, new, batch="feed.csv")
    table = result.table().set_index("column")
    assert list(table.index) == ["colour", "x1", "x2"]
    assert table.loc["x1", "status"] == "not checked: missing in the new batch"
    assert table.loc["x2", "status"].startswith("not checked: numeric in the reference, but 3 of 300 values")
    assert table.loc["colour", "status"] == "stable"
    assert "Column 'X1 ' in the new batch differs from the reference's 'x1' only by case or spaces" in \
        " ".join(result.schema.messages)
    assert result.verdict == Verdict.RERUN and result.concept is None
    assert result.reasons[0].startswith("The new batch 'feed.csv' does not match the reference's columns, and these "
                                        "are not checked: 'x1' (missing in the new batch); 'x2' (numeric")
    assert result.reasons[1].startswith("Concept drift not measured: the model needs every feature")
    report = drift_dict(result)
    assert report["batch"] == "feed.csv" and set(report["schema"]["unchecked"]) == {"x1", "x2"}


def test_cli_names_every_unchecked_column(tmp_path, capsys):
    from core.cli.main import main
    population(400, 1).to_csv(tmp_path / "reference.csv", index=False)
    batch = population(200, 2).drop(columns="x1").assign(x2=lambda f: f["x2"].astype(object), note="hi")
    batch.loc[batch.index[:2], "x2"] = "unknown"
    batch.to_csv(tmp_path / "may.csv", index=False)
    argv = ["drift", "--reference", str(tmp_path / "reference.csv"), "--target", "label", "--new",
            str(tmp_path / "may.csv"), "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("verdict on the new batch 'may.csv': re-run")
    assert ("- The new batch 'may.csv' does not match the reference's columns, and these are not checked: 'x1' "
            "(missing in the new batch); 'x2' (numeric in the reference, but 2 of 200 values here are not numbers"
            in printed)
    assert "schema: Not in the reference, not checked: 'note'." in printed
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert report["schema"]["unchecked"]["x1"] == "not checked: missing in the new batch"


def test_next_step_says_refreshed_minority_rows_only_when_the_run_made_synthetic_rows():
    from core.drift._check import next_step
    plain = RunConfig(target="y", method="threshold_tuned", seed=3, repeats=2)
    step = next_step(Verdict.RERUN, plain)
    assert "no synthetic rows" in step and "minority" not in step
    assert "Tuned threshold only" in step and "threshold_tuned" not in step and "logreg" not in step
    assert "refreshed minority rows" in next_step(Verdict.RERUN, RunConfig(target="y", method="smote"))
