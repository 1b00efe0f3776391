"""The headless commands: output, exit codes, one-line errors, and the generate contract."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from core.cli.main import main
from core.config import RunConfig, config_json, read_config
from core.errors import ConfigError
from tests.conftest import ROOT, sample_path

CONTRACT = ROOT.parent / "shared" / "contract"


def test_analyze_json_on_hypothyroid(capsys):
    assert main(["analyze", "--data", str(sample_path("hypothyroid")), "--target", "diagnosis", "--json"]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert profile["minority_count"] == 151 and profile["imbalance_ratio"] == 19.9
    assert profile["class_counts"] == {"negative": 3012, "hypothyroid": 151}
    assert round(profile["missing_share_by_class"]["hypothyroid"], 3) == 0.048


def test_analyze_text(capsys):
    assert main(["analyze", "--data", str(sample_path("abalone19")), "--target", "rings_19"]) == 0
    out = capsys.readouterr().out
    assert "imbalance ratio: 129.4 : 1" in out and "positive: 32 (0.8%)" in out


@pytest.mark.parametrize("argv,message", [
    (["analyze", "--data", "nowhere.csv", "--target", "y"], "error: No file at 'nowhere.csv'"),
    (["analyze", "--data", str(sample_path("hypothyroid")), "--target", "nope"], "error: The target column 'nope'"),
    (["analyze", "--data", str(sample_path("hypothyroid"))], "error: the following arguments are required"),
    (["generate", "--data", str(sample_path("german_credit")), "--target", "credit_risk", "--method", "adasyn",
      "--out", "/tmp/never"], "error: ADASYN handles numeric columns only"),
    (["generate", "--data", str(sample_path("german_credit")), "--target", "credit_risk", "--method", "smote",
      "--ratio", "3", "--out", "/tmp/never"], "error: The ratio must be above 0 and at most 1.0"),
    (["generate", "--data", str(sample_path("german_credit")), "--target", "credit_risk", "--method", "smote",
      "--rule", "open('x')", "--out", "/tmp/never"], "error: The rule 'open('x')' uses 'Call'"),
])
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_generate_meets_the_contract_in_a_real_process(small_credit_csv, tmp_path):
    out = tmp_path / "g"
    run = subprocess.run([sys.executable, "-m", "core", "generate", "--data", str(small_credit_csv),
                          "--target", "credit_risk", "--method", "smotenc", "--ratio", "1.0", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    synthetic = pd.read_csv(out / "synthetic.csv")
    augmented = pd.read_csv(out / "augmented_train.csv")
    # the 300-row sample (210 good, 90 bad) keeps 70% for training: 147 good, 63 bad; ratio 1.0 adds 84 bad rows
    assert len(synthetic) == 84 and set(synthetic["credit_risk"]) == {"bad"}
    assert augmented["credit_risk"].value_counts().to_dict() == {"good": 147, "bad": 147}
    assert augmented["is_synthetic"].sum() == 84
    if CONTRACT.is_dir():
        check = subprocess.run([sys.executable, str(CONTRACT / "check_generate.py"), str(small_credit_csv),
                                str(out), "credit_risk"], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr


def test_traceback_never_reaches_the_user(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    run = subprocess.run([sys.executable, "-m", "core", "analyze", "--data", str(bad), "--target", "y"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().startswith("error: The file holds binary bytes")


def test_drift_json_schema_and_files(tmp_path, capsys):
    frame = pd.read_csv(sample_path("german_credit"))
    frame.iloc[:500].to_csv(tmp_path / "reference.csv", index=False)
    frame.iloc[500:].assign(age=lambda f: f["age"] + 15).to_csv(tmp_path / "new.csv", index=False)
    argv = ["drift", "--reference", str(tmp_path / "reference.csv"), "--new", str(tmp_path / "new.csv"),
            "--target", "credit_risk", "--json", "--threshold", "psi_rerun=0.3", "--out", str(tmp_path / "d")]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"verdict", "batch", "batch_sha256", "correction", "reasons", "next_step", "reference",
                           "reference_rows", "new_rows", "label_free", "tests", "per_test_alpha", "thresholds",
                           "threshold_reasons", "schema", "features", "minority_features", "prior_shift", "concept"}
    assert report["verdict"] == "re-run" and report["thresholds"]["psi_rerun"] == 0.3
    assert report["batch"] == "new.csv" and report["correction"] == "Holm" and len(report["batch_sha256"]) == 64
    assert report["reference_rows"] == 500 and report["new_rows"] == 500
    age = next(f for f in report["features"] if f["column"] == "age")
    assert age["status"] == "re-run" and age["statistic"] == "KS" and age["psi"] > 1
    assert json.loads((tmp_path / "d" / "drift.json").read_text()) == report
    assert "age: PSI" in (tmp_path / "d" / "drift_charts.html").read_text()


@pytest.mark.parametrize("argv,message", [
    (["drift", "--new", "x.csv", "--out", "/tmp/never"], "error: drift needs --reference FILE and --target COL"),
    (["drift", "--reference", str(sample_path("hypothyroid")), "--target", "diagnosis", "--new", "nowhere.csv",
      "--out", "/tmp/never"], "error: No file at 'nowhere.csv'"),
    (["drift", "--reference", str(sample_path("german_credit")), "--target", "credit_risk",
      "--new", str(sample_path("abalone19")), "--out", "/tmp/never"], "error: The new batch shares no feature"),
    (["drift", "--reference", str(sample_path("hypothyroid")), "--target", "diagnosis", "--new",
      str(sample_path("hypothyroid")), "--threshold", "alpha=2", "--out", "/tmp/never"],
     "error: The drift threshold 'alpha' must be between 0 and 1"),
    (["drift", "--config", "nowhere.json", "--new", "x.csv", "--out", "/tmp/never"], "error: No config file"),
])
def test_drift_bad_input_exits_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_rerun_a_config_on_refreshed_data(small_credit_csv, tmp_path, capsys):
    """The drift check's re-run step: the config's settings and seed on other data, recorded in the new config."""
    config = RunConfig(target="credit_risk", method="smote", data="german_credit.csv", data_sha256="0" * 64,
                       seed=9, repeats=1, validation=False, card_notes={"owner": "Risk team"})
    (tmp_path / "config.json").write_text(config_json(config))
    refreshed = tmp_path / "data" / "german_credit.csv"  # the 300-row sample under the config's file name
    refreshed.parent.mkdir()
    refreshed.write_bytes(small_credit_csv.read_bytes())
    base = ["run", "--config", str(tmp_path / "config.json"), "--data", str(refreshed)]
    assert main([*base, "--out", str(tmp_path / "refused")]) == 2
    assert "SHA-256 differs" in capsys.readouterr().err
    assert main([*base, "--refreshed", "--out", str(tmp_path / "again")]) == 0
    written = read_config((tmp_path / "again" / "config.json").read_text())
    assert written.seed == 9 and written.method == "smote" and written.card_notes == {"owner": "Risk team"}
    assert written.data == "german_credit.csv" and written.data_sha256 != "0" * 64
    saved = json.loads((tmp_path / "again" / "results.json").read_text())
    assert saved["split"]["seed"] == 9
    # the decision record, and the Summary built headless beside the model card
    record = saved["decision"]
    assert record["inputs"]["seed"] == 9 and record["inputs"]["classifier"] == "logreg"
    assert record["kept"]["strategy"] == "smote" and record["kept"]["chosen_by"] == "the analyst"
    assert record["race"] is None  # no race ran on these inputs, and the record says so
    assert record["judged"]["reference"] == saved["evaluation"]["headline_gain"]["reference"]
    assert record["verdict_words"] == "could not tell apart"  # one split: never earned
    summary = (tmp_path / "again" / "summary.html").read_text()
    assert (tmp_path / "again" / "model_card.html").exists() and summary.startswith("<!DOCTYPE html>")
    assert f"{saved['evaluation']['headline_gain']['gain']:+.3f}" in summary and "could not tell apart" in summary


def test_card_notes_must_be_text():
    with pytest.raises(ConfigError, match="'card_notes' must map"):
        read_config(json.dumps({"target": "y", "method": "smote", "card_notes": {"owner": 3}}))
