"""Model card sections and figures, HTML escaping, config round trip and replay, the leaderboard."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from core.config import RunConfig, config_json, read_config
from core.data import read_table, validate_dataset
from core.errors import ConfigError
from core.leaderboard import build_leaderboard
from core.pipeline import run_experiment
from core.report import SECTIONS, build_model_card, bundle, to_html, to_markdown
from core.results import results_dict
from tests.conftest import ROOT, sample_path


@pytest.fixture(scope="module")
def german_run(datasets):
    return run_experiment(datasets["german_credit"], RunConfig(target="credit_risk", method="smotenc", repeats=2))


def test_model_card_has_every_section_and_the_run_figures(german_run):
    card = build_model_card(german_run)
    markdown, page = to_markdown(card), to_html(card, german_run)
    results = results_dict(german_run)
    for title in SECTIONS:
        assert f"## {title}" in markdown and f"<h2>{title}</h2>" in page
    f1 = results["evaluation"]["arms"]["augmented"]["minority_f1"]
    assert f"{f1['mean']:.3f} [{f1['ci_low']:.3f}, {f1['ci_high']:.3f}]" in markdown
    assert f"{results['validation']['exact_copies']}" in markdown
    assert f"{results['dataset']['imbalance_ratio']} : 1" in markdown
    assert "| R3 reproducibility | seed 42" in markdown
    assert results["evaluation"]["verdict"].split(".")[0] in markdown
    assert page.count("Plotly.newPlot") >= 6 and page.count("plotly.js") >= 1


def test_html_escapes_user_strings():
    rng = np.random.default_rng(0)
    evil = "<script>alert(1)</script>"
    frame = pd.DataFrame({evil: rng.normal(size=300).round(3), "x": rng.normal(size=300).round(3),
                          "label": np.where(np.arange(300) < 40, "</script><b>rare</b>", "common")})
    dataset = validate_dataset(read_table(frame.to_csv(index=False).encode(), "<img src=x onerror=1>.csv"), "label")
    result = run_experiment(dataset, RunConfig(target="label", method="smote", repeats=1))
    page = to_html(build_model_card(result), result)
    assert evil not in page and "<img src=x" not in page and "<b>rare</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("</script>") == page.count("<script")  # no user string closes a script block


def test_config_round_trip_and_errors():
    config = RunConfig(target="y", method="smote", rules=("age >= 18",), repeats=3)
    assert read_config(config_json(config)) == config
    assert json.loads(config_json(config))["versions"]["scikit-learn"] == "1.9.1"
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_config("{nope")
    with pytest.raises(ConfigError, match="unknown keys: colour"):
        read_config(json.dumps({"target": "y", "method": "smote", "colour": "red"}))
    with pytest.raises(ConfigError, match="Repeats must be between 1 and 30"):
        read_config(json.dumps({"target": "y", "method": "smote", "repeats": 0}))


def test_replaying_a_config_gives_identical_outputs(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    base = [sys.executable, "-m", "core", "run"]
    run = subprocess.run(base + ["--data", str(sample_path("abalone19")), "--target", "rings_19", "--method",
                                 "gaussian_copula", "--repeats", "2", "--out", str(first)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    replay = subprocess.run(base + ["--config", str(first / "config.json"), "--data", str(sample_path("abalone19")),
                                    "--out", str(second)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert replay.returncode == 0, replay.stderr
    assert (first / "synthetic.csv").read_bytes() == (second / "synthetic.csv").read_bytes()
    a, b = (json.loads((d / "results.json").read_text()) for d in (first, second))
    for block in (a, b):
        block.pop("seconds")
        block["generation"].pop("seconds")
    assert a == b
    assert (second / "model_card.md").exists() and (second / "model_card.html").stat().st_size > 100_000
    wrong = subprocess.run(base + ["--config", str(first / "config.json"), "--data", str(sample_path("german_credit")),
                                   "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "SHA-256 differs" in wrong.stderr


def test_bundle_holds_every_file(german_run):
    archive = zipfile.ZipFile(io.BytesIO(bundle(german_run)))
    assert sorted(archive.namelist()) == ["augmented_train.csv", "config.json", "model_card.html", "model_card.md",
                                          "results.json", "synthetic.csv"]
    assert json.loads(archive.read("results.json"))["generation"]["n_synthetic"] == 280


def test_leaderboard_keeps_going_past_a_failing_generator(datasets):
    config = RunConfig(target="credit_risk", method="smote", repeats=1)
    board = build_leaderboard(datasets["german_credit"], config, ["random_oversampler", "adasyn", "gaussian_copula"])
    rows = board.rows.set_index("method")
    assert "ADASYN handles numeric columns only" in rows.loc["adasyn", "error"]
    assert rows.loc["random_oversampler", "error"] == "" and rows.loc["gaussian_copula", "error"] == ""
    assert rows.loc["random_oversampler", "exact_copies"] == 280
    assert rows.loc["random_oversampler", "decision"] == "rejected"
    assert board.best == "gaussian_copula"  # the only method that ran and was not rejected


def test_compare_command_writes_the_leaderboard(tmp_path):
    run = subprocess.run([sys.executable, "-m", "core", "compare", "--data", str(sample_path("abalone19")), "--target",
                          "rings_19", "--methods", "smote,adasyn,random_oversampler", "--repeats", "1", "--out",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "leaderboard.csv")
    assert table["method"].tolist() == ["smote", "adasyn", "random_oversampler"]
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    assert len(data["rows"]) == 3 and data["best"] in ("smote", "adasyn", "random_oversampler", None)
