"""The strategy race: the recommendation rule, the candidates, isolation from the test part, determinism for any
n_jobs, the Dask path, and the `advise` command."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import core.race as race_module
from core.evaluation import Summary
from core.parallel import parallel_map
from core.race import CandidateResult, candidates_for, explain, race_prepared, recommend
from tests.conftest import ROOT, sample_path

FOLDS = 5


def candidate(name: str, values: list[float], kind: str = "generator") -> CandidateResult:
    ratio = 1 / (FOLDS - 1)
    from core.evaluation import summarise
    return CandidateResult(name, race_module.label_of(name), kind, summarise(values, ratio),
                           summarise([0.5] * FOLDS, ratio), 1.0)


def test_a_tie_chooses_no_generation():
    base = [0.60, 0.62, 0.58, 0.61, 0.59]
    pool = [candidate("threshold_tuned", base, "no_generation"),
            candidate("class_weighted", [v + 0.005 for v in base], "no_generation"),
            candidate("smote", [v + e for v, e in zip(base, [0.03, -0.01, 0.02, 0.0, 0.01])])]
    chosen, filled = recommend(pool, FOLDS)
    assert chosen == "threshold_tuned"  # SMOTE is best on the mean, but within noise of it
    by_name = {c.name: c for c in filled}
    assert by_name["smote"].vs_best is None and by_name["threshold_tuned"].vs_best.ci_high >= 0
    text = explain(chosen, filled, FOLDS, 700, [])
    assert "Tuned threshold only reached 0.600, within noise of the best" in text and "Do not generate" in text


def test_a_clear_win_chooses_the_generator():
    base = [0.20, 0.22, 0.18, 0.21, 0.19]
    pool = [candidate("threshold_tuned", base, "no_generation"),
            candidate("class_weighted", [v + 0.01 for v in base], "no_generation"),
            candidate("random_oversampler", [v + 0.3 for v in base]),
            candidate("smote", [v + 0.7 + 0.01 * i for i, v in enumerate(base)])]
    chosen, filled = recommend(pool, FOLDS)
    assert chosen == "smote"
    assert "Generation earned its place here" in explain(chosen, filled, FOLDS, 700, [])


def test_random_oversampling_beats_smote_on_a_tie():
    base = [0.50, 0.55, 0.45, 0.52, 0.48]
    pool = [candidate("threshold_tuned", [v - 0.3 for v in base], "no_generation"),
            candidate("smote", [v + e for v, e in zip(base, [0.02, -0.01, 0.015, 0.0, 0.02])]),
            candidate("random_oversampler", base)]
    assert recommend(pool, FOLDS)[0] == "random_oversampler"


def test_candidates_fit_the_column_types_and_the_budget():
    mixed = {"a": "numeric", "b": "categorical"}
    wanted, skipped = candidates_for(mixed, {"x": 1000, "y": 40}, 60, 2)
    assert wanted == ["threshold_tuned", "class_weighted", "random_oversampler", "smotenc", "gaussian_copula"]
    assert {n for n, _ in skipped} == {"ctgan", "tvae"} and "needs at least 50" in dict(skipped)["ctgan"]
    numbers = {"a": "numeric", "b": "integer"}
    wanted, skipped = candidates_for(numbers, {"x": 1000, "y": 400}, 1e6, 2)
    assert wanted == ["threshold_tuned", "class_weighted", "random_oversampler", "smote", "borderline_smote",
                      "adasyn", "gaussian_copula", "tvae", "ctgan"] and not skipped
    _, skipped = candidates_for(numbers, {"x": 1000, "y": 400}, 5, 2)
    assert "over the 5 s budget" in dict(skipped)["ctgan"]


def test_the_race_never_sees_the_test_part_and_is_the_same_for_any_n_jobs(prepared, monkeypatch):
    prep = prepared["german_credit"]
    seen = []
    real = race_module.fit_strategy

    def spy(model, rows, *args):
        seen.append(set(rows.index))
        return real(model, rows, *args)

    monkeypatch.setattr(race_module, "fit_strategy", spy)
    kept = ["threshold_tuned", "random_oversampler"]
    one = race_prepared(prep, folds=3, candidates=kept, n_jobs=1)
    test_index, train_index = set(prep.split.test.index), set(prep.train.index)
    # one timed probe for the estimate, then one fit per candidate and fold (threshold fits are in evaluation)
    assert len(seen) == 1 + 3 * 2 and all(rows <= train_index and not rows & test_index for rows in seen)
    two = race_prepared(prep, folds=3, candidates=kept, n_jobs=2)
    for a, b in zip(one.candidates, two.candidates):
        assert a.minority_f1.values == b.minority_f1.values and a.pr_auc.values == b.pr_auc.values
    assert one.recommended == two.recommended and one.explanation == two.explanation
    assert isinstance(one.candidates[0].minority_f1, Summary) and len(one.candidates[0].thresholds) == 3


def test_a_failing_candidate_keeps_its_error_and_the_race_goes_on(prepared):
    result = race_prepared(prepared["german_credit"], folds=3, candidates=["threshold_tuned", "adasyn"], n_jobs=1)
    by_name = {c.name: c for c in result.candidates}
    assert not by_name["adasyn"].ran and "numeric columns only" in by_name["adasyn"].error
    assert result.recommended == "threshold_tuned" and "Could not run: ADASYN" in result.explanation


def test_dask_local_cluster_gives_the_local_results(prepared):
    distributed = pytest.importorskip("distributed")
    prep = prepared["hypothyroid"]
    local = race_prepared(prep, folds=3, candidates=["threshold_tuned", "class_weighted"], n_jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        remote = race_prepared(prep, folds=3, candidates=["threshold_tuned", "class_weighted"],
                               scheduler=c.scheduler_address)
        assert parallel_map(abs, [-1, -2, 3], scheduler=c.scheduler_address) == [1, 2, 3]
    for a, b in zip(local.candidates, remote.candidates):
        assert a.minority_f1.values == b.minority_f1.values


def test_advise_json_schema_and_bad_input(tmp_path):
    run = subprocess.run([sys.executable, "-m", "core", "advise", "--data", str(sample_path("german_credit")),
                          "--target", "credit_risk", "--folds", "3", "--candidates", "threshold_tuned,smotenc",
                          "--n-jobs", "1", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert set(data) >= {"recommended", "kind", "candidates", "explanation"}
    assert data["kind"] in ("no_generation", "generator") and data["recommended"] in ("threshold_tuned", "smotenc")
    for c in data["candidates"]:
        assert set(c["minority_f1"]) == {"mean", "ci_low", "ci_high"} and set(c["pr_auc"]) == {"mean", "ci_low",
                                                                                                "ci_high"}
        assert c["minority_f1"]["ci_low"] <= c["minority_f1"]["mean"] <= c["minority_f1"]["ci_high"]
        assert c["seconds"] > 0
    for argv, message in ((["--target", "nope"], "The target column 'nope' is not in the file"),
                          (["--target", "credit_risk", "--folds", "1"], "Folds must be between 2 and 20"),
                          (["--target", "credit_risk", "--candidates", "threshold_tuned", "--folds", "2",
                            "--scheduler", "tcp://127.0.0.1:9"],
                           "Could not reach the Dask scheduler")):
        bad = subprocess.run([sys.executable, "-m", "core", "advise", "--data", str(sample_path("german_credit")),
                              *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ")
        assert message in bad.stderr, bad.stderr


def test_advise_takes_type_overrides():
    run = subprocess.run([sys.executable, "-m", "core", "advise", "--data", str(sample_path("german_credit")),
                          "--target", "credit_risk", "--type", "age=categorical", "--folds", "2", "--candidates",
                          "threshold_tuned", "--n-jobs", "1", "--json"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    plain = subprocess.run([sys.executable, "-m", "core", "advise", "--data", str(sample_path("german_credit")),
                            "--target", "credit_risk", "--folds", "2", "--candidates", "threshold_tuned",
                            "--n-jobs", "1", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    typed, untyped = json.loads(run.stdout), json.loads(plain.stdout)
    # age as a category changes the model's columns, so the measured F1 changes
    assert typed["candidates"][0]["minority_f1"]["mean"] != untyped["candidates"][0]["minority_f1"]["mean"]
    bad = subprocess.run([sys.executable, "-m", "core", "advise", "--data", str(sample_path("german_credit")),
                          "--target", "credit_risk", "--type", "age=colour"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "unknown kind 'colour'" in bad.stderr


def test_run_takes_a_strategy_without_generation(tmp_path):
    run = subprocess.run([sys.executable, "-m", "core", "run", "--data", str(sample_path("german_credit")),
                          "--target", "credit_risk", "--method", "threshold_tuned", "--repeats", "2", "--out",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert "generation" not in results and not (tmp_path / "synthetic.csv").exists()
    assert results["evaluation"]["subject"] == "threshold_tuned"
    assert len(results["evaluation"]["tuned_thresholds"]["threshold_tuned"]) == 2
    assert "Nadeau & Bengio" in results["evaluation"]["interval"]


def test_null_calibration_logic_on_a_small_case():
    from bench.null_calibration import declared, rejection_rates

    # 0.03 +- small noise: the plain t-interval excludes 0, the corrected one (ratio 3/7) does not (see the
    # evaluation tests for the arithmetic); Wilcoxon cannot reach 0.05 with 5 values.
    tight = np.array([0.03, 0.05, 0.015, 0.04, 0.018])
    flags = declared(tight, 3 / 7)
    assert flags == {"before (plain t-interval)": True, "Wilcoxon p < 0.05": False,
                     "after (corrected t-interval)": False}
    clear = np.array([0.30, 0.31, 0.29, 0.30, 0.32])
    noise = np.array([0.01, -0.02, 0.015, -0.01, 0.004])
    rates = rejection_rates([tight, clear, noise, noise], 3 / 7)
    assert rates == {"before (plain t-interval)": 0.5, "Wilcoxon p < 0.05": 0.0,
                     "after (corrected t-interval)": 0.25}
