"""Report and Compare generators pages: the model card on screen, downloads, config replay, the leaderboard."""
from __future__ import annotations

import pytest

from core.config import RunConfig, config_json, read_config
from core.report import SECTIONS
from tests.apptest_helpers import errors, go, open_app


@pytest.fixture(scope="module")
def compared():
    at = go(open_app(), "generation")
    at.button(key="generate").click().run()
    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(2).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    return at


def test_report_shows_every_section_and_offers_downloads(compared):
    at = go(compared, "report")
    assert [h.value for h in at.header] == list(SECTIONS)
    assert SECTIONS[1].startswith("1.5 Ethical") and SECTIONS[3].startswith("2.5 Ethical")
    assert SECTIONS[-2:] == ("8. Deployment and monitoring", "9. Limitations and residual risks")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Model card (Markdown)", "Model card (HTML)", "Run config (JSON)", "Everything (zip)"]
    result = at.session_state["experiment"]
    assert result.config.repeats == 2 and result.validation is not None


def test_card_fields_are_saved_in_the_config_and_shown_escaped(compared):
    at = go(compared, "report")
    assert at.markdown and sum("*not provided*" in m.value for m in at.markdown) >= 3
    at.text_area(key="w_card_affected_groups").set_value("Loan applicants <script>x</script> *all*")
    at.text_area(key="w_card_owner").set_value("Credit risk team")
    at.button(key="save_card_notes").click().run()
    assert not at.exception and not errors(at)
    config = at.session_state["experiment"].config
    assert config.card_notes == {"affected_groups": "Loan applicants <script>x</script> *all*",
                                 "owner": "Credit risk team"}
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Affected groups:** Loan applicants &lt;script&gt;x&lt;/script&gt; \\*all\\*" in shown
    assert "**Owner:** Credit risk team" in shown and "**Rollback procedure:** *not provided*" in shown
    assert read_config(config_json(config)).card_notes["owner"] == "Credit risk team"  # what the download holds


def test_group_representation_section(compared):
    at = go(compared, "report")
    at.selectbox(key="w_representation_attribute").set_value("personal_status_sex").run()
    assert not at.exception and not errors(at)
    groups = at.dataframe[0].value
    assert set(groups["group"]) >= {"male single", "female div/sep/married"}
    assert groups["real_share"].sum() == 1.0 or abs(groups["real_share"].sum() - 1) < 1e-9
    assert abs(groups["synthetic_share"].sum() - 1) < 1e-9
    performance = at.dataframe[1].value
    assert set(performance["arm"]) == {"baseline", "augmented"}
    at.button(key="use_attribute_in_card").click().run()
    assert at.session_state["experiment"].config.card_notes["sensitive_attribute"] == "personal_status_sex"
    assert any("Group representation of 'personal\\_status\\_sex'" in m.value or
               "Group representation of 'personal_status_sex'" in m.value for m in at.markdown)


def test_monitor_checks_the_run_itself(compared):
    at = go(compared, "monitor")
    batch = at.session_state["table"].frame.sample(300, random_state=4)
    at.file_uploader(key="drift_upload").set_value(("new.csv", batch.to_csv(index=False).encode(), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    drift = at.session_state["drift"]
    assert drift.reference_rows == 700 and drift.concept.model.startswith("logreg on training rows + smote")
    assert "python -m core run --config config.json" in drift.next_step or drift.verdict.value != "re-run"
    at = go(at, "report")
    assert any(f"Last drift check: {drift.verdict.value}" in m.value for m in at.markdown)


def test_replaying_an_uploaded_config(compared):
    at = go(compared, "report")
    table = at.session_state["table"]
    config = RunConfig(target="credit_risk", method="gaussian_copula", data=table.name, data_sha256=table.sha256,
                       repeats=1, seed=7)
    at.file_uploader(key="config_upload").set_value(("config.json", config_json(config).encode(), "application/json"))
    at.run()
    assert not at.exception and not errors(at)
    replayed = at.session_state["experiment"]
    assert replayed.config.method == "gaussian_copula" and replayed.config.seed == 7
    assert replayed.synthetic.method_used == "gaussian_copula"


def test_a_config_for_other_data_is_refused():
    at = go(open_app(), "report")
    config = RunConfig(target="diagnosis", method="smote", data="hypothyroid.csv", data_sha256="0" * 64)
    at.file_uploader(key="config_upload").set_value(("c.json", config_json(config).encode(), "application/json"))
    at.run()
    assert not at.exception
    assert any("not from the loaded table" in e for e in errors(at))
    at.file_uploader(key="config_upload").set_value(("c.json", b"{not json", "application/json"))
    at.run()
    assert any("not valid JSON" in e for e in errors(at))


def test_compare_generators_page():
    at = go(open_app(), "leaderboard")
    assert at.multiselect(key="w_board_methods").value == ["random_oversampler", "smote", "borderline_smote",
                                                            "adasyn", "smotenc"]
    at.multiselect(key="w_board_methods").set_value(["random_oversampler", "adasyn", "gaussian_copula"])
    at.slider(key="w_board_repeats").set_value(1)
    at.button(key="run_board").click().run()
    assert not at.exception
    board = at.session_state["leaderboard"]
    assert board.best == board.race.recommended
    table = at.dataframe[0].value
    assert table.loc[table["method"] == board.best, "best"].item() == "*"
    assert "Best on the training folds" in at.success[0].value
    assert "numeric columns only" in table.loc[table["method"] == "adasyn", "error"].item()
    assert len(at.get("plotly_chart")) == 1
