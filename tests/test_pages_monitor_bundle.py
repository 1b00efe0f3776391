"""Monitor page, deployed-model half: a bundle (zip) and a batch give the CBPE timeline, the minority share with its
advice and the multivariate table; a bad bundle or batch is one st.error and the session goes on; an uncalibrated
bundle gets one sentence instead of an estimate. core.bundle (another branch) is stood in for by a module whose
loader returns a fake bundle."""
from __future__ import annotations

import io
import sys
import types

import pytest

from core.errors import DataError
from core.performance import NOT_CALIBRATED
from tests.apptest_helpers import errors, go, open_app
from tests.fake_bundle import fake_bundle, table

BUNDLES = {}


def _load(raw: bytes, **_):
    if raw not in BUNDLES:
        raise DataError("The bundle's manifest does not match its files (SHA-256 of model.skops differs).")
    return BUNDLES[raw]


@pytest.fixture(autouse=True)
def loader(monkeypatch):
    module = types.ModuleType("core.bundle")
    module.load_bundle_zip = _load
    monkeypatch.setitem(sys.modules, "core.bundle", module)
    if not BUNDLES:
        BUNDLES[b"good"] = fake_bundle(train_rows=1500, reference_rows=1000)
        BUNDLES[b"uncalibrated"] = fake_bundle(train_rows=1500, reference_rows=1000, calibration_ok=False)


def csv_bytes(frame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def _page(bundle: bytes, batch: bytes, name: str = "batch.csv", rows: int = 600):
    at = go(open_app(), "monitor")
    at.radio(key="w_monitor_against").set_value("a deployed model bundle").run()
    at.file_uploader(key="monitor_bundle_zip").set_value(("bundle.zip", bundle, "application/zip"))
    at.file_uploader(key="monitor_bundle_batch").set_value((name, batch, "text/csv"))
    at.number_input(key="w_monitor_chunk_size").set_value(rows)
    at.run()
    at.button(key="run_bundle_monitor").click().run()
    assert not at.exception, at.exception
    return at


def test_timeline_share_and_multivariate_table():
    batch = table(1200, 31, minority_share=0.2)
    batch.loc[600:, "x1"] += 1.5
    at = _page(b"good", csv_bytes(batch))
    assert errors(at) == []
    result = at.session_state["bundle_monitor"]
    assert len(result.f1.chunks) == 2 and result.flags[1]
    charts = at.get("plotly_chart")
    assert len(charts) == 1 and "Estimated minority F1 per chunk" in charts[0].proto.spec
    assert any(m.value.startswith("Estimated minority share of the batch") for m in at.markdown)
    multivariate = at.dataframe[-2].value
    assert list(multivariate["flagged"]) == [False, True]
    assert any("invisible without labels" in c.value for c in at.caption)
    assert any(c.value.startswith("The estimate uses the deployed probabilities as they are.") for c in at.caption)
    assert not result.prevalence_adjusted  # the bench did not back the re-weighting (core.monitor)
    features = at.dataframe[-1].value  # today's per-feature check, against the bundle's reference rows
    assert features.loc[features["feature"] == "x1", "status"].item() == "re-run"
    assert any(m.value.startswith("**Verdict per feature: re-run.**") for m in at.markdown)


def test_uncalibrated_bundle_gets_one_sentence_and_no_estimate():
    at = _page(b"uncalibrated", csv_bytes(table(600, 32)))
    assert [w.value for w in at.warning] == [NOT_CALIBRATED]
    assert at.get("plotly_chart") == []


def test_bad_bundle_and_bad_batch_are_errors_and_the_session_goes_on():
    at = _page(b"tampered", csv_bytes(table(600, 33)))
    assert len(errors(at)) == 1 and "SHA" in errors(at)[0] and "model" in errors(at)[0]
    at.file_uploader(key="monitor_bundle_zip").set_value(("bundle.zip", b"good", "application/zip"))
    at.file_uploader(key="monitor_bundle_batch").set_value(("b.csv", csv_bytes(table(600, 33).drop(columns="x2")),
                                                           "text/csv"))
    at.run()
    at.button(key="run_bundle_monitor").click().run()
    assert not at.exception and any("'x2'" in e for e in errors(at))


def test_the_batch_name_is_escaped():
    at = _page(b"good", csv_bytes(table(600, 34)), name="*loud*.csv")
    assert any(h.value == "The deployed model on \\*loud\\*.csv" for h in at.subheader)
