"""--type COL=KIND on analyze, generate, run and compare: applied, stored in the config, refused when malformed."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.cli.main import main


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 240
    label = np.where(rng.random(n) < 0.2, "yes", "no")
    frame = pd.DataFrame({"rooms": rng.integers(1, 5, n), "area": rng.normal(80, 20, n).round(1),
                          "zone": rng.choice(["north", "south"], n), "label": label})
    path = tmp_path_factory.mktemp("types") / "homes.csv"
    frame.to_csv(path, index=False)
    return path


def test_analyze_takes_type_overrides(table, capsys):
    assert main(["analyze", "--data", str(table), "--target", "label", "--type", "rooms=categorical", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 240


def test_generate_treats_an_overridden_column_as_levels(table, tmp_path):
    observed = set(pd.read_csv(table)["area"])
    out = tmp_path / "g"
    assert main(["generate", "--data", str(table), "--target", "label", "--method", "smotenc", "--seed", "1",
                 "--type", "area=categorical", "--out", str(out)]) == 0
    assert set(pd.read_csv(out / "synthetic.csv")["area"]) <= observed  # levels copied, never interpolated
    assert main(["generate", "--data", str(table), "--target", "label", "--method", "smotenc", "--seed", "1",
                 "--out", str(tmp_path / "h")]) == 0
    assert not set(pd.read_csv(tmp_path / "h" / "synthetic.csv")["area"]) <= observed  # numbers: interpolated


def test_run_stores_the_types_in_its_config(table, tmp_path):
    out = tmp_path / "r"
    assert main(["run", "--data", str(table), "--target", "label", "--method", "random_oversampler", "--repeats", "1",
                 "--no-validation", "--n-jobs", "1", "--type", "rooms=categorical", "--type", "area=numeric", "--out",
                 str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["column_types"] == {"rooms": "categorical", "area": "numeric"}


def test_compare_takes_type_overrides(table, tmp_path, capsys):
    assert main(["compare", "--data", str(table), "--target", "label", "--methods", "random_oversampler",
                 "--repeats", "1", "--n-jobs", "1", "--type", "rooms=categorical", "--out", str(tmp_path / "c")]) == 0
    assert "best on the training folds:" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["analyze", "generate", "run", "compare"])
@pytest.mark.parametrize("option,message", [("rooms=colour", "error: --type rooms: unknown kind 'colour'"),
                                            ("rooms", "error: --type needs COL=KIND, got 'rooms'")])
def test_bad_type_option_exits_2_on_every_command(table, tmp_path, command, option, message, capsys):
    extra = {"analyze": [], "generate": ["--method", "smote", "--out", str(tmp_path)],
             "run": ["--method", "smote", "--out", str(tmp_path)],
             "compare": ["--methods", "smote", "--out", str(tmp_path)]}[command]
    argv = [command, "--data", str(table), "--target", "label", "--type", option] + extra
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
