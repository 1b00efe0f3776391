"""Method and Generation pages: recommendation, a run, constraints errors, CTGAN progress, downloads."""
from __future__ import annotations

from tests.apptest_helpers import errors, go, metrics, open_app, use_sample


def test_method_page_recommends_smotenc_for_german_credit():
    at = go(open_app(), "method")
    assert "Instant ranking: **SMOTE-NC** (interpolation) ranks first" in at.info[0].value
    assert "Measure on my data" in at.info[0].value  # the ranking says it is not a measurement
    ranking = at.dataframe[0].value
    assert ranking.iloc[0]["method"] == "SMOTE-NC"
    assert ranking.set_index("method").loc["ADASYN", "usable"] == "no"


def test_generation_run_with_defaults():
    at = go(open_app(), "generation")
    assert any("'bad': 210 real + 280 synthetic = 490" in m.value for m in at.markdown)
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    m = metrics(at)
    assert m["Synthetic rows"] == "280" and m["Rejected by constraints"] == "0"
    rows = at.session_state["synthetic"].rows
    assert len(rows) == 280 and set(rows["credit_risk"]) == {"bad"}
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download synthetic rows (CSV)", "Download augmented training set (CSV)"]


def test_bad_rule_is_an_error_and_blocks_the_run():
    at = go(open_app(), "generation")
    at.text_area(key="w_rules").set_value("age >= 18\nopen('/etc/passwd')").run()
    assert not at.exception
    assert any("uses 'Call'" in e for e in errors(at))
    assert at.button(key="generate").disabled


def test_rule_is_applied_and_rejections_counted():
    at = go(open_app(), "generation")
    at.selectbox(key="w_gen_method").set_value("gaussian_copula").run()
    at.text_area(key="w_rules").set_value("age >= 30").run()
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    rows = at.session_state["synthetic"].rows
    assert rows["age"].min() >= 30 and len(rows) == 280
    assert int(metrics(at)["Rejected by constraints"].replace(",", "")) > 0


def test_unusable_method_shows_the_reason_and_the_error():
    at = go(open_app(), "generation")
    at.selectbox(key="w_gen_method").set_value("adasyn").run()
    assert any("does not fit this table" in w.value for w in at.warning)
    at.button(key="generate").click().run()
    assert not at.exception
    assert any("ADASYN handles numeric columns only" in e for e in errors(at))


def test_tvae_on_a_tiny_minority_warns_and_reports_loss():
    at = go(use_sample(open_app(), "abalone19.csv"), "generation")
    at.selectbox(key="w_gen_method").set_value("tvae").run()
    at.number_input(key="w_param_tvae_epochs").set_value(2).run()
    at.radio(key="w_amount_rule").set_value("count").run()
    at.number_input(key="w_amount_count").set_value(50).run()
    assert any("Estimated training time" in i.value and "remaining time measured on this run" in i.value
               for i in at.info)
    epochs = at.number_input(key="w_param_tvae_epochs")
    assert epochs.label == "Epochs" and "Training passes" in epochs.help  # human label, help as a tooltip
    assert at.number_input(key="w_param_tvae_time_budget_s").label == "Time budget (seconds)"
    assert at.selectbox(key="w_param_tvae_mode").label == "Training mode"
    assert any("leaving the page or clicking any control stops it" in c.value for c in at.caption)
    at.button(key="generate").click().run()
    assert not at.exception and not errors(at)
    assert metrics(at)["Synthetic rows"] == "50"
    assert any("learns from only 22 rows" in w.value for w in at.warning)
    assert len(at.session_state["synthetic"].loss_history) == 2


def test_two_sessions_keep_their_own_data():
    first, second = open_app(), use_sample(open_app(), "abalone19.csv")
    first.run()
    assert first.session_state["table"].name == "german_credit.csv"
    assert second.session_state["table"].name == "abalone19.csv"
    go(first, "generation").button(key="generate").click().run()
    assert "synthetic" not in second.session_state


def test_method_chosen_on_the_method_page_opens_on_generation():
    at = go(open_app(), "generation")
    assert at.selectbox(key="w_gen_method").value == "smotenc"
    at = go(at, "method")
    at.selectbox(key="w_method_choice").set_value("gaussian_copula").run()
    at = go(at, "generation")
    assert at.selectbox(key="w_gen_method").value == "gaussian_copula"
