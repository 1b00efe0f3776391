"""The privacy-utility dial (core/sweep.py), the conservative gain it reads, and the privacy commands of the
CLI (`methods`, `sweep`, `--epsilon/--delta`), with results.json's and the model card's privacy parts."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main
from core.config import RunConfig
from core.data import read_table, validate_dataset
from core.errors import ConfigError
from core.evaluation import Comparison, Difference, Targets, conservative_gain
from core.generators.amount import Amount
from core.pipeline import run_experiment, synthesize
from core.report import build_model_card, privacy_statement, to_markdown
from core.results import results_dict
from core.sweep import SweepPoint, answer_text, parse_epsilons, run_sweep, smallest_meeting
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


def point(epsilon, f1_gain, pr_gain=0.0, error=None):
    return SweepPoint(epsilon=epsilon, delta=1e-4, epsilon_spent=epsilon, quality_score=0.7, detection_auc=0.8,
                      minority_f1_gain=Difference(f1_gain, f1_gain - 0.02, f1_gain + 0.02, 0.1),
                      pr_auc_gain=Difference(pr_gain, pr_gain - 0.01, pr_gain + 0.01, 0.2),
                      dcr_share_vs_holdout=0.5, nndr_median=0.9, seconds=1.0, error=error)


def test_conservative_gain_is_the_smallest_over_the_reference_arms():
    def diff(mean):
        return {"minority_f1": Difference(mean, mean - 0.1, mean + 0.1, None)}
    comparison = Comparison(classifier="logreg", repeats=3, arms={}, verdict="", targets=Targets(),
                            differences={"augmented_vs_baseline": diff(0.08),
                                         "augmented_vs_class_weighted": diff(-0.01),
                                         "augmented_vs_threshold_tuned": diff(0.02)})
    assert conservative_gain(comparison, "minority_f1").mean == -0.01


def test_smallest_epsilon_that_meets_the_target_on_a_constructed_case():
    points = (point(0.5, -0.03), point(1.0, 0.01), point(2.0, 0.04), point(4.0, 0.05), point(8.0, 0.06, error="x"),
              point(None, 0.07))
    assert smallest_meeting(points, "minority_f1", 0.03).epsilon == 2.0
    assert answer_text(points, "minority_f1", 0.03) == (
        "The smallest epsilon that meets your target (a minority F1 gain of at least +0.030 over the best arm "
        "without synthetic rows) is 2: gain +0.040 (corrected 95% CI +0.020 to +0.060).")
    assert smallest_meeting(points, "minority_f1", 0.055) is None  # 8 failed, the non-private point never counts
    assert answer_text(points, "minority_f1", 0.055) == (
        "No epsilon tried meets your target (a minority F1 gain of at least +0.055 over the best arm without "
        "synthetic rows). The best was epsilon 4 with +0.050. Without privacy the same generator gives +0.070.")
    assert smallest_meeting(points, "pr_auc", 0.0).epsilon == 0.5


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
                 "--epsilons", "1", "--epochs", "2", "--repeats", "1", "--target-gain", "-1", "--ratio", "0.5",
                 "--accountant", "rdp", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "The smallest epsilon that meets your target (a minority F1 gain of at least -1.000" in printed
    saved = json.loads((out / "sweep.json").read_text())
    assert set(saved) == {"method", "classifier", "repeats", "seed", "utility_metric", "utility_target",
                          "smallest_epsilon", "answer", "points"}
    assert saved["smallest_epsilon"] == 1.0 and saved["utility_target"] == -1.0 and saved["answer"] in printed
    points = saved["points"]
    assert [p["epsilon"] for p in points] == [1.0, None]  # the point without privacy last
    assert points[1]["epsilon_spent"] is None and points[1]["delta"] is None
    assert all(p["error"] is None for p in points)
    assert 0.9 < points[0]["epsilon_spent"] <= 1.0 + 1e-6
    assert set(points[0]["minority_f1_gain"]) == {"mean", "ci_low", "ci_high", "p_value", "test"}
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 2 and list(table["private"]) == [True, False]
    assert list(table["meets_target"]) == [True, False]
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
])
def test_privacy_options_fail_in_one_line(argv, message, capsys, tmp_path):
    command, rest = argv[0], argv[1:]
    assert main([command, "--data", str(sample_path("german_credit")), "--target", "credit_risk", *rest,
                 "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_results_json_and_card_state_the_guarantee(prepared):
    dataset = prepared["german_credit"].dataset
    params = {"epochs": 1, "epsilon": 2.0, "delta": 1e-4, "accountant": "rdp"}
    config = RunConfig(target="credit_risk", method="dp_vae", params=params, repeats=1, validation=False,
                       amount=Amount("count", 50))
    result = run_experiment(dataset, config)
    privacy = results_dict(result)["generation"]["privacy"]
    assert privacy["epsilon"] == result.synthetic.privacy.epsilon and 1.9 < privacy["epsilon"] <= 2.0
    assert privacy["delta"] == 1e-4 and privacy["accountant"] == "rdp (opacus)"
    assert privacy["library"] == "opacus 1.6.0" and privacy["mechanism"].startswith("DP-SGD")
    card = to_markdown(build_model_card(result))
    assert f"epsilon = {privacy['epsilon']:.4g} and delta = 0.0001" in card
    assert "training rows of class(es) 'bad'" in card and "treated as public" in card
    plain = synthesize(prepared["german_credit"], "smotenc", Amount("count", 10))
    assert plain.privacy is None
    assert privacy_statement(plain)[0].startswith("No formal privacy guarantee: SMOTE-NC")
