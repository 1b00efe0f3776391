"""Monitor page: a new batch checked against the loaded table or the current run; bad batches give clear errors."""
from __future__ import annotations

import io

import pandas as pd

from core.drift import Verdict
from tests.apptest_helpers import errors, go, open_app
from tests.conftest import sample_path


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def test_monitor_flags_a_shifted_batch_and_draws_it():
    at = go(open_app(), "monitor")
    assert at.button(key="run_drift").disabled
    shifted = pd.read_csv(sample_path("german_credit")).sample(400, random_state=1).assign(age=lambda f: f["age"] + 20)
    at.file_uploader(key="drift_upload").set_value(("new.csv", csv_bytes(shifted), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    assert [e for e in errors(at) if not e.startswith("**Verdict: re-run.**")] == []
    drift = at.session_state["drift"]
    assert drift.verdict == Verdict.RERUN and drift.drifted[0].column == "age"
    assert drift.reference_rows == 1000 and drift.new_rows == 400
    assert any("Verdict: re-run" in e.value for e in at.error)
    table = at.dataframe[0].value
    assert table.loc[table["column"] == "age", "status"].item() == "re-run"
    assert len(at.get("plotly_chart")) == len(drift.drifted) >= 1
    assert at.metric[0].value == "30.0%"  # 'bad' share in the reference (300 of 1,000)


def test_label_free_and_stricter_thresholds():
    at = go(open_app(), "monitor")
    batch = pd.read_csv(sample_path("german_credit")).sample(500, random_state=2).drop(columns="credit_risk")
    at.file_uploader(key="drift_upload").set_value(("new.csv", csv_bytes(batch), "text/csv"))
    at.number_input(key="w_drift_alpha").set_value(0.2)
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception and not errors(at)
    drift = at.session_state["drift"]
    assert drift.label_free and drift.prior is None and drift.thresholds.alpha == 0.2
    assert drift.verdict == Verdict.STABLE
    assert any("Label-free check" in c.value for c in at.caption)


def test_a_batch_of_other_data_gives_a_clear_error():
    at = go(open_app(), "monitor")
    at.file_uploader(key="drift_upload").set_value(("other.csv", sample_path("abalone19").read_bytes(), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    assert any("shares no feature" in e for e in errors(at))
    at.number_input(key="w_drift_psi_watch").set_value(0.5)  # above psi_rerun 0.25: refused with a message
    at.file_uploader(key="drift_upload").set_value(("new.csv", sample_path("german_credit").read_bytes(), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    assert any("'psi\\_watch' must not be above 'psi\\_rerun'" in e for e in errors(at))  # shown escaped
