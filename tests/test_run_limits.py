"""Limits on what a config may ask for, the same at every entry point that runs one (issue 34): a config nested
100,000 levels deep is one line (CLI exit 2, Report page st.error), and the run cost check (core.estimates
.check_run_cost: fits x epochs x rows, synthetic rows included) refuses, with its estimate in words, in the CLI's
run, the Report page's replay and Monitor's refreshed re-run."""
from __future__ import annotations

import io
import time
from dataclasses import replace

import pandas as pd
import pytest

from core.cli.main import main
from core.config import MAX_CONFIG_DEPTH, RunConfig, config_json, json_depth, read_config
from core.errors import ConfigError
from core.estimates import MAX_RUN_HOURS, ROW_FIT_SECONDS, TASK_SECONDS, check_run_cost, run_cost_seconds
from core.generators.amount import Amount
from tests.apptest_helpers import errors, go, open_app
from tests.conftest import sample_path

DEEP = "[" * 100_000 + "]" * 100_000
# The issue's config: 30 repeats, CTGAN at 2,000 epochs and 1,000,000 synthetic rows (about a day of CTGAN)
HUGE = {"method": "ctgan", "repeats": 30, "params": {"epochs": 2000}, "amount": Amount("count", 1_000_000)}
REFUSAL = ("This run would take about 12 hours on this machine (30 repeat(s) of ctgan on 1,000 rows); the limit is 4 "
           "hours.")


def test_nesting_depth_is_counted_outside_strings_without_recursion():
    assert json_depth('{"a": [1, {"b": "[[[{{{"}], "c": "\\"]"}') == 3
    assert json_depth("7") == 0 and json_depth(DEEP) == 100_000
    assert json_depth(config_json(RunConfig(target="t", method="smote"))) <= 4 < MAX_CONFIG_DEPTH


def test_a_deep_config_is_one_line_in_core_and_the_cli(tmp_path, capsys):
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="^The config nests 100,000 levels deep, over the 32 a config can have"):
        read_config(DEEP)
    assert time.perf_counter() - started < 2
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The config nests 100,000 levels deep") and err.count("\n") == 1


def test_a_deep_config_is_one_error_on_the_report_page():
    at = go(open_app(), "report")
    at.file_uploader(key="config_upload").set_value(("deep.json", DEEP.encode(), "application/json"))
    at.run()
    assert not at.exception
    assert any(e.startswith("The config nests 100,000 levels deep") for e in errors(at))


def test_the_cost_of_a_run_by_hand():
    """No generation, 2 repeats, 1,000 + 100 rows at test size 0.3: 770 training rows; per repeat 4 arms x 770
    row-fits x 1.1e-4 s + 7 tasks x 0.17 s = 0.3388 + 1.19 = 1.5288 s; two repeats on one core: 3.0576 s."""
    config = RunConfig(target="t", method="class_weighted", repeats=2, test_size=0.3)
    assert (ROW_FIT_SECONDS, TASK_SECONDS) == (1.1e-4, 0.17)
    assert run_cost_seconds(config, {"a": 1000, "b": 100}, 20) == pytest.approx(3.0576)
    assert run_cost_seconds(config, {"a": 1000, "b": 100}, 20, n_jobs=2) == pytest.approx(3.0576 / 2)
    # synthetic rows count: SMOTE's 1,000,000 rows per repeat cost far more than its 770 real ones
    smote = replace(config, method="smote", amount=Amount("count", 1_000_000))
    assert run_cost_seconds(smote, {"a": 1000, "b": 100}, 20) > 500 * run_cost_seconds(config, {"a": 1000, "b": 100},
                                                                                          20)


def _never_started(*args, **kwargs):
    raise AssertionError("the run started: the cost check did not refuse it")  # fails at once instead of 26 hours


def _credit():
    from core.data import validate_dataset
    from core.reading import read_path
    return validate_dataset(read_path(sample_path("german_credit")), "credit_risk")


def test_the_issues_config_is_refused_with_its_estimate_and_a_default_run_passes():
    dataset = _credit()
    with pytest.raises(ConfigError) as refused:
        check_run_cost(RunConfig(target="credit_risk", **HUGE), dataset)
    assert str(refused.value).startswith(REFUSAL)
    assert check_run_cost(RunConfig(target="credit_risk", method="smotenc"), dataset) < 60
    assert MAX_RUN_HOURS == 4.0


def test_the_cli_refuses_the_run_before_it_starts_and_the_limit_can_be_lifted(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("core.cli.experiment.run_experiment", _never_started)
    argv = ["run", "--data", str(sample_path("german_credit")), "--target", "credit_risk", "--method", "ctgan",
            "--epochs", "2000", "--count", "1000000", "--repeats", "30", "--n-jobs", "1",
            "--out", str(tmp_path / "out")]
    started = time.perf_counter()
    assert main(argv) == 2
    assert time.perf_counter() - started < 30  # refused before any fit
    err = capsys.readouterr().err
    assert err.startswith("error: " + REFUSAL) and "lift the limit with --max-hours" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_the_report_page_refuses_a_replay_over_the_limit(monkeypatch):
    monkeypatch.setattr("core.pipeline.run_experiment", _never_started)
    at = go(open_app(), "report")
    table = at.session_state["table"]
    config = RunConfig(target="credit_risk", data=table.name, data_sha256=table.sha256, **HUGE)
    at.file_uploader(key="config_upload").set_value(("config.json", config_json(config).encode(),
                                                     "application/json"))
    at.run()
    assert not at.exception
    assert any(e.startswith(REFUSAL) for e in errors(at))
    assert at.session_state["experiment"] is None if "experiment" in at.session_state else True


def test_monitor_refuses_a_refreshed_rerun_over_the_limit(small_credit, monkeypatch):
    """Reference + batch joined (300 + 700 rows): the same estimate as a 1,000-row table; refused before the
    re-run starts."""
    from core.pipeline import run_experiment

    run = run_experiment(small_credit, RunConfig(target="credit_risk", method="threshold_tuned",
                                                 data="small_credit.csv", data_sha256=small_credit.sha256, seed=3,
                                                 repeats=1, validation=False))
    at = go(open_app(), "monitor")
    at.session_state["experiment"] = run
    at.run()
    batch = pd.read_csv(sample_path("german_credit")).sample(700, random_state=7)
    buffer = io.StringIO()
    batch.to_csv(buffer, index=False)
    at.file_uploader(key="drift_upload").set_value(("march.csv", buffer.getvalue().encode(), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()  # the drift check scores the run's own model: the small run's
    at.session_state["experiment"] = replace(run, config=replace(run.config, **HUGE))  # then the huge config
    monkeypatch.setattr("core.pipeline.run_experiment", _never_started)
    at.button(key="rerun_refreshed").click().run()
    assert not at.exception and "drift_rerun" not in at.session_state
    assert any(e.startswith("This run would take about") and "(30 repeat(s) of ctgan on 1,000 rows); the limit is 4 "
               "hours." in e for e in errors(at))
