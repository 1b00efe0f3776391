"""Report and Compare generators pages: the model card on screen, downloads, config replay, the leaderboard."""
from __future__ import annotations

import pytest

from core.config import RunConfig, config_json
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
    assert [h.value for h in at.header] == ["1. Problem framing", "2. Imbalance analysis", "3. Data preparation",
                                            "4. Method selection", "5. Generation", "6. Validation",
                                            "7. Model training and evaluation", "8. Limitations and residual risks"]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Model card (Markdown)", "Model card (HTML)", "Run config (JSON)", "Everything (zip)"]
    result = at.session_state["experiment"]
    assert result.config.repeats == 2 and result.validation is not None


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
