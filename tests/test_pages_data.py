"""Data page: default sample, switching samples and target, type overrides, a bad upload."""
from __future__ import annotations

from tests.apptest_helpers import errors, go, metrics, open_app, use_sample


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
    assert any("**broken.csv** was not loaded: Only one column was found" in e for e in errors(at))
    assert metrics(at)["Rows"] == "1,000"  # German credit is still loaded
    assert at.session_state["table"].name == "german_credit.csv"
    assert any("Still in use: **german\\_credit.csv**" in w.value for w in at.warning)  # names escaped
    go(at, "analysis")  # a later page names the table it works on and the upload that was not loaded
    assert sum("Table in use: **german\\_credit.csv**" in c.value for c in at.caption) == 1
    assert any("**broken.csv** was not loaded; this page works on **german\\_credit.csv**" in w.value
               for w in at.warning)


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


def upload(at, name: str, text: str):
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, text.encode(), "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_good_upload_with_a_guessed_target_says_so():
    at = open_app()
    rows = "".join(f"{(i * 37) % 211},{i % 7},{'rare' if i % 10 == 0 else 'common'}\n" for i in range(200))
    upload(at, "mine.csv", "x,z,label\n" + rows)
    assert at.session_state["target_guessed"] is True
    assert any("**label** was guessed when the file loaded" in i.value for i in at.info)
    next(s for s in at.selectbox if s.label.startswith("Target column")).set_value("z").run()
    assert at.session_state["target_guessed"] is False
    assert not any("was guessed" in i.value for i in at.info)


def test_target_without_features_is_stopped_on_the_data_page():
    at = open_app()
    # 'label' is empty in every row, so the app guesses 'group'; 'id' is an identifier: no feature is left
    rows = "".join(f"{i},,{'a' if i % 3 else 'b'}\n" for i in range(60))
    upload(at, "empty_target.csv", "id,label,group\n" + rows)
    assert at.session_state["target"] == "group"
    assert any("**group** was guessed" in i.value for i in at.info)
    assert any("no feature column is left" in e.replace("\\", "") for e in errors(at))
    assert metrics(at)["Features used"] == "-"
    assert not [link for link in at.get("page_link") if "Next" in link.proto.label]
    go(at, "method")  # later pages name the problem and link back to the Data page
    assert any("**empty\\_target.csv** is loaded but cannot be used yet" in e and "no feature column" in e
               for e in errors(at))
    assert not any("Prepare the data first" in i.value for i in at.info)
    assert "data" in [link.proto.page for link in at.get("page_link")]


def test_every_mixed_column_is_listed_with_a_fix():
    at = open_app()
    rows = "".join(f"{i if i % 17 else 'x'},{i * 2 if i % 13 else 'unknown'},{i % 5},{'r' if i % 8 == 0 else 'c'}\n"
                   for i in range(80))
    upload(at, "mixed.csv", "a,b,c,label\n" + rows)
    assert any("2 columns mix numbers and text: a, b" in e for e in errors(at))
    assert {b.key for b in at.button} >= {"fix_mixed_a", "fix_mixed_b", "fix_mixed_all"}
    go(at, "analysis")
    problem = [e for e in errors(at) if "**mixed.csv** is loaded but cannot be used yet" in e]
    assert problem and "mixes numbers and text" in problem[0]
    assert not any("Load a table" in i.value for i in at.info)
    go(at, "data")
    at.button(key="fix_mixed_a").click().run()
    assert errors(at) == [next(e for e in errors(at) if e.startswith("Column 'b' mixes numbers and text"))]
    at.button(key="fix_mixed_b").click().run()
    assert not errors(at) and metrics(at)["Features used"] == "3"
    assert at.session_state["type_overrides"] == {"a": "categorical", "b": "categorical"}


def test_one_click_fixes_all_mixed_columns():
    at = open_app()
    rows = "".join(f"{i if i % 17 else 'x'},{i * 2 if i % 13 else 'unknown'},{'r' if i % 8 == 0 else 'c'}\n"
                   for i in range(80))
    upload(at, "mixed.csv", "a,b,label\n" + rows)
    at.button(key="fix_mixed_all").click().run()
    assert not at.exception and not errors(at)
    assert metrics(at)["Features used"] == "2"


def test_single_row_class_is_named_on_later_pages():
    at = open_app()
    rows = "".join(f"{i},{i % 7},{'rare' if i == 5 else 'common'}\n" for i in range(60))
    upload(at, "one_row.csv", "x,z,label\n" + rows)
    go(at, "generation")
    assert any("is loaded but cannot be used yet" in e and "'rare'" in e and "single row" in e for e in errors(at))


def test_switching_the_table_clears_every_result_of_the_old_one():
    at = go(open_app(), "comparison")
    at.slider(key="w_repeats").set_value(1).run()
    at.button(key="run_comparison").click().run()  # tuned threshold only: no generation needed
    assert at.session_state["experiment"].prepared.dataset.name == "german_credit.csv"
    at = use_sample(at, "hypothyroid.csv")
    assert "experiment" not in at.session_state and "synthetic" not in at.session_state
    at = go(at, "comparison")
    assert not at.exception and not at.get("plotly_chart")  # no German credit figures under the new table
