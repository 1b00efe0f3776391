"""Comparison page: a fast one-split run, the verdict, tables and charts; fairness by an attribute."""
from __future__ import annotations

from tests.apptest_helpers import go, open_app


def test_comparison_one_repeat_with_fairness():
    at = go(open_app(), "generation")
    at.button(key="generate").click().run()
    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(1).run()
    at.selectbox(key="w_sensitive").set_value("personal_status_sex").run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    result = at.session_state["experiment"]
    verdict = (list(at.warning) + list(at.success))[0].value
    assert verdict == result.comparison.verdict and "This is one split" in verdict
    table = at.dataframe[0].value
    assert table["arm"].tolist() == ["baseline", "class weights", "tuned threshold", "augmented",
                                     "synthetic only (TSTR)"]
    augmented = result.comparison.arms["augmented"]["minority_f1"].mean
    assert table.loc[3, "minority_f1"] == f"{augmented:.3f}"
    assert len(at.get("plotly_chart")) == 6  # three confusion matrices, ROC, PR, threshold sweep
    fairness = at.dataframe[-2].value
    assert set(fairness["arm"]) == {"baseline", "augmented"} and fairness["rows"].sum() == 2 * 300


def test_comparison_needs_synthetic_rows():
    at = go(open_app(), "comparison")
    assert not at.exception and at.info[0].value == "Generate synthetic rows first."
