"""Comparison page: a fast one-split run, the verdict, tables and charts; fairness by an attribute."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import go, open_with_upload


@pytest.fixture()
def small_app(small_credit_csv) -> AppTest:
    """The app after a person uploaded the 300-row German credit sample (210 good, 90 bad) with target credit_risk:
    the same columns as the default sample, every path of the page in a fraction of its time."""
    at = open_with_upload(small_credit_csv, "credit_risk")
    assert at.session_state["table"].name == "small_credit.csv" and len(at.session_state["table"].frame) == 300
    return at


def test_comparison_one_repeat_with_fairness(small_app):
    at = go(small_app, "generation")
    at.button(key="generate").click().run()
    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(1).run()
    at.selectbox(key="w_sensitive").set_value("personal_status_sex").run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    result = at.session_state["experiment"]
    verdict = (list(at.warning) + list(at.success) + list(at.error))[0].value
    assert verdict == result.comparison.verdict and "Under 3 repeated splits there is no interval" in verdict
    table = at.dataframe[0].value
    assert table["arm"].tolist() == ["baseline, tuned threshold", "class weights, tuned threshold",
                                     "augmented, tuned threshold", "baseline", "class weights", "augmented",
                                     "real majority + synthetic minority"]
    augmented = result.comparison.arms["augmented_tuned"]["minority_f1"].mean
    assert table.loc[2, "minority_f1"] == f"{augmented:.3f}"
    assert len(at.get("plotly_chart")) == 6  # three confusion matrices, ROC, PR, threshold sweep
    fairness = at.dataframe[-2].value
    assert set(fairness["arm"]) == {"threshold_tuned", "augmented_tuned"}
    assert fairness["rows"].sum() == 2 * 90  # two arms on the test part: 30% of the 300 rows


def test_comparison_without_synthetic_rows_judges_a_strategy_without_them(small_app):
    at = go(small_app, "comparison")
    assert not at.exception
    assert at.selectbox(key="w_strategy").options == ["Tuned threshold only, no synthetic rows",
                                                      "Class weights + tuned threshold, no synthetic rows",
                                                      "As is (no weights, threshold 0.5), no synthetic rows",
                                                      "Class weights, threshold 0.5, no synthetic rows"]
    at.selectbox(key="w_strategy").set_value("class_weighted").run()
    # one split: what this checks is which strategy is judged, not the interval (the page's repeats are
    # tests/test_pages_report.py's `compared`, two repeats)
    at.slider(key="w_repeats").set_value(1).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    result = at.session_state["experiment"]
    assert result.synthetic is None and result.comparison.subject == "class_weighted_tuned"
    assert result.config.repeats == 1 and len(result.runs) == 1
    assert at.info[-1].value == result.comparison.verdict and "No synthetic rows" in at.info[-1].value
    assert at.info[-1].value.startswith("No synthetic rows: class weights, tuned threshold reaches minority F1 ")
    assert at.info[-1].value.endswith("Run 3 or more repeats (5 recommended) before deciding.")


def test_an_unreachable_scheduler_is_a_clear_error_not_a_local_run(small_app, monkeypatch):
    monkeypatch.setenv("SYNTHBALANCE_CLUSTERS", "down=tcp://127.0.0.1:9")  # the server's configuration
    at = small_app
    at.session_state["v_cluster"] = "down"  # what the sidebar's choice keeps
    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(2).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    assert any("Could not reach the Dask scheduler at 'tcp://127.0.0.1:9'" in e.value.replace("\\", "")
               for e in at.error)  # the message is escaped for Markdown


def test_comparison_and_leaderboard_use_the_rows_kept_after_dropping_copies(small_app, monkeypatch):
    import functools

    import core.leaderboard
    # what this checks is which rows the board judges, not the race: two folds instead of five (the page reads
    # build_leaderboard from core.leaderboard on every run, so it gets this one)
    monkeypatch.setattr(core.leaderboard, "build_leaderboard",
                        functools.partial(core.leaderboard.build_leaderboard, folds=2))
    at = go(small_app, "generation")
    at.button(key="generate").click().run()
    at = go(at, "privacy")
    at.button(key="drop_copies").click().run()
    kept = at.session_state["synthetic"].rows
    assert at.session_state["generation_settings"]["copies_dropped"] is True
    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(1).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    result = at.session_state["experiment"]
    assert result.config.drop_copies and len(result.synthetic.rows) == len(kept)
    assert (pd.util.hash_pandas_object(result.synthetic.rows, index=False).tolist()
            == pd.util.hash_pandas_object(kept, index=False).tolist())
    at = go(at, "leaderboard")
    at.multiselect(key="w_board_methods").set_value([result.config.method]).run()
    at.slider(key="w_board_repeats").set_value(1).run()
    at.button(key="run_board").click().run()
    assert not at.exception
    row = at.session_state["leaderboard"].rows.set_index("method").loc[result.config.method]
    assert row["quality_score"] == result.validation.quality_score and row["error"] == ""
