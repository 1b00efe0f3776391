"""Method page: the instant ranking, then the measured race with a small budget, and 'use this'."""
from __future__ import annotations

from core.text import escape_markdown
from tests.apptest_helpers import go, open_app, open_with_upload
from tests.conftest import race_only


def test_the_race_on_the_method_page_recommends_and_hands_over_to_the_comparison(small_credit_csv, monkeypatch):
    # the 300-row German credit sample (same columns): the page's every step in a fraction of the time; three of
    # the seven candidates (two without synthetic rows, one generator): the page's path, not which one wins
    race_only(monkeypatch, "as_is", "class_weighted_default", "random_oversampler")
    at = go(open_with_upload(small_credit_csv, "credit_risk"), "method")
    assert at.dataframe[0].value["method"].iloc[0] == "SMOTE-NC"  # the instant ranking is there first
    at.slider(key="w_race_folds").set_value(2).run()  # the smallest: the default is 5
    at.number_input(key="w_race_budget").set_value(10).run()  # CTGAN and TVAE cannot fit 10 s
    at.number_input(key="w_race_margin").set_value(0.02).run()  # the analyst's margin reaches the race
    at.button(key="run_race").click().run()
    assert not at.exception
    races = at.session_state["races"]
    result = next(iter(races.values()))
    # the fixed cost model of logistic regression on 210 rows fits all three repeats in 10 s
    assert result.folds == 2 and result.repeats == 3 and result.margin == 0.02
    assert {n for n, _ in result.skipped} == {"ctgan", "tvae"}
    assert {"as_is", "class_weighted_default"} <= {c.name for c in result.candidates}
    shown = at.dataframe[2].value  # ranking, matrix, then the race
    assert shown["strategy"].tolist() == [c.label for c in result.candidates]
    # shown escaped: it quotes class labels and candidates' errors (tests/test_hostile_pages.py)
    assert any(escape_markdown(result.explanation) in box.value for box in [*at.success, *at.info])
    assert at.get("plotly_chart")  # the race chart
    assert at.success[0].value.startswith("Measured on your training rows: **")  # the top now says what was measured
    at.button(key="use_race").click().run()
    assert not at.exception
    assert at.session_state["comparison_strategy"] == result.recommended


def test_use_this_carries_the_race_classifier_and_the_race_into_the_record(small_credit_csv, monkeypatch):
    """The race ran with gradient boosting: 'use this' opens the Comparison with gradient boosting (never
    logistic regression silently), ticks 'Method chosen', and the run's decision record holds the race."""
    from dataclasses import replace

    from core.decision import decision_record

    race_only(monkeypatch, "as_is", "class_weighted")  # a race of two is still a race with its classifier
    at = go(open_with_upload(small_credit_csv, "credit_risk"), "method")
    at.selectbox(key="w_race_classifier").set_value("hgb").run()
    at.slider(key="w_race_folds").set_value(2).run()
    at.number_input(key="w_race_budget").set_value(10).run()
    at.button(key="run_race").click().run()
    assert not at.exception
    key, measured = next(iter(at.session_state["races"].items()))
    assert measured.classifier == "hgb"
    # a race that recommends a strategy without synthetic rows, so the Comparison can judge it at once
    at.session_state["races"] = {key: replace(measured, recommended="class_weighted", kind="no_generation")}
    at.run()
    at.button(key="use_race").click().run()
    assert not at.exception
    assert at.session_state["v_classifier"] == "hgb" and at.session_state["comparison_strategy"] == "class_weighted"
    at = go(at, "comparison")
    # what the sidebar's 'Method chosen' reads (_state.method_chosen; AppTest does not list the sidebar here)
    assert at.session_state["kept_race"]["race"].classifier == "hgb" and "chosen_method" not in at.session_state
    assert at.selectbox(key="w_classifier").value == "hgb"
    assert at.selectbox(key="w_strategy").value == "class_weighted"
    at.slider(key="w_repeats").set_value(1).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    result = at.session_state["experiment"]
    record = decision_record(result)
    assert result.config.classifier == record.race.classifier == record.inputs.classifier == "hgb"
    assert record.kept.chosen_by == "the race" and record.race.pick == "class_weighted"


def test_a_malformed_configured_cluster_on_the_method_page_is_an_error_message(monkeypatch):
    monkeypatch.setenv("SYNTHBALANCE_CLUSTERS", "broken=not-an-address")  # the server's configuration
    at = open_app()
    assert at.selectbox(key="w_cluster").value is None  # the sidebar's choice, this machine by default
    at.session_state["v_cluster"] = "broken"  # AppTest does not redraw the sidebar on reruns
    at = go(at, "method")
    at.slider(key="w_race_folds").set_value(2).run()
    at.button(key="run_race").click().run()
    assert not at.exception
    assert any("is not of the form tcp://HOST:PORT" in e.value.replace("\\", "") for e in at.error)
