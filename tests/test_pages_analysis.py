"""Imbalance analysis page: profile figures, split distribution, cleaning impact and its errors."""
from __future__ import annotations

import json

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


def test_log_scale_of_the_split_chart_is_said_and_starts_at_one_row():
    at = go(use_sample(open_app(), "abalone19.csv"), "analysis")  # ratio 129.4
    split = next(c for c in at.get("plotly_chart") if "Class distribution" in c.proto.spec)
    spec = json.loads(split.proto.spec)
    assert spec["layout"]["title"]["text"].endswith("(log scale)")
    assert spec["layout"]["yaxis"]["title"]["text"] == "rows (log scale)" and spec["layout"]["yaxis"]["type"] == "log"
    assert spec["layout"]["yaxis"]["range"][0] == 0 and spec["layout"]["yaxis"]["dtick"] == 1
    assert all(trace.get("text") is not None for trace in spec["data"])  # the counts are printed on the bars
    assert any("Log scale because the imbalance ratio is above 20" in c.value for c in at.caption)
    german = go(open_app(), "analysis")  # ratio 2.3: a plain axis, no note
    split = next(c for c in german.get("plotly_chart") if "Class distribution" in c.proto.spec)
    assert json.loads(split.proto.spec)["layout"]["yaxis"].get("type") != "log"
    assert not any("Log scale" in c.value for c in german.caption)
