"""The strategy race: the recommendation rule, the candidates, isolation from the test part, determinism for any
n_jobs, the Dask path, and the `advise` command."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

import core.race as race_module
from core.cli.main import main
from core.generators.sampler import GeneratorSampler
from core.intervals import Summary, detectable_difference, repeated_cv_ratio, summarise
from core.models import SharedFits
from core.parallel import parallel_map
from core.race import candidates_for, race_prepared
from core.race_results import FoldScore
from core.strategies import NO_GENERATION, strategy_words
from tests.conftest import ROOT

FOLDS = 5


def small_dataset():
    """A small numeric table (200 rows, 40 minority), so real races stay fast."""
    import pandas as pd

    from core.column_kinds import infer_column_types
    from core.data import LoadedTable, validate_dataset

    rng = np.random.default_rng(0)
    y = np.array(["yes"] * 40 + ["no"] * 160)
    frame = pd.DataFrame({"a": rng.normal(size=200) + (y == "yes"), "b": rng.normal(size=200),
                          "c": rng.normal(size=200) - 0.5 * (y == "yes"), "y": y})
    table = LoadedTable(frame=frame, name="small.csv", sha256="0" * 64, n_bytes=0,
                        column_types=infer_column_types(frame))
    return validate_dataset(table, "y")


@pytest.fixture(scope="module")
def small():
    from core.pipeline import prepare

    return prepare(small_dataset(), test_size=0.3, seed=42)


@pytest.fixture(scope="module")
def small_credit_prepared(small_credit):
    """The 300-row German credit sample (mixed column types), split as `prepared` splits the full samples."""
    from core.pipeline import prepare

    return prepare(small_credit, test_size=0.3, seed=42)


def test_repeated_cv_interval_equals_bouckaert_and_frank_by_hand():
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]  # 3 folds x 2 repeats
    # mean 0.35; s^2 = 0.175 / 5 = 0.035; factor 1/(3*2) + 1/(3-1) = 2/3; se = sqrt(0.035 * 2/3) = 0.152753;
    # t(0.975, 3*2 - 1 = 5) = 2.570582; half-width 0.392663
    low, high = 0.35 - 0.392663, 0.35 + 0.392663
    raw = summarise(values, repeated_cv_ratio(3))
    assert raw.ci_low == pytest.approx(low, abs=1e-5) and raw.ci_high == pytest.approx(high, abs=1e-5)
    assert not raw.clipped
    cut = summarise(values, repeated_cv_ratio(3), (0.0, 1.0))  # F1 cannot go below 0: the interval says so
    assert cut.ci_low == 0.0 and cut.ci_high == pytest.approx(high, abs=1e-5) and cut.clipped
    # at 80% power: (t(0.975, 5) + t(0.80, 5)) x se = (2.570582 + 0.919544) x 0.152753 = 0.533125
    assert detectable_difference(values, repeated_cv_ratio(3)) == pytest.approx(0.533125, abs=1e-5)


def test_untuned_candidates_are_in_every_race():
    wanted, _ = candidates_for({"a": "numeric"}, {"x": 100, "y": 20}, 1, 1)
    assert wanted[:4] == ["as_is", "class_weighted_default", "threshold_tuned", "class_weighted"]
    assert strategy_words("as_is") == "As is (no weights, threshold 0.5)"


def test_candidates_fit_the_column_types_and_the_budget():
    mixed = {"a": "numeric", "b": "categorical"}
    wanted, skipped = candidates_for(mixed, {"x": 1000, "y": 40}, 60, 2)
    assert wanted == [*NO_GENERATION, "random_oversampler", "smotenc", "gaussian_copula"]
    assert {n for n, _ in skipped} == {"ctgan", "tvae"} and "needs at least 50" in dict(skipped)["ctgan"]
    numbers = {"a": "numeric", "b": "integer"}
    wanted, skipped = candidates_for(numbers, {"x": 1000, "y": 400}, 1e6, 2)
    assert wanted == [*NO_GENERATION, "random_oversampler", "smote", "borderline_smote",
                      "adasyn", "gaussian_copula", "tvae", "ctgan"] and not skipped
    _, skipped = candidates_for(numbers, {"x": 1000, "y": 400}, 5, 2)
    assert "over the 5 s budget" in dict(skipped)["ctgan"]


def test_the_race_never_sees_the_test_part_and_is_the_same_for_any_n_jobs(small, monkeypatch):
    prep = small
    seen = []
    real, real_shared = race_module.fit_strategy, SharedFits.__init__

    def spy(model, rows, *args):
        seen.append(set(rows.index))
        return real(model, rows, *args)

    def spy_shared(self, models, rows, *args):
        seen.append(set(rows.index))
        return real_shared(self, models, rows, *args)

    monkeypatch.setattr(race_module, "fit_strategy", spy)
    monkeypatch.setattr("core.models.fit_strategy", spy)  # the estimate's warm-up and timed probe (core.estimates)
    monkeypatch.setattr(SharedFits, "__init__", spy_shared)  # the fold tasks' fits (inner and final)
    kept = ["threshold_tuned", "random_oversampler"]
    one = race_prepared(prep, folds=2, candidates=kept, n_jobs=1, repeats=2)
    test_index, train_index = set(prep.split.test.index), set(prep.train.index)
    # a warm-up and a timed probe for the estimate, then per candidate and fold 3 inner threshold fits and its own
    assert len(seen) == 2 + 2 * 2 * 2 * 4 and all(rows <= train_index and not rows & test_index for rows in seen)
    two = race_prepared(prep, folds=2, candidates=kept, n_jobs=2, repeats=2)
    for a, b in zip(one.candidates, two.candidates):
        assert a.minority_f1.values == b.minority_f1.values and a.pr_auc.values == b.pr_auc.values
    assert one.recommended == two.recommended and one.explanation == two.explanation
    assert isinstance(one.candidates[0].minority_f1, Summary) and len(one.candidates[0].thresholds) == 4
    assert one.repeats == 2 and "2 folds x 2 repeats" in one.explanation


def test_thresholds_are_tuned_and_synthetic_rows_made_inside_each_fold_never_on_the_scored_rows(small, monkeypatch):
    prep = small
    train = prep.train
    labels = train["y"].astype(str)
    folds = [(set(train.index[fit]), set(train.index[check])) for fit, check in RepeatedStratifiedKFold(
        n_splits=2, n_repeats=2, random_state=prep.split.seed).split(np.zeros(len(train)), labels)]
    tuned_on, resampled, cleaned = [], [], []
    real_choose, real_resample, real_clean = (race_module.choose_thresholds, GeneratorSampler.fit_resample,
                                              race_module.clean_training)

    def spy_clean(rows, *args):
        cleaned.append(set(rows.index))
        return real_clean(rows, *args)

    def spy_choose(strategies, rows, *args, **kwargs):
        tuned_on.append(set(rows.index))
        return real_choose(strategies, rows, *args, **kwargs)

    def spy_resample(self, X, y):
        resampled.append(set(X.index))
        return real_resample(self, X, y)

    monkeypatch.setattr(race_module, "choose_thresholds", spy_choose)
    monkeypatch.setattr(GeneratorSampler, "fit_resample", spy_resample)
    monkeypatch.setattr(race_module, "clean_training", spy_clean)
    result = race_prepared(prep, folds=2, repeats=2, candidates=["as_is", "threshold_tuned", "random_oversampler"],
                           n_jobs=1, adaptive=False)
    # tasks run repeat by repeat, then task by task (the candidates without synthetic rows share one), fold by
    # fold: each tuning sees exactly its fold's training rows
    first, second = [fit for fit, _ in folds[:2]], [fit for fit, _ in folds[2:]]
    assert tuned_on == first * 2 + second * 2
    assert cleaned == first * 2 + second * 2  # cleaning is fitted inside each fold's training rows, once per task
    # every synthetic row is made from rows inside one fold's training rows (inner folds too), never before the split
    assert resampled and all(any(rows <= fit for fit, _ in folds) for rows in resampled)
    by_name = {c.name: c for c in result.candidates}
    assert set(by_name["as_is"].thresholds) == {0.5} and len(set(by_name["threshold_tuned"].thresholds)) > 1


def test_a_failing_candidate_keeps_its_error_and_the_race_goes_on(small_credit_prepared):
    result = race_prepared(small_credit_prepared, folds=3, candidates=["threshold_tuned", "adasyn"], n_jobs=1,
                           repeats=1)
    by_name = {c.name: c for c in result.candidates}
    assert not by_name["adasyn"].ran and "numeric columns only" in by_name["adasyn"].error
    assert result.recommended == "threshold_tuned" and "Could not run: ADASYN" in result.explanation


def test_dask_local_cluster_gives_the_local_results(small_credit_prepared):
    distributed = pytest.importorskip("distributed")
    prep = small_credit_prepared
    local = race_prepared(prep, folds=2, candidates=["threshold_tuned", "class_weighted"], n_jobs=1, repeats=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        remote = race_prepared(prep, folds=2, candidates=["threshold_tuned", "class_weighted"],
                               scheduler=c.scheduler_address, repeats=1)
        assert parallel_map(abs, [-1, -2, 3], scheduler=c.scheduler_address) == [1, 2, 3]
    assert [len(c.minority_f1.values) for c in remote.candidates] == [2, 2]  # 2 folds x 1 repeat, each compared
    for a, b in zip(local.candidates, remote.candidates):
        assert a.minority_f1.values == b.minority_f1.values


def test_advise_json_schema_and_bad_input(small_credit_csv, capsys, monkeypatch):
    # the real process of the advise family; the refusals run in-process (exit code and stderr from main)
    run = subprocess.run([sys.executable, "-m", "core", "advise", "--data", str(small_credit_csv),
                          "--target", "credit_risk", "--folds", "2", "--candidates", "threshold_tuned,smotenc",
                          "--repeats", "1", "--margin", "0.01", "--n-jobs", "1", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert set(data) >= {"recommended", "kind", "candidates", "explanation"}
    assert data["kind"] in ("no_generation", "generator") and data["recommended"] in ("threshold_tuned", "smotenc")
    assert data["repeats"] == 1 and data["margin"] == 0.01 and data["rule"] == "highest mean minority F1"
    assert "Bouckaert & Frank" in data["interval"] and data["margin_cost"] >= 0
    for c in data["candidates"]:
        assert set(c["minority_f1"]) == {"mean", "ci_low", "ci_high", "clipped"} and set(c["pr_auc"]) == {
            "mean", "ci_low", "ci_high", "clipped"}
        assert c["minority_f1"]["ci_low"] <= c["minority_f1"]["mean"] <= c["minority_f1"]["ci_high"]
        assert c["seconds"] > 0
    # nothing listens on port 9: a 1 s connect timeout (5 s in the app) reaches the same refusal sooner
    monkeypatch.setattr("core.cluster.CONNECT_TIMEOUT_S", 1)
    for argv, message in ((["--target", "nope"], "The target column 'nope' is not in the file"),
                          (["--target", "credit_risk", "--folds", "1"], "Folds must be between 2 and 20"),
                          (["--target", "credit_risk", "--margin", "-0.1"], "The margin is a minority F1 difference"),
                          (["--target", "credit_risk", "--candidates", "threshold_tuned", "--folds", "2",
                            "--scheduler", "tcp://127.0.0.1:9"],
                           "Could not reach the Dask scheduler")):
        capsys.readouterr()
        assert main(["advise", "--data", str(small_credit_csv), *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ")
        assert message in err, err


def test_advise_takes_type_overrides(small_credit_csv, capsys):
    common = ["advise", "--data", str(small_credit_csv), "--target", "credit_risk", "--folds", "2", "--candidates",
              "threshold_tuned", "--repeats", "1", "--n-jobs", "1", "--json"]
    assert main([*common, "--type", "age=categorical"]) == 0
    typed = json.loads(capsys.readouterr().out)
    assert main(common) == 0
    untyped = json.loads(capsys.readouterr().out)
    # age as a category changes the model's columns, so the measured F1 changes
    assert typed["candidates"][0]["minority_f1"]["mean"] != untyped["candidates"][0]["minority_f1"]["mean"]
    assert main(["advise", "--data", str(small_credit_csv), "--target", "credit_risk", "--type", "age=colour"]) == 2
    assert "unknown kind 'colour'" in capsys.readouterr().err


def test_run_takes_a_strategy_without_generation(small_credit_csv, tmp_path):
    # the real process of the run family (test_evaluation's results schema runs `run` in-process)
    run = subprocess.run([sys.executable, "-m", "core", "run", "--data", str(small_credit_csv),
                          "--target", "credit_risk", "--method", "threshold_tuned", "--repeats", "2", "--n-jobs", "1",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
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


# 5 folds x 3 repeats of hand-built fold figures: class weights leads; "as is" is 0.3 behind on every fold (stopped
# after repeat 1); random oversampling stays within noise of the leader and wins on the last repeats
HAND = {"class_weighted": [0.60, 0.62, 0.58, 0.61, 0.59] * 3,
        "as_is": [0.30, 0.34, 0.26, 0.32, 0.28] * 3,
        "random_oversampler": [0.62, 0.58, 0.57, 0.60, 0.60, 0.64, 0.63, 0.60, 0.62, 0.61, 0.63, 0.62, 0.60, 0.62,
                               0.61]}


def hand_scored(*args) -> list[FoldScore]:
    """_score_group's stand-in: the HAND figure of each (candidate, fold), so the stops follow from known numbers."""
    names, fold = args[-1]
    return [FoldScore(name, fold, HAND[name][fold], 0.5, 0.5, 0.0) for name in names]


