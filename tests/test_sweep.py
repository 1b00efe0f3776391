"""The privacy-utility dial (core/sweep.py), the conservative gain it reads, and the privacy commands of the
CLI (`methods`, `sweep`, `--epsilon/--delta`), with results.json's and the model card's privacy parts."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.card_render import to_markdown
from core.cli.main import main
from core.config import RunConfig
from core.data import validate_dataset
from core.errors import ConfigError
from core.evaluation import Comparison, Targets, conservative_gain, judgement_of
from core.generators.amount import Amount
from core.intervals import Difference, Summary
from core.judgement import Verdict, judge_gain
from core.pipeline import run_experiment, synthesize
from core.reading import read_table
from core.report import build_model_card, privacy_statement
from core.results import results_dict
from core.sweep import SweepPoint, SweepResult, answer_text, meets_target, parse_epsilons, run_sweep, smallest_meeting
from tests.conftest import sample_path


def small_table(tmp_path=None):
    """300 rows, 3 numbers and one category, 20% minority: a sweep point runs in a couple of seconds."""
    rng = np.random.default_rng(0)
    label = np.where(rng.random(300) < 0.2, "yes", "no")
    shift = (label == "yes") * 1.5
    frame = pd.DataFrame({"a": (rng.normal(size=300) + shift).round(3), "b": rng.normal(size=300).round(3),
                          "c": rng.integers(0, 50, 300) + (shift * 10).astype(int),
                          "colour": rng.choice(["red", "green", "blue"], 300), "label": label})
    data = frame.to_csv(index=False).encode()
    if tmp_path is not None:
        (tmp_path / "small.csv").write_bytes(data)
    return validate_dataset(read_table(data, "small.csv"), "label")


def point(epsilon, f1_gain, pr_gain=0.0, error=None, ci=None):
    low, high = ci or (f1_gain - 0.02, f1_gain + 0.02)
    return SweepPoint(epsilon=epsilon, delta=1e-6, epsilon_spent=epsilon, quality_score=0.7, detection_auc=0.8,
                      minority_f1_gain=Difference(f1_gain, low, high, 0.1),
                      pr_auc_gain=Difference(pr_gain, pr_gain - 0.01, pr_gain + 0.01, 0.2),
                      dcr_share_vs_holdout=0.5, nndr_median=0.9, seconds=1.0, error=error)


def test_conservative_gain_is_against_the_best_option_without_synthetic_rows():
    def diff(mean):
        return {"minority_f1": Difference(mean, mean - 0.1, mean + 0.1, None),
                "pr_auc": Difference(-mean, -mean - 0.1, -mean + 0.1, None)}

    def arm(f1):
        return {"minority_f1": Summary(f1, f1, f1, [f1])}
    comparison = Comparison(classifier="logreg", repeats=3, verdict="", targets=Targets(),
                            arms={"threshold_tuned": arm(0.4), "class_weighted_tuned": arm(0.45),
                                  "baseline": arm(0.6), "augmented_tuned": arm(0.5)},
                            differences={"augmented_tuned_vs_threshold_tuned": diff(0.1),
                                         "augmented_tuned_vs_class_weighted_tuned": diff(0.05),
                                         "augmented_tuned_vs_baseline": diff(-0.1)})
    # the best tuned option (class weights, 0.45), and PR-AUC against that same reference
    assert conservative_gain(comparison, "minority_f1").mean == 0.05
    assert conservative_gain(comparison, "pr_auc").mean == -0.05


def test_the_dial_and_the_comparison_give_one_verdict():
    """Gain 0.060 [0.004, 0.116] at target 0.05 over 5 repeats: earned on the Comparison's rule and met on the
    dial (the dial once asked the lower bound to reach the target, and said 'not met')."""
    gain = Difference(0.060, 0.004, 0.116, 0.04)
    assert judge_gain(gain.mean, gain.ci_low, gain.ci_high, 0.05, 5).verdict is Verdict.EARNED
    assert judgement_of(gain, 0.05, 5).verdict is Verdict.EARNED
    dial_point = point(1.0, 0.060, ci=(0.004, 0.116))
    assert meets_target(dial_point, "minority_f1", 0.05, 5)
    assert smallest_meeting((dial_point,), "minority_f1", 0.05, 5) is dial_point
    assert not meets_target(dial_point, "minority_f1", 0.05, 2)  # under 3 repeats: never


def test_smallest_epsilon_that_meets_the_target_follows_the_verdicts_rule():
    """Earned decides: epsilon 1 (gain +0.002, CI -0.150 to +0.154) does not meet a target of 0; epsilon 2
    (CI +0.020 to +0.060) does."""
    points = (point(0.5, -0.03), point(1.0, 0.002, ci=(-0.150, 0.154)), point(2.0, 0.04), point(4.0, 0.06),
              point(8.0, 0.07, error="x"), point(None, 0.08))
    assert smallest_meeting(points, "minority_f1", 0.0, repeats=3).epsilon == 2.0
    assert answer_text(points, "minority_f1", 0.0, 3) == (
        "The smallest epsilon that meets your target (a minority F1 gain of at least +0.000 over the best option "
        "without synthetic rows, earned: its 95% interval above 0 and its mean at or above the target) is 2: gain "
        "+0.040 (corrected 95% CI +0.020 to +0.060): earned.")
    assert smallest_meeting(points, "minority_f1", 0.05, 3).epsilon == 4.0  # mean 0.06, interval above 0
    assert smallest_meeting(points, "minority_f1", 0.065, 3) is None  # 8 failed, the non-private point never counts
    assert answer_text(points, "minority_f1", 0.065, 3) == (
        "No epsilon tried meets your target (a minority F1 gain of at least +0.065 over the best option without "
        "synthetic rows): it is met only when the gain is earned, its 95% interval above 0 and its mean at or above "
        "the target. The closest was epsilon 4: gain +0.060 (corrected 95% CI +0.040 to +0.080): could not tell "
        "apart. Without privacy the same generator gives gain +0.080 (corrected 95% CI +0.060 to +0.100): earned, "
        "which would meet it: the target needs less privacy than any epsilon tried.")
    assert smallest_meeting(points, "pr_auc", -0.02, 3) is None  # an interval containing 0 is never earned
    assert smallest_meeting(points, "minority_f1", -1.0, repeats=2) is None  # two splits: no interval, no claim
    assert answer_text(points, "minority_f1", -1.0, 2).startswith("Under 3 repeated splits per epsilon there is "
                                                                  "no interval")
    result = SweepResult(method="dp_vae", classifier="logreg", repeats=3, seed=1, utility_metric="minority_f1",
                         utility_target=0.0, points=points, smallest_epsilon=2.0, answer="")
    assert list(result.table()["meets_target"]) == [False, False, True, True, False, False]


def test_no_contradiction_when_nothing_meets_the_target():
    """Gains near 0 everywhere, target 0: the answer says why no epsilon meets it and that the generator falls
    short without privacy too (not '+0.000 ... without privacy gives +0.000' as if that were a success)."""
    points = (point(1.0, -0.0004, ci=(-0.1, 0.1)), point(None, 0.0003, ci=(-0.09, 0.09)))
    text = answer_text(points, "minority_f1", 0.0, 3)
    assert text == (
        "No epsilon tried meets your target (a minority F1 gain of at least +0.000 over the best option without "
        "synthetic rows): it is met only when the gain is earned, its 95% interval above 0 and its mean at or above "
        "the target. The closest was epsilon 1: gain -0.000 (corrected 95% CI -0.100 to +0.100): could not tell "
        "apart. Without privacy the same generator gives gain +0.000 (corrected 95% CI -0.090 to +0.090): could not "
        "tell apart, which does not meet it either: the generator falls short even without privacy.")


def test_parse_epsilons():
    assert parse_epsilons("4, 0.5,1,1") == (0.5, 1.0, 4.0)
    with pytest.raises(ConfigError, match="numbers separated by commas"):
        parse_epsilons("1,two")
    with pytest.raises(ConfigError, match="at least one"):
        parse_epsilons(" , ")


def test_sweep_refuses_what_it_cannot_run():
    dataset = small_table()
    with pytest.raises(ConfigError, match="not differentially private"):
        run_sweep(dataset, RunConfig(target="label", method="smotenc"), (1.0,))
    with pytest.raises(ConfigError, match="epsilon"):  # refused before anything runs
        run_sweep(dataset, RunConfig(target="label", method="dp_vae"), (0.0, 1.0))
    with pytest.raises(ConfigError, match="utility"):
        run_sweep(dataset, RunConfig(target="label", method="dp_vae"), (1.0,), utility_metric="accuracy")


def test_sweep_command_writes_every_epsilon_and_the_reference_point(tmp_path, capsys):
    small_table(tmp_path)
    out = tmp_path / "dial"
    assert main(["sweep", "--data", str(tmp_path / "small.csv"), "--target", "label", "--method", "dp_vae",
                 "--epsilons", "1", "--epochs", "1", "--repeats", "3", "--target-gain", "-5", "--ratio", "0.5",
                 "--accountant", "rdp", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # a target of -5: met only when the gain is earned (interval above 0), whatever the target
    assert "a minority F1 gain of at least -5.000" in printed
    saved = json.loads((out / "sweep.json").read_text())
    assert set(saved) == {"method", "classifier", "repeats", "seed", "utility_metric", "utility_target",
                          "smallest_epsilon", "answer", "points"}
    assert saved["utility_target"] == -5.0 and saved["answer"] in printed
    first = saved["points"][0]["minority_f1_gain"]
    assert saved["smallest_epsilon"] == (1.0 if first["ci_low"] > 0 else None)  # the one rule, not the lower bound
    points = saved["points"]
    assert [p["epsilon"] for p in points] == [1.0, None]  # the point without privacy last
    assert points[1]["epsilon_spent"] is None and points[1]["delta"] is None
    assert all(p["error"] is None for p in points)
    assert 0.9 < points[0]["epsilon_spent"] <= 1.0 + 1e-6
    assert set(points[0]["minority_f1_gain"]) == {"mean", "ci_low", "ci_high", "p_value", "test", "clipped"}
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 2 and list(table["private"]) == [True, False]
    assert list(table["meets_target"]) == [saved["smallest_epsilon"] == 1.0, False]
    assert {"epsilon", "epsilon_spent", "minority_f1_gain", "minority_f1_gain_ci_low", "pr_auc_gain",
            "quality_score", "detection_auc", "dcr_share_vs_holdout", "nndr_median"} <= set(table.columns)
    assert table["quality_score"].between(0, 1).all() and table["dcr_share_vs_holdout"].between(0, 1).all()


def test_methods_json_schema(capsys):
    assert main(["methods", "--json"]) == 0
    methods = {m["name"]: m for m in json.loads(capsys.readouterr().out)}
    assert {"smote", "ctgan", "gaussian_copula", "dp_vae"} <= set(methods)
    for method in methods.values():
        assert set(method) >= {"name", "label", "family", "library", "takes", "params", "min_minority_rows",
                               "differentially_private"}
        for param in method["params"]:
            assert set(param) == {"name", "kind", "default", "low", "high", "choices", "help"}
            assert param["choices"] if param["kind"] == "choice" else param["choices"] == []
    assert [n for n, m in methods.items() if m["differentially_private"]] == ["dp_vae"]
    dp_params = {p["name"]: p for p in methods["dp_vae"]["params"]}
    assert dp_params["epsilon"]["default"] == 1.0 and dp_params["epsilon"]["low"] == 0.01
    assert methods["dp_vae"]["family"] == "differential privacy" and methods["dp_vae"]["min_minority_rows"] == 20
    assert main(["methods"]) == 0
    assert "dp_vae: DP-VAE (differentially private) (differential privacy, opacus)  [differentially private]" in \
        capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["generate", "--method", "smote", "--epsilon", "1"],
     "error: --epsilon, --delta and --accountant apply to differentially private methods (dp_vae); 'smote' is "
     "not one."),
    (["generate", "--method", "dp_vae", "--epsilon", "0"], "error: dp_vae: 'epsilon' must be between 0.01 and 100"),
    (["run", "--method", "dp_vae", "--delta", "0.5"], "error: dp_vae: 'delta' must be between 0 and 0.001"),
    (["sweep", "--method", "ctgan"], "error: CTGAN is not differentially private"),
    (["sweep", "--epsilons", "1,x"], "error: Epsilons must be numbers separated by commas"),
    (["run", "--method", "dp_vae", "--bound", "age=18"], "error: --bound needs COL=LOW:HIGH with two numbers, got "
                                                         "'age=18'."),
    (["run", "--method", "dp_vae", "--levels", "housing"], "error: --levels needs COL=a,b,c, got 'housing'."),
    (["run", "--method", "dp_vae", "--levels", "housing= , "], "error: Declared levels need a column and at least "
                                                                "one level"),
])
def test_privacy_options_fail_in_one_line(argv, message, capsys, tmp_path):
    command, rest = argv[0], argv[1:]
    assert main([command, "--data", str(sample_path("german_credit")), "--target", "credit_risk", *rest,
                 "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_results_json_card_and_summary_state_the_guarantee(small_credit):
    """No range declared: results.json lists what is public and marks the release not covered, naming the step;
    the card and the Summary say the same (the 300-row German credit sample: every column of the full one)."""
    from core.pipeline import prepare
    from core.summary import facts

    dataset = small_credit
    params = {"epochs": 1, "epsilon": 1.0, "delta": 1e-4, "accountant": "rdp"}  # epsilon 1: a quick calibration
    config = RunConfig(target="credit_risk", method="dp_vae", params=params, repeats=1, validation=False,
                       amount=Amount("count", 50))
    result = run_experiment(dataset, config)
    privacy = results_dict(result)["generation"]["privacy"]
    assert privacy["epsilon"] == result.synthetic.privacy.epsilon and 0.9 < privacy["epsilon"] <= 1.0
    assert privacy["epsilon"] == pytest.approx(2 * privacy["accountant_epsilon"])
    assert privacy["delta"] == 1e-4 and privacy["accountant"] == "rdp (opacus)"
    assert privacy["adjacency"] == "replace-one"
    assert privacy["library"] == "opacus 1.6.0" and privacy["mechanism"].startswith("DP-SGD")
    assert privacy["public"] == ["each class's number of training rows (replace-one adjacency: neighbouring tables "
                                 "have the same class counts)", "the column types"]
    assert privacy["release_covered"] is False
    assert [s.split(" (")[0] for s in privacy["uncovered_steps"]] == ["category levels read from the real rows",
                                                                      "clipping to ranges read from the real rows"]
    card = to_markdown(build_model_card(result))
    assert f"epsilon = {privacy['epsilon']:.4g} and delta = 0.0001" in card and "replace-one adjacency" in card
    assert "training rows of class(es) 'bad'" in card
    assert "Public, not paid for from the budget: each class's number of training rows" in card
    assert "Release NOT covered" in card and "clipping to ranges read from the real rows (duration\\_months" in card
    assert "Not reproducible by seed, by design" in card  # the noise's source, in the card
    summary = facts(result, None)["privacy"]
    assert summary.startswith(f"Differentially private: epsilon {privacy['epsilon']:.3g}, delta 0.0001 (replace-one "
                              "adjacency). Treated as public: each class's number of training rows")
    assert "Release NOT covered" in summary and privacy["uncovered_steps"][0] in summary
    plain = synthesize(prepare(dataset, 0.3, 42), "smotenc", Amount("count", 10))
    assert plain.privacy is None
    assert privacy_statement(plain)[0].startswith("No formal privacy guarantee: SMOTE-NC")


def test_declared_ranges_on_the_command_line_give_a_covered_release(tmp_path, small_credit_csv):
    """run --bound for every number column and --levels for every category column of German credit (its 300-row
    sample): nothing after training read the real rows."""
    numbers = {"duration_months": "1:100", "credit_amount": "0:20000", "installment_rate_pct": "1:4",
               "residence_since": "1:4", "age": "18:80", "existing_credits": "1:4", "dependents": "1:2"}
    bounds = [arg for column, span in numbers.items() for arg in ("--bound", f"{column}={span}")]
    table = pd.read_csv(small_credit_csv)
    categories = [c for c in table.columns if c not in numbers and c != "credit_risk"]
    bounds += [arg for c in categories for arg in ("--levels", f"{c}={','.join(map(str, table[c].unique()))}")]
    out = tmp_path / "run"
    assert main(["run", "--data", str(small_credit_csv), "--target", "credit_risk", "--method", "dp_vae",
                 "--count", "30", "--epochs", "1", "--epsilon", "1", "--accountant", "rdp", "--repeats", "1",
                 "--no-validation", *bounds, "--out", str(out)]) == 0
    privacy = json.loads((out / "results.json").read_text())["generation"]["privacy"]
    assert privacy["release_covered"] is True and privacy["uncovered_steps"] == []
    assert privacy["public"][-1] == "each number column's range, declared public by the analyst"
    card = (out / "model_card.md").read_text()
    assert "Release covered: nothing after training read the real rows" in card
    synthetic = pd.read_csv(out / "synthetic.csv")
    assert synthetic["age"].between(18, 80).all() and synthetic["dependents"].between(1, 2).all()
