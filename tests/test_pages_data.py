"""Data page: default sample, switching samples and target, type overrides, a bad upload."""
from __future__ import annotations

from tests.apptest_helpers import errors, metrics, open_app, use_sample


def test_default_sample_is_shown_without_upload():
    at = open_app()
    assert at.title[0].value == "Data"
    assert metrics(at) == {"Rows": "1,000", "Columns": "21", "Features used": "20", "Classes": "2"}
    assert at.session_state["target"] == "credit_risk"


def test_switch_sample_and_target():
    at = use_sample(open_app(), "hypothyroid.csv")
    assert metrics(at)["Rows"] == "3,163" and at.session_state["target"] == "diagnosis"
    target_box = next(s for s in at.selectbox if s.label.startswith("Target column"))
    target_box.set_value("sex").run()
    assert not at.exception
    assert at.session_state["target"] == "sex" and metrics(at)["Classes"] == "2"


def test_type_override_excludes_a_column():
    at = use_sample(open_app(), "abalone19.csv")
    editor = at.session_state  # the override goes through the state module, as the editor does
    editor["type_overrides"] = {"sex": "identifier"}
    at.run()
    assert not at.exception
    assert metrics(at)["Features used"] == "7"
    assert any("Left out of generation: sex" in c.value for c in at.caption)


def test_bad_upload_shows_an_error_and_keeps_the_previous_table():
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("broken.csv", b"only_one_column\n1\n2\n", "text/csv")).run()
    assert not at.exception
    assert any("broken.csv: Only one column was found" in e for e in errors(at))
    assert metrics(at)["Rows"] == "1,000"  # German credit is still loaded
    assert at.session_state["table"].name == "german_credit.csv"


def test_good_upload_replaces_the_table():
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    rows = "".join(f"{(i * 37) % 211},{i % 7},{'rare' if i % 10 == 0 else 'common'}\n" for i in range(200))
    at.file_uploader(key="upload").set_value(("mine.csv", ("x;z;label\n" + rows.replace(",", ";")).encode(),
                                               "text/csv")).run()
    assert not at.exception and not errors(at)
    assert metrics(at) == {"Rows": "200", "Columns": "3", "Features used": "2", "Classes": "2"}
    assert at.session_state["target"] == "label"


def test_target_error_is_shown_not_raised():
    at = open_app()
    next(s for s in at.selectbox if s.label.startswith("Target column")).set_value("credit_amount").run()
    assert not at.exception
    assert any("distinct values" in e and "identifier or a measurement" in e for e in errors(at))
