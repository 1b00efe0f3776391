"""The model bundle: export -> predict reproduces the reference rows, the calibration figures against hand-checked
cases, the recalibration rule, and the test part reaching no fit or choice."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from core.bundle import load_bundle, load_bundle_zip
from core.bundle_export import build_bundle
from core.calibration import (
    brier_score,
    calibration_figures,
    calibration_intercept,
    calibration_slope,
    choose_recalibration,
)
from core.cli.main import main
from core.config import read_config
from core.data import validate_dataset
from core.models import ModelFrame
from core.reading import read_path
from tests.bundle_fixtures import credit_bundle, credit_run, held_out_rows


def test_predict_on_held_out_rows_reproduces_the_reference(tmp_path, capsys):
    test = held_out_rows()
    raw = pd.read_csv(credit_run() / "small_credit.csv").loc[test.index]
    raw.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "scored.csv"
    assert main(["predict", "--bundle", str(credit_bundle()), "--data", str(tmp_path / "new.csv"),
                 "--out", str(out)]) == 0
    scored = pd.read_csv(out)
    reference = pd.read_parquet(credit_bundle() / "reference.parquet")
    assert list(scored.columns) == [*raw.columns, "minority_probability", "decision"]
    assert len(reference) == len(test) == 90 and (reference["truth"] == "bad").sum() == 27
    np.testing.assert_allclose(scored["minority_probability"], reference["minority_probability"], rtol=0,
                               atol=1e-12)
    assert (scored["decision"].to_numpy() == reference["decision"].to_numpy()).all()
    assert list(reference.columns[-3:]) == ["truth", "minority_probability", "decision"]


def test_manifest_fields_and_loader_names():
    bundle = load_bundle(credit_bundle())
    manifest = bundle.manifest
    assert manifest["minority"] == bundle.minority == "bad" and manifest["classes"] == ["bad", "good"]
    assert manifest["strategy"]["arm"] == "class_weighted_tuned" and manifest["strategy"]["class_weight"] == "balanced"
    assert set(manifest["versions"]) == {"python", "scikit-learn", "imbalanced-learn", "numpy", "pandas", "scipy",
                                         "skops"}
    assert set(manifest["files"]) == {"model.skops", "reference.parquet", "golden.csv", "model_card.md",
                                      "model_card.html", "summary.html"}
    assert manifest["threshold"]["value"] == bundle.threshold == bundle.model.threshold
    assert manifest["threshold"]["folds"] == 3 and len(manifest["threshold"]["per_fold"]) == 3
    assert [c["name"] for c in manifest["schema"]["columns"]] == bundle.features
    results = json.loads((credit_run() / "results.json").read_text())
    assert manifest["decision_key"] == results["decision"]["key"]
    assert manifest["training_data_sha256"] == results["dataset"]["sha256"]
    assert "## 10. The deployed model: calibration and threshold" in (credit_bundle() / "model_card.md").read_text()
    assert "<h2>10. The deployed model: calibration and threshold</h2>" in (
        credit_bundle() / "model_card.html").read_text()
    # the predict path holds no sampler: a plain scikit-learn pipeline inside the calibration and threshold
    pipeline = bundle.model.estimator.estimator.base
    assert type(pipeline).__module__ == "sklearn.pipeline" and "resample" not in pipeline.named_steps


def test_zip_round_trip_scores_the_same():
    from core.bundle_files import bundle_zip
    files = {p.name: p.read_bytes() for p in credit_bundle().iterdir()}
    zipped = load_bundle_zip(bundle_zip(files))
    folder = load_bundle(credit_bundle())
    rows = folder.reference[folder.features]
    np.testing.assert_array_equal(zipped.score(rows).probability, folder.score(rows).probability)


def test_brier_intercept_and_slope_hand_checked():
    assert brier_score(np.array([1, 0, 1, 0]), np.array([0.9, 0.2, 0.6, 0.0])) == pytest.approx(
        (0.01 + 0.04 + 0.16 + 0.0) / 4)
    rng = np.random.default_rng(0)
    truth_p = rng.uniform(0.02, 0.98, 40_000)
    truth = rng.uniform(size=truth_p.size) < truth_p
    assert calibration_slope(truth, truth_p) == pytest.approx(1.0, abs=0.05)
    assert calibration_intercept(truth, truth_p) == pytest.approx(0.0, abs=0.05)
    too_extreme = expit(2 * logit(truth_p))  # logit doubled: the slope halves
    assert calibration_slope(truth, too_extreme) == pytest.approx(0.5, abs=0.03)
    too_low = expit(logit(truth_p) - 1.0)  # shifted down by 1 on the logit scale: the intercept is about +1
    assert calibration_intercept(truth, too_low) == pytest.approx(1.0, abs=0.06)
    # the intercept's definition: mean(expit(a + logit(score))) equals the observed share
    a = calibration_intercept(truth, too_low)
    assert np.mean(expit(a + logit(too_low))) == pytest.approx(truth.mean(), abs=1e-9)
    # the slope equals scikit-learn's unpenalised logistic regression on logit(score)
    reference = LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-10).fit(logit(too_extreme)[:, None], truth)
    assert calibration_slope(truth, too_extreme) == pytest.approx(reference.coef_[0, 0], abs=1e-5)


def test_reliability_curve_counts_every_row():
    rng = np.random.default_rng(1)
    scores = rng.uniform(size=500)
    figures = calibration_figures(rng.uniform(size=500) < scores, scores)
    assert sum(n for _, _, n in figures.curve) == 500 and len(figures.curve) == 10


@pytest.mark.parametrize("rows,seed,distortion", [(300, 0, 0.0), (600, 2, 1.5)])
def test_a_recalibration_is_kept_only_when_it_lowers_the_out_of_fold_brier(rows, seed, distortion):
    rng = np.random.default_rng(seed)
    truth_p = rng.uniform(0.02, 0.6, rows)
    truth = rng.uniform(size=truth_p.size) < truth_p
    scores = expit(logit(truth_p) + distortion)  # 0: already calibrated; 1.5: far too high, as after resampling
    choice = choose_recalibration(truth, scores, folds=3, seed=0)
    (method, candidate), = choice.candidates  # under 200 minority rows: sigmoid only, no isotonic
    assert method == "sigmoid"
    if not distortion:  # hand-checked: on calibrated scores the sigmoid's own out-of-fold Brier is worse
        assert candidate > choice.before.brier == pytest.approx(0.18736, abs=1e-5)
        assert choice.method == "none" and choice.after == choice.before
        np.testing.assert_array_equal(choice.scores, scores)
    else:
        assert choice.method == "sigmoid" and choice.after.brier == pytest.approx(candidate)
        assert choice.after.brier < choice.before.brier - 0.01
        assert abs(choice.after.slope - 1) < abs(choice.before.slope - 1) or abs(choice.after.intercept) < 0.1


def test_the_test_part_reaches_no_fit_and_no_choice(monkeypatch):
    """Every fit's rows are recorded (ModelFrame.fit sees the row labels of every strategy fit: the folds' models
    and the final one); no test-part label may appear. Then the test part's features are scrambled: the model,
    its calibration and its threshold must not move (only the reference rows' scores may)."""
    run = credit_run()
    config = read_config((run / "config.json").read_text())
    dataset = validate_dataset(read_path(run / config.data), config.target, config.column_types)
    decision = json.loads((run / "results.json").read_text())["decision"]
    test_index = set(held_out_rows().index)
    fitted = []
    original = ModelFrame.fit

    def spy(self, X, y=None):
        fitted.append(set(X.index))
        return original(self, X, y)
    monkeypatch.setattr(ModelFrame, "fit", spy)
    first = build_bundle(dataset, config, decision)
    assert len(fitted) == 4  # 3 out-of-fold models and the final one
    assert all(not rows & test_index for rows in fitted)
    assert set().union(*fitted) == set(dataset.frame.index) - test_index

    scrambled = dataset.frame.copy()
    rng = np.random.default_rng(3)
    rows = sorted(test_index)
    for col in ("duration_months", "credit_amount", "age"):
        scrambled.loc[rows, col] = rng.permutation(scrambled[col].to_numpy())[:len(rows)] * 3
    second = build_bundle(type(dataset)(**{**dataset.__dict__, "frame": scrambled}), config, decision)
    for key in ("calibration", "threshold", "schema"):
        assert first.manifest[key] == second.manifest[key]
    train_rows = dataset.frame.drop(index=rows)
    a = load_bundle_from(first).score(train_rows).probability
    b = load_bundle_from(second).score(train_rows).probability
    np.testing.assert_array_equal(a, b)
    assert first.manifest["files"]["reference.parquet"] != second.manifest["files"]["reference.parquet"]


def load_bundle_from(exported):
    from core.bundle_files import bundle_zip
    return load_bundle_zip(bundle_zip(exported.files))


def test_a_generator_strategy_ships_its_model_without_the_sampler(monkeypatch):
    """Random oversampling with a tuned threshold: each out-of-fold model makes its rows inside its fold (3 calls
    to the sampler), the final model learns from the rows made once from the whole training part with the run's
    seed (negative labels: never a real row's), and the predict path holds no sampler."""
    from core.config import build_run_config
    from core.generators.sampler import GeneratorSampler
    from core.pipeline import prepare, synthesize

    table = read_path(credit_run() / "small_credit.csv")
    dataset = validate_dataset(table, "credit_risk")
    config = build_run_config("credit_risk", "random_oversampler", data=table.name, data_sha256=table.sha256,
                              repeats=1, validation=False)
    decision = {"key": "k", "kept": {"monitored": "random_oversampler", "monitored_arm": "augmented_tuned",
                                     "label": "Random oversampling"}, "judged": {}}
    resampled, fitted = [], []
    original_resample, original_fit = GeneratorSampler.fit_resample, ModelFrame.fit

    def resample_spy(self, X, y):
        resampled.append(len(X))
        return original_resample(self, X, y)

    def fit_spy(self, X, y=None):
        fitted.append(X.index)
        return original_fit(self, X, y)
    monkeypatch.setattr(GeneratorSampler, "fit_resample", resample_spy)
    monkeypatch.setattr(ModelFrame, "fit", fit_spy)
    exported = build_bundle(dataset, config, decision)
    assert len(resampled) == 3 and len(fitted) == 4
    made = synthesize(prepare(dataset, 0.3, 42), "random_oversampler", config.amount, config.params, 42)
    synthetic = exported.manifest["strategy"]["synthetic"]
    assert synthetic["rows"] == made.n_synthetic == 147 - 63 and synthetic["seed"] == 42
    assert synthetic["generator"] == "random_oversampler" and synthetic["epsilon"] is None
    assert (fitted[-1] < 0).sum() == made.n_synthetic  # the final fit: the training part plus the made rows
    bundle = load_bundle_from(exported)
    steps = bundle.model.estimator.estimator
    steps = getattr(steps, "base", steps)
    assert "resample" not in steps.named_steps and type(steps).__module__ == "sklearn.pipeline"
