"""Monitor page: a new batch checked against the loaded table or the current run; bad batches give clear errors."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.config import RunConfig
from core.drift import Verdict
from core.pipeline import run_experiment
from tests.apptest_helpers import errors, go, open_app, open_with_upload
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
    assert [e for e in errors(at) if not e.startswith("**Verdict on the new batch 'new")] == []
    drift = at.session_state["drift"]
    assert drift.verdict == Verdict.RERUN and drift.drifted[0].column == "age"
    assert drift.reference_rows == 1000 and drift.new_rows == 400
    assert any(e.value.startswith("**Verdict on the new batch 'new") and ": re-run.**" in e.value for e in at.error)
    table = at.dataframe[0].value
    assert table.loc[table["feature"] == "age", "status"].item() == "re-run"
    # p-values far below 0.001 are written so, never rounded to 0; headers in words, no 'None' cell
    assert table.loc[table["feature"] == "age", "p-value (Holm-adjusted)"].item() == "< 0.001"
    assert drift.drifted[0].p_adjusted < 1e-6
    assert not {"0", "0.000", "0.0"} & (set(table["p-value"]) | set(table["p-value (Holm-adjusted)"]))
    assert "p_adjusted" not in table.columns and not table.isna().to_numpy().any()
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


def test_a_new_file_clears_the_previous_verdict_and_every_verdict_names_its_file(small_credit_csv):
    # the reference: the 300-row German credit sample, as if uploaded (which verdict names which file is checked,
    # not a figure of the reference); the batches come from the whole sample


    at = open_with_upload(small_credit_csv, "credit_risk")
    at = go(at, "monitor")
    credit = pd.read_csv(sample_path("german_credit"))
    shifted = credit.sample(400, random_state=1).assign(age=lambda f: f["age"] + 20)
    at.file_uploader(key="drift_upload").set_value(("shifted.csv", csv_bytes(shifted), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert at.session_state["drift"].batch == "shifted.csv" and at.session_state["drift"].reference_rows == 300
    assert at.error[0].value.startswith("**Verdict on the new batch 'shifted.csv': re-run.**")
    fresh = credit.sample(400, random_state=2)
    at.file_uploader(key="drift_upload").set_value(("fresh.csv", csv_bytes(fresh), "text/csv"))
    at.run()
    assert not at.exception
    assert "drift" not in at.session_state  # the old file's verdict is gone, not shown under the new file
    assert not [e for e in errors(at) if "Verdict" in e] and not at.dataframe
    assert any("the verdict on 'shifted.csv' was cleared" in i.value for i in at.info)
    at.button(key="run_drift").click().run()
    assert at.session_state["drift"].batch == "fresh.csv"
    verdicts = [m.value for m in [*at.success, *at.warning, *at.error] if m.value.startswith("**Verdict")]
    assert len(verdicts) == 1 and verdicts[0].startswith("**Verdict on the new batch 'fresh.csv':")


@pytest.fixture(scope="module")
def small_run(small_credit):
    """A one-repeat run without synthetic rows on the 300-row credit sample (fast), as the Comparison page would
    store it."""
    config = RunConfig(target="credit_risk", method="threshold_tuned", data="small_credit.csv",
                       data_sha256=small_credit.sha256, seed=3, repeats=1, validation=False)
    return run_experiment(small_credit, config)


def checked_on_doubled_durations(small_run):
    """Monitor on the small run, after a drift check of 300 German credit rows whose durations doubled (a re-run)."""
    at = go(open_app(), "monitor")
    at.session_state["experiment"] = small_run
    at.run()
    credit = pd.read_csv(sample_path("german_credit"))
    batch = credit.sample(300, random_state=7).assign(duration_months=lambda f: f["duration_months"] * 2)
    at.file_uploader(key="drift_upload").set_value(("march.csv", csv_bytes(batch), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception and at.session_state["drift"].verdict == Verdict.RERUN
    return at


def test_rerun_button_runs_the_same_config_on_refreshed_data(small_run):
    at = checked_on_doubled_durations(small_run)
    at.button(key="rerun_refreshed").click().run()
    assert not at.exception, at.exception
    rerun = at.session_state["drift_rerun"]
    assert rerun.config.seed == 3 and rerun.config.method == "threshold_tuned" and rerun.config.repeats == 1
    assert rerun.config.data == "small_credit.csv + march.csv" and len(rerun.prepared.dataset.frame) == 600
    assert rerun.config.data_sha256 != small_run.config.data_sha256
    table = at.dataframe[-1].value
    assert list(table["metric"]) == ["minority F1", "minority recall", "minority precision", "PR-AUC"]
    assert table["current run"].iloc[0] == small_run.comparison.arms["threshold_tuned"]["minority_f1"].mean
    assert table["refreshed run"].iloc[0] == rerun.comparison.arms["threshold_tuned"]["minority_f1"].mean
    assert [b.label for b in at.get("download_button")][-2:] == ["Refreshed config.json", "Refreshed results.json"]
    at.radio(key="w_drift_refresh_source").set_value("the new batch alone").run()
    at.button(key="rerun_refreshed").click().run()
    assert at.session_state["drift_rerun"].config.data == "march.csv"
    assert len(at.session_state["drift_rerun"].prepared.dataset.frame) == 300


def test_a_batch_missing_a_column_opens_with_fix_the_feed(small_run):
    at = go(open_app(), "monitor")
    at.session_state["experiment"] = small_run
    at.run()
    batch = pd.read_csv(sample_path("german_credit")).sample(200, random_state=3).drop(columns="age")
    at.file_uploader(key="drift_upload").set_value(("cut.csv", csv_bytes(batch), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("feature")
    assert table.loc["age", "status"] == "not checked: missing in the new batch"
    banner = next(e.value for e in at.error if e.value.startswith("**Verdict"))
    # the banner names the column and the feed; it does not send the analyst to a re-run that cannot work
    assert banner.startswith("**Verdict on the new batch 'cut.csv': fix the feed.** Fix the feed: column 'age' is "
                             "missing from the new batch 'cut.csv'.")
    assert "re-run" not in banner.lower()
    assert all(b.key != "rerun_refreshed" for b in at.button)  # no button to a re-run that would fail
    assert any(c.value.startswith("Fix the feed first") for c in at.caption)


def test_monitor_speaks_in_words_about_a_run_without_synthetic_rows(small_run):
    at = checked_on_doubled_durations(small_run)  # threshold_tuned with logreg: ids that must not reach the page
    shown = [m.value for kind in (at.info, at.caption, at.error, at.warning, at.success, at.markdown) for m in kind]
    for frame in at.dataframe:
        shown += [str(c) for c in frame.value.columns] + [str(v) for v in frame.value.to_numpy().ravel()]
    for internal in ("threshold_tuned", "logreg", "p_adjusted", "p_value", "missing_new", "None", "nan"):
        assert not [t for t in shown if internal in t], internal
    banner = next(e.value for e in at.error if e.value.startswith("**Verdict"))
    assert "minority" not in banner and "no synthetic rows" in banner  # it made none: nothing minority to refresh


def test_a_large_minority_psi_from_few_rows_is_not_labelled_stable():
    at = go(open_app(), "monitor")
    credit = pd.read_csv(sample_path("german_credit"))
    good, bad = credit[credit["credit_risk"] == "good"], credit[credit["credit_risk"] == "bad"]
    batch = pd.concat([good.sample(300, random_state=1), bad.sample(5, random_state=1)])
    batch.loc[batch["credit_risk"] == "bad", "credit_amount"] *= np.array([3, 4, 5, 6, 7])
    at.file_uploader(key="drift_upload").set_value(("few.csv", csv_bytes(batch), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    drift = at.session_state["drift"]
    amount = next(f for f in drift.minority_features if f.column == "credit_amount")
    assert amount.psi > 1 and amount.status == Verdict.STABLE and amount.unconfirmed
    minority_table = at.dataframe[1].value.set_index("feature")
    assert minority_table.loc["credit_amount", "status"] == "unconfirmed: large PSI, too few rows to tell"
