"""Report page: the model bundle is built on request, shows calibration before and after, and downloads as a zip
that the loader accepts."""
from __future__ import annotations

from core.bundle import load_bundle_zip
from core.bundle_files import bundle_zip
from core.config import build_run_config
from core.data import validate_dataset
from core.pipeline import run_experiment
from core.reading import read_path
from tests.apptest_helpers import go, open_app
from tests.bundle_fixtures import credit_run


def test_report_builds_and_offers_the_model_bundle():
    table = read_path(credit_run() / "small_credit.csv")
    dataset = validate_dataset(table, "credit_risk")
    config = build_run_config("credit_risk", "class_weighted", data=table.name, data_sha256=table.sha256,
                              repeats=1, validation=False)
    at = open_app()
    at.session_state["experiment"] = run_experiment(dataset, config)
    at = go(at, "report")
    assert not at.exception
    assert "Model bundle (zip)" not in [b.label for b in at.get("download_button")]
    at.button(key="build_model_bundle").click().run()
    assert not at.exception, at.exception
    buttons = {b.label: b for b in at.get("download_button")}
    assert "Model bundle (zip)" in buttons
    assert any("lowered the out-of-fold Brier score" in c.value or "are kept" in c.value for c in at.caption)
    exported = at.session_state["model_bundle"][1]
    bundle = load_bundle_zip(bundle_zip(exported.files))
    assert bundle.minority == "bad" and bundle.threshold == exported.threshold.value
