"""Arms, metrics, intervals, the verdict text, the isolation of the test rows, and the run's schema."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import core.evaluation as evaluation
import core.pipeline as pipeline
from core.config import RunConfig
from core.evaluation import ArmRun, compare, metric_values, paired_difference, summarise
from tests.conftest import ROOT, sample_path

CONTRACT = ROOT.parent / "shared" / "contract"


def test_metrics_equal_scikit_learn():
    truth = np.array(["m", "m", "m", "M", "M", "M", "M", "M"])
    p_min = np.array([0.9, 0.4, 0.7, 0.2, 0.6, 0.1, 0.3, 0.05])
    proba = pd.DataFrame({"M": 1 - p_min, "m": p_min})
    predicted = np.where(p_min >= 0.5, "m", "M")
    got = metric_values(truth, predicted, proba, ["m"], "M")
    assert got["minority_f1"] == pytest.approx(skm.f1_score(truth, predicted, pos_label="m"))
    assert got["minority_precision"] == pytest.approx(2 / 3) and got["minority_recall"] == pytest.approx(2 / 3)
    assert got["majority_recall"] == pytest.approx(0.8)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(truth == "m", p_min))
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(truth == "m", p_min))
    assert got["mcc"] == pytest.approx(skm.matthews_corrcoef(truth, predicted))
    assert got["g_mean"] == pytest.approx(np.sqrt(2 / 3 * 0.8))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(truth, predicted))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))


def test_multiclass_metrics_equal_scikit_learn():
    from imblearn.metrics import geometric_mean_score
    rng = np.random.default_rng(1)
    labels = ["a", "b", "c"]
    truth = rng.choice(labels, size=200, p=[0.7, 0.2, 0.1])
    raw = rng.random((200, 3)) + 0.6 * (truth[:, None] == np.array(labels)[None, :])
    proba = pd.DataFrame(raw / raw.sum(axis=1, keepdims=True), columns=labels)
    predicted = proba.idxmax(axis=1).to_numpy()
    got = metric_values(truth, predicted, proba, ["b", "c"], "a")
    assert got["minority_f1"] == pytest.approx(skm.f1_score(truth, predicted, labels=["b", "c"], average="macro"))
    assert got["majority_precision"] == pytest.approx(skm.precision_score(truth, predicted, labels=["a"],
                                                                          average="macro"))
    assert got["mcc"] == pytest.approx(skm.matthews_corrcoef(truth, predicted))
    assert got["g_mean"] == pytest.approx(geometric_mean_score(truth, predicted, average="multiclass"))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(truth, proba.to_numpy(), multi_class="ovr",
                                                             labels=labels))
    assert got["pr_auc"] == pytest.approx(np.mean([skm.average_precision_score(truth == c, proba[c])
                                                   for c in ("b", "c")]))


def test_intervals_and_paired_differences():
    s = summarise([0.5, 0.6, 0.7])
    assert s.mean == pytest.approx(0.6) and s.ci_low == pytest.approx(0.6 - 4.302653 * 0.1 / np.sqrt(3), rel=1e-5)
    one = summarise([0.42])
    assert one.ci_low == one.mean == one.ci_high == 0.42
    d = paired_difference([0.6, 0.7, 0.8, 0.9, 0.75], [0.5, 0.6, 0.7, 0.8, 0.7])
    assert d.mean == pytest.approx(0.09) and d.p_value == pytest.approx(0.0625)
    assert paired_difference([0.5], [0.4]).p_value is None
    assert paired_difference([0.5, 0.6], [0.5, 0.6]).p_value == 1.0


def fake_runs(f1: dict[str, list[float]], pr: dict[str, list[float]]) -> list[dict[str, ArmRun]]:
    runs = []
    for i in range(len(f1["baseline"])):
        runs.append({arm: ArmRun(arm, {m: (f1[arm][i] if m == "minority_f1"
                                           else pr[arm][i] if m == "pr_auc" else 0.5)
                                       for m in evaluation.METRICS},
                                 pd.DataFrame(), None, np.zeros(1), np.zeros(1), 0.0)
                     for arm in evaluation.ARMS})
    return runs


def test_verdict_says_threshold_shift_when_the_tuned_baseline_matches():
    base = [0.50, 0.52, 0.48, 0.51, 0.49]
    lifted = [v + 0.08 for v in base]
    f1 = {"baseline": base, "class_weighted": lifted, "threshold_tuned": [v + 0.001 for v in lifted],
          "augmented": lifted, "tstr": base}
    pr = {arm: [0.6, 0.61, 0.59, 0.6, 0.62] for arm in evaluation.ARMS}
    verdict = compare(fake_runs(f1, pr), "logreg").verdict
    assert "Minority F1 moved by +0.080 over the baseline" in verdict and "is met" in verdict
    assert "Most of the gain is a threshold shift" in verdict
    assert "inside split noise" in verdict and "did not earn their place" in verdict


def test_verdict_recognises_a_real_gain():
    base = [0.50, 0.52, 0.48, 0.51, 0.49]
    f1 = {"baseline": base, "class_weighted": [v + 0.02 for v in base], "threshold_tuned": [v + 0.03 for v in base],
          "augmented": [v + 0.10 for v in base], "tstr": base}
    pr = {arm: [0.6, 0.61, 0.59, 0.6, 0.62] for arm in evaluation.ARMS}
    pr["augmented"] = [v + 0.05 + 0.01 * i for i, v in enumerate(pr["baseline"])]
    verdict = compare(fake_runs(f1, pr), "logreg").verdict
    assert "The gain survives threshold tuning" in verdict and "earned their place" in verdict


def test_arms_share_hyperparameters_and_never_fit_on_test_rows(prepared, monkeypatch):
    prep = prepared["german_credit"]
    made, fitted_rows, generated_rows = [], [], []
    real_make, real_fit, real_generate = evaluation.make_classifier, evaluation.fit_classifier, pipeline.generate

    def spy_make(name, features, kinds, seed, class_weight=None):
        made.append((name, seed, class_weight))
        return real_make(name, features, kinds, seed, class_weight)

    def spy_fit(model, train, *args):
        fitted_rows.append(set(train.index))
        return real_fit(model, train, *args)

    def spy_generate(train, *args, **kwargs):
        generated_rows.append(set(train.index))
        return real_generate(train, *args, **kwargs)

    monkeypatch.setattr(evaluation, "make_classifier", spy_make)
    monkeypatch.setattr(evaluation, "fit_classifier", spy_fit)
    monkeypatch.setattr(pipeline, "generate", spy_generate)
    config = RunConfig(target="credit_risk", method="smotenc", repeats=2, validation=False)
    result = pipeline.run_experiment(prep.dataset, config)
    assert {(name, seed) for name, seed, _ in made} == {("logreg", 42), ("logreg", 43)}
    assert sorted(w for _, _, w in made if w) == ["balanced", "balanced"]  # only the class-weighted arms
    test_index = set(result.prepared.split.test.index)
    assert generated_rows[0] == set(result.prepared.train.index) and not generated_rows[0] & test_index
    assert len(fitted_rows) == 10  # per repeat: four arms and the threshold model
    for rows in fitted_rows[:5]:
        assert not rows & test_index
    assert min(fitted_rows[2]) == -280  # the augmented arm holds the 280 synthetic rows


def test_intervals_shrink_with_more_repeats(datasets):
    ds = datasets["german_credit"]
    widths = []
    for repeats in (3, 8):
        config = RunConfig(target="credit_risk", method="random_oversampler", repeats=repeats, validation=False)
        summary = pipeline.run_experiment(ds, config).comparison.arms["baseline"]["minority_f1"]
        widths.append(summary.ci_high - summary.ci_low)
    assert widths[1] < widths[0] / 2


@pytest.mark.parametrize("name,target,method", [("abalone19", "rings_19", "smote"),
                                                ("german_credit", "credit_risk", "smotenc")])
def test_run_writes_the_results_schema(tmp_path, name, target, method):
    out = tmp_path / name
    run = subprocess.run([sys.executable, "-m", "core", "run", "--data", str(sample_path(name)), "--target", target,
                          "--method", method, "--repeats", "3", "--out", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["evaluation"]["repeats"] == 3
    assert len(results["evaluation"]["arms"]["augmented"]["minority_f1"]["values"]) == 3
    assert results["dataset"]["minority_class"] == "positive" if name == "abalone19" else "bad"
    assert results["validation"]["decision"] in ("approved", "requires_refinement", "rejected")
    synthetic = pd.read_csv(out / "synthetic.csv")
    assert len(synthetic) == results["generation"]["n_synthetic"]
    if CONTRACT.is_dir():
        check = subprocess.run([sys.executable, str(CONTRACT / "check_results.py"), str(out)], capture_output=True,
                               text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr


def test_threshold_scores_equal_scikit_learn():
    rng = np.random.default_rng(3)
    truth = rng.random(300) < 0.2
    scores = np.clip(truth * 0.3 + rng.random(300) * 0.7, 0, 1)
    table = evaluation.scores_by_threshold(truth, scores)
    for t in (0.05, 0.3, 0.5, 0.77, 0.99):
        row = table.loc[np.isclose(table["threshold"], t)].iloc[0]
        assert row["f1"] == pytest.approx(skm.f1_score(truth, scores >= t, zero_division=0))
        assert row["precision"] == pytest.approx(skm.precision_score(truth, scores >= t, zero_division=0))
        assert row["recall"] == pytest.approx(skm.recall_score(truth, scores >= t, zero_division=0))
