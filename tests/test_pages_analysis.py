"""Imbalance analysis page: profile figures, split distribution, cleaning impact and its errors."""
from __future__ import annotations

from tests.apptest_helpers import errors, go, metrics, open_app, use_sample


def test_hypothyroid_profile_on_the_page():
    at = go(use_sample(open_app(), "hypothyroid.csv"), "analysis")
    m = metrics(at)
    assert m["Minority class"] == "hypothyroid" and m["Minority rows"] == "151"
    assert m["Imbalance ratio"] == "19.9 : 1" and m["Missing cells"] == "6.7%"
    assert len(at.get("plotly_chart")) == 4  # classes, typology, missing per class, split
    table = at.dataframe[0].value
    assert table.loc["hypothyroid"].tolist() == [151, 106, 45, 106]


def test_cleaning_impact_and_the_minority_warning():
    at = go(use_sample(open_app(), "hypothyroid.csv"), "analysis")
    at.selectbox(key="w_missing").set_value("median_mode").run()
    at.selectbox(key="w_outliers").set_value("isolation_forest").run()
    assert not at.exception and not errors(at)
    impact = at.dataframe[1].value
    assert impact["step"].tolist() == ["impute missing values", "flag outliers"]
    assert impact["completeness after"].iloc[0] == 1.0


def test_cleaning_that_empties_a_class_is_an_error_not_a_crash():
    at = go(use_sample(open_app(), "hypothyroid.csv"), "analysis")
    at.selectbox(key="w_missing").set_value("drop_rows").run()
    assert not at.exception
    assert any("Use imputation instead" in e for e in errors(at))
    at.selectbox(key="w_missing").set_value("none").run()  # the session recovers
    assert not errors(at) and len(at.dataframe) >= 1
