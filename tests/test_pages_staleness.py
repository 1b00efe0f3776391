"""Every input that changes a figure clears the results that depend on it, or marks them 'computed for ...
before you changed ...' (pages/_state.py, from the decision record's inputs): one AppTest per rule."""
from __future__ import annotations

import pytest

from core.config import RunConfig
from core.pipeline import run_experiment
from tests.apptest_helpers import go, open_with_upload


@pytest.fixture(scope="module")
def tuned_run(small_credit):
    """A one-split run of 'tuned threshold only' with logistic regression on the 300-row sample: the comparison
    a page holds (computed once, in core, exactly as the Comparison page runs it)."""
    return run_experiment(small_credit, RunConfig(target="credit_risk", method="threshold_tuned", repeats=1,
                                                  validation=False))


@pytest.fixture()
def compared(small_credit_csv, tuned_run):
    at = open_with_upload(small_credit_csv, "credit_risk")
    at.session_state["comparison_strategy"] = "threshold_tuned"
    at.session_state["v_classifier"] = "logreg"
    at.session_state["experiment"] = tuned_run
    at = go(at, "comparison")
    assert not [w for w in at.warning if "before you changed" in w.value]  # current: nothing marked
    assert at.session_state["experiment"] is tuned_run
    return at


def stale_warnings(at) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning if "before you changed" in w.value]


def test_a_new_classifier_marks_the_comparison(compared):
    at = compared
    at.selectbox(key="w_classifier").set_value("hgb").run()
    assert not at.exception
    assert at.session_state["experiment"] is not None  # kept on screen, marked
    [warning] = stale_warnings(at)
    assert "computed for the classifier logistic regression" in warning and "before you changed the classifier" \
        in warning


def test_a_new_strategy_marks_the_comparison(compared):
    at = compared
    at.selectbox(key="w_strategy").set_value("class_weighted").run()
    assert not at.exception
    [warning] = stale_warnings(at)
    assert "the strategy 'Tuned threshold only'" in warning and "before you changed the strategy" in warning


def _seed_script():
    import streamlit as st

    from pages import _state
    _state.keep("seed", int(st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1,
                                            **_state.setting("seed", _state.DEFAULT_SEED))))


def test_a_new_seed_clears_the_comparison(tuned_run):
    # the sidebar's seed widget (AppTest does not list sidebar widgets after a page switch, so the sidebar's two
    # lines run here on their own, with the stored results of a session)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_seed_script)
    at.session_state["experiment"] = tuned_run
    at.session_state["leaderboard"] = "a leaderboard"
    at.run()
    assert at.session_state["experiment"] is tuned_run  # the same seed: kept
    at.number_input(key="w_seed").set_value(7).run()
    assert not at.exception
    assert "experiment" not in at.session_state and "leaderboard" not in at.session_state


def test_a_new_test_share_clears_the_comparison(compared):
    at = go(compared, "analysis")
    at.slider(key="w_test_size").set_value(0.25).run()
    assert not at.exception
    assert "experiment" not in at.session_state


def test_a_new_cleaning_plan_clears_the_comparison(compared):
    at = go(compared, "analysis")
    at.selectbox(key="w_duplicates").set_value("drop_exact").run()
    assert not at.exception
    assert "experiment" not in at.session_state


def test_a_new_target_clears_the_comparison(compared):
    at = go(compared, "data")
    at.selectbox(key=f"w_target_{at.session_state['table'].sha256[:12]}").set_value("housing").run()
    assert not at.exception
    assert "experiment" not in at.session_state


def test_new_column_types_mark_the_comparison(compared):
    at = compared
    at.session_state["type_overrides"] = {"existing_credits": "categorical"}  # as the Data page's editor keeps it
    at = go(at, "comparison")
    if "experiment" in at.session_state:  # cleared, or kept and marked: never shown as current
        [warning] = stale_warnings(at)
        assert "before you changed the column types" in warning


def test_a_new_table_clears_the_comparison(compared):
    at = go(compared, "data")
    at.radio(key="w_source").set_value("Bundled sample").run()  # the German credit sample replaces the upload
    assert not at.exception
    assert "experiment" not in at.session_state


def test_new_synthetic_rows_clear_the_comparison_after_asking(compared):
    at = go(compared, "generation")
    # the advice (a strategy without synthetic rows) comes first, and no generator sits preselected
    assert "The measured advice is not to generate" in at.info[0].value
    assert at.selectbox(key="w_gen_method").value is None
    at.selectbox(key="w_gen_method").set_value("random_oversampler").run()
    assert at.button(key="generate").disabled  # generating would change what the Comparison judges: asked first
    at.checkbox(key="w_confirm_generate").check().run()
    at.button(key="generate").click().run()
    assert not at.exception
    assert "experiment" not in at.session_state
    assert at.session_state["comparison_strategy"] == "random_oversampler"