def test_a_candidate_clearly_behind_is_stopped_after_repeat_1_and_the_pick_is_the_full_races(small, monkeypatch):
    monkeypatch.setattr(race_module, "_score_group", hand_scored)
    kept = list(HAND)
    steps = []
    adaptive = race_prepared(small, candidates=kept, repeats=3, n_jobs=1, progress=lambda f, _: steps.append(f))
    full = race_prepared(small, candidates=kept, repeats=3, n_jobs=1, adaptive=False)
    two = race_prepared(small, candidates=kept, repeats=3, n_jobs=2)  # the stops come from completed repeats only
    assert two.stopped == adaptive.stopped and two.explanation == adaptive.explanation
    assert [c.minority_f1.values for c in two.candidates] == [c.minority_f1.values for c in adaptive.candidates]
    by_name = {c.name: c for c in adaptive.candidates}
    assert adaptive.stopped == (("as_is", 1),) and full.stopped == () and not full.adaptive
    stopped = by_name["as_is"]
    assert stopped.minority_f1.values == HAND["as_is"][:5] and stopped.minority_f1.mean == pytest.approx(0.30)
    assert len(stopped.thresholds) == 5 and "stopped after repeat 1" in stopped.note
    assert stopped.vs_best.mean == pytest.approx(0.30 - np.mean(HAND["random_oversampler"][:5]))  # its own folds
    assert [len(c.minority_f1.values) for c in adaptive.candidates] == [5, 15, 15]  # display order
    # the same pick and the same figures for every candidate that ran on; the best mean of those still running
    assert adaptive.recommended == full.recommended == "random_oversampler"
    assert adaptive.runner_up == full.runner_up == "class_weighted"
    assert adaptive.explanation.count("after repeat 1") == 1 and "Their figures cover the folds they ran" in \
        adaptive.explanation
    assert "5 folds x 3 repeats" in adaptive.explanation
    out = adaptive.to_dict()["candidates"]
    assert [(c["name"], c["stopped_after_repeat"], c["folds_run"]) for c in out] == [
        ("as_is", 1, 5), ("class_weighted", None, 15), ("random_oversampler", None, 15)]
    # one step per fold task: as is and class weights share one until as is stops
    assert steps == sorted(steps) and steps[-1] == 1.0 and len(steps) == 1 + 10 + 10 + 10
