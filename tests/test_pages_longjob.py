"""Long work on the pages (pages/_longjob.py): an estimate before the start, and a run that Streamlit interrupts
(Stop, any control, or another page opened) is reported as stopped instead of vanishing."""
from __future__ import annotations

import re

import pytest
import streamlit as st

import core.race
from tests.apptest_helpers import go, open_app


def interrupt_race(monkeypatch, interruption):
    """The race reports 40% and is then interrupted the way Streamlit interrupts a script: a control exception
    raised from inside the running job (a click raises a stop or rerun there, opening a page a rerun for it)."""
    def race_prepared(prepared, *args, progress=None, **kwargs):
        progress(0.4, "Class weights: fold 2 of 5 done")
        interruption()  # Streamlit asks for the stop; it happens at the job's next update, as in a real run
        progress(0.6, "Class weights: fold 3 of 5 done")
        raise AssertionError("the job went on after the interruption")
    monkeypatch.setattr(core.race, "race_prepared", race_prepared)


def _started(at):
    at.slider(key="w_race_folds").set_value(2).run()
    at.button(key="run_race").click().run()
    assert not at.exception
    return at


def test_the_method_page_estimates_the_race_before_it_starts():
    at = go(open_app(), "method")
    note = next(c.value for c in at.caption if "The measurement: estimated about" in c.value)
    found = re.search(r"estimated about (?:(\d+) min )?(\d+) s on this machine\. Leaving this page", note)
    assert found  # '45 s' or '3 min 20 s'
    assert 0 < int(found.group(1) or 0) * 60 + int(found.group(2)) < 3600


def test_stop_during_the_race_leaves_a_kept_was_stopped_message(monkeypatch):
    interrupt_race(monkeypatch, st.stop)
    at = _started(go(open_app(), "method"))
    assert at.button(key="stop_race")  # Stop beside the bar while it runs
    at.button(key="stop_race").click().run()  # the click's rerun is what stops the race
    stopped = [w.value for w in at.warning if "was stopped" in w.value]
    assert stopped == ["The measurement was stopped at 40% by Stop or another control on the page; nothing from it "
                       "was kept. Run it again to get a result."]
    at.run()  # still said on the next rerun, not only once
    assert any("The measurement was stopped at 40%" in w.value for w in at.warning)
    assert not at.session_state["races"] if "races" in at.session_state else True


def test_leaving_the_method_page_mid_race_says_so_on_return(monkeypatch):
    interrupt_race(monkeypatch, lambda: st.switch_page("pages/data.py"))  # the rerun a page change asks for
    at = _started(go(open_app(), "method"))
    assert at.title[0].value == "Data"
    go(at, "method")
    assert any("The measurement was stopped at 40% when you left the page" in w.value for w in at.warning)


def test_a_pool_broken_from_outside_is_named_and_never_called_a_stop(monkeypatch):
    """A cause outside the session (a worker killed, a bug) is said as such: the next run does not claim the
    analyst stopped it."""
    from core.parallel import WorkersLost

    def lost(prepared, *args, progress=None, **kwargs):
        progress(0.4, "Class weights: fold 2 of 5 done")
        raise WorkersLost("A worker process of this machine's pool ended while the work ran.")
    monkeypatch.setattr(core.race, "race_prepared", lost)
    at = _started(go(open_app(), "method"))
    assert [e.value for e in at.error] == ["A worker process of this machine's pool ended while the work ran."]
    at.run()
    assert not [w.value for w in at.warning if "was stopped" in w.value]

    def bug(prepared, *args, progress=None, **kwargs):
        progress(0.4, "Class weights: fold 2 of 5 done")
        raise RuntimeError("The executor underlying Parallel has been shutdown")
    monkeypatch.setattr(core.race, "race_prepared", bug)
    at.button(key="run_race").click().run()
    assert at.exception  # a bug stays a bug for the tests to find
    at.run()
    assert not [w.value for w in at.warning if "was stopped" in w.value]


class RecordingBar:
    """A progress bar that keeps what it was told (and can raise Streamlit's stop at a chosen update)."""

    def __init__(self, stop_at: int | None = None):
        self.texts: list[str] = []
        self.stop_at = stop_at

    def progress(self, fraction: float, text: str) -> None:
        self.texts.append(text)
        if self.stop_at is not None and len(self.texts) >= self.stop_at:
            raise st.runtime.scriptrunner_utils.exceptions.StopException()


def test_a_silent_step_still_shows_its_time_so_far_and_a_stop_is_seen_at_once():
    """UMAP's bar sat at '5%, 0 s' for 65 s: a step that reports nothing now redraws its elapsed time."""
    import time

    from pages._longjob import Job

    bar = RecordingBar()
    job = Job("umap", bar, 4.0, {"fraction": 0.0})
    assert job.alive(lambda progress: time.sleep(1.3) or "fitted", 0.05, "Fitting UMAP", every=0.2) == "fitted"
    assert len(bar.texts) >= 5 and all(t.startswith("Fitting UMAP - 5%, ") for t in bar.texts)
    assert bar.texts[-1] != bar.texts[0] and "1 s so far" in bar.texts[-1]  # the time moves on screen

    stopping = Job("umap", RecordingBar(stop_at=3), None, {"fraction": 0.0})
    started = time.perf_counter()
    with pytest.raises(st.runtime.scriptrunner_utils.exceptions.StopException):
        stopping.alive(lambda progress: time.sleep(5), 0.05, "Fitting UMAP", every=0.2)
    assert time.perf_counter() - started < 2  # the script does not wait for the step to end

    with pytest.raises(ValueError, match="bad rows"):  # the step's own error reaches the page
        Job("umap", RecordingBar(), None, {"fraction": 0.0}).alive(
            lambda progress: (_ for _ in ()).throw(ValueError("bad rows")), 0.05, "Fitting UMAP", every=0.2)


def finishing_job_script():
    import streamlit as st

    from pages._longjob import running

    with running("demo", "The demo", 1.0, "Demo") as job:
        job.progress(1.0, "Done")
    st.write("result shown")


def test_a_finished_jobs_bar_and_stop_go_away():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(finishing_job_script)
    at.run()
    assert not at.exception and at.markdown[0].value == "result shown"
    assert not at.get("progress") and not [b for b in at.button if b.key == "stop_demo"]
    assert not [c for c in at.caption if "stops the work" in c.value]


def test_the_estimate_says_the_queue_of_other_sessions_jobs(monkeypatch):
    import core.parallel

    monkeypatch.setitem(core.parallel._running_jobs, "count", 3)  # three jobs of other sessions in the pool
    at = go(open_app(), "method")
    note = next(c.value for c in at.caption if "The measurement: estimated about" in c.value)
    assert "3 other jobs are running on this server's workers now" in note and "up to 4 times as long" in note
