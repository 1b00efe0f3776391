"""Long work a user can follow, the same on every page: an estimate before it starts (with the other sessions' jobs
sharing the workers), a bar with the time left (or the time so far, redrawn each second through a step that reports
nothing), Stop beside the bar, a warning that leaving the page stops it, and "was stopped" afterwards. The bar and
Stop go away when the job ends.

Streamlit stops a running script at its next update when any control is used or another page is opened, by
raising a control exception inside it. `running` records that as "was stopped" (and whether another page was
asked for); the job's page shows it until the job runs again, and `settle` (app.py, every page) shows a toast
once when the user left mid-job.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from core.countdown import Countdown, duration
from core.errors import GenerationCancelled, SynthBalanceError
from core.parallel import jobs_running
from core.text import escape_markdown
from pages import _state

LEAVING = ("Leaving this page, or using any control on it, stops the work; nothing from a stopped run is kept.")
Outcome = TypeVar("Outcome")


def queue_note() -> str:
    """The other jobs on this server's workers now (every session's), which a job shares them with in turns."""
    others = jobs_running()
    if not others:
        return ""
    return (f" {others} other job{'s are' if others > 1 else ' is'} running on this server's workers now; they "
            f"take turns, so this can take up to {others + 1} times as long.")


def estimate_note(seconds: float | None, what: str) -> None:
    """Before the start: the estimated time on this machine (and the queue of other sessions' jobs), and that
    leaving stops the work."""
    if seconds is None:
        st.caption(f":material/schedule: {what}: no estimate for this setting.{queue_note()} {LEAVING}")
    else:
        st.caption(f":material/schedule: {what}: estimated about {duration(seconds)} on this machine.{queue_note()} "
                   f"{LEAVING}")


@dataclass
class Job:
    """What a page gets inside `running`: the progress callback for core, and whether the work finished.

    record: this run's "was stopped" record, stored in the session when the job starts and removed when it
    finishes; updated in place, because once Streamlit has asked for a stop even reading the session raises."""

    name: str
    bar: object
    estimate: float | None
    record: dict
    started: float = field(default_factory=time.perf_counter)
    countdown: Countdown = field(default_factory=Countdown)
    finished: bool = False

    def progress(self, fraction: float, message: str) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        elapsed = time.perf_counter() - self.started
        # with an estimate, the bar counts down the figure the caption gave before the start (one figure, not a
        # second guess from the pace); the pace's countdown only where there is no estimate
        left = self.countdown.update(fraction) if self.estimate is None else None
        if self.estimate is not None and elapsed < self.estimate:
            when = f"{duration(elapsed)} so far, about {duration(self.estimate - elapsed)} left of the estimated " \
                   f"{duration(self.estimate)}"
        elif self.estimate is not None:
            when = f"{duration(elapsed)} so far, longer than the estimated {duration(self.estimate)}"
        elif left is not None:
            when = f"{duration(elapsed)} so far, about {duration(left)} left"
        else:
            when = f"{duration(elapsed)} so far"
        self.bar.progress(fraction, text=f"{escape_markdown(message)} - {fraction:.0%}, {when}")  # Streamlit stops here
        self.record["fraction"] = fraction  # the share last shown


    def alive(self, work: Callable[[Callable[[float, str], None]], Outcome], fraction: float, message: str,
              every: float = 1.0) -> Outcome:
        """work(progress) in a helper thread while this script thread redraws the bar every `every` seconds with
        the time so far: a step that reports nothing for a minute (UMAP's compile and fit) shows that it is
        working, and Stop or leaving the page is seen within a second (the helper then finishes unseen and its
        result is dropped; nothing from it is kept). progress(fraction, message) from the helper moves the bar.
        """
        latest = {"fraction": fraction, "message": message}
        outcome: dict = {}

        def progress(done: float, text: str) -> None:  # from the helper thread: no Streamlit calls there
            latest.update(fraction=done, message=text)

        def run() -> None:
            try:
                outcome["value"] = work(progress)
            except BaseException as exc:  # noqa: BLE001 (raised again in the script thread)
                outcome["error"] = exc

        helper = threading.Thread(target=run, name=f"job-{self.name}", daemon=True)
        helper.start()
        self.progress(fraction, message)
        while helper.is_alive():
            helper.join(every)
            self.progress(latest["fraction"], latest["message"])  # where Streamlit's stop is raised
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


def _left_the_page(interruption: BaseException) -> bool:
    """Whether Streamlit interrupted the script to open another page (a rerun asked for another page's script)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    wanted = getattr(getattr(interruption, "rerun_data", None), "page_script_hash", "")
    ctx = get_script_run_ctx()
    return bool(wanted) and ctx is not None and wanted != ctx.page_script_hash


@contextmanager
def running(name: str, what: str, estimate: float | None, page: str) -> Iterator[Job]:
    """Bar, Stop beside it and the leaving warning; core's errors become messages (GenerationCancelled a
    "was stopped" note, other SynthBalanceErrors an error box); `job.finished` says whether the work completed.
    Streamlit interrupts a script by raising a control exception (BaseException) from an update inside the job:
    the job's record stays in the session as "was stopped" (with whether another page was asked for).

    name: the job's id on its page ('race'); what: its name in words ('The measurement'); page: the page's title."""
    holder = st.empty()  # the bar, Stop and the leaving note: gone once the job has ended
    with holder.container():
        bar_box, stop_box = st.columns([6, 1], vertical_alignment="center")
        bar = bar_box.progress(0.0, text="Starting...")
        stop_box.button("Stop", key=f"stop_{name}", help="Stops the work at once; nothing from it is kept.")
        st.caption(f":material/hourglass_top: {LEAVING}")
    record = {"name": name, "what": what, "page": page, "fraction": 0.0, "table": _state.origin(), "left": False,
              "announced": False, "settled": False}
    _state.add_stopped_job(record)  # until the job finishes
    job = Job(name, bar, estimate, record)
    try:
        yield job
        job.finished = True
    except GenerationCancelled as exc:  # core stopped it (its own stop request): said here, at once
        record["announced"] = record["settled"] = True
        holder.empty()
        st.warning(escape_markdown(exc))
        return
    except SynthBalanceError as exc:
        _state.forget_stopped_job(name)
        holder.empty()
        st.error(escape_markdown(exc))
        return
    except ScriptControlException as interruption:  # Streamlit's stop or rerun: no session access from here on
        record["left"] = _left_the_page(interruption)
        raise
    except BaseException:  # not the analyst's doing: never reported as "stopped by Stop" on the next run
        _state.forget_stopped_job(name)
        raise
    _state.forget_stopped_job(name)
    holder.empty()  # a finished job shows its result, not a bar at 100% with a live Stop


def settle(page: str) -> None:
    """At the start of every script run (app.py), with the title of the page being opened: a job stopped by the
    run before is settled here; opened on another page than the job's, the user left it: a toast says so, once.

    (A browser's page change stops the script with a plain stop, without naming the page asked for, so the
    page is compared here rather than read from the interruption.)"""
    for record in _state.stopped_jobs():
        if record.get("settled"):
            continue
        record["settled"] = True
        record["left"] = record["left"] or page != record["page"]
        if record["left"] and not record["announced"]:
            record["announced"] = True
            st.toast(f"{record['what']} on the {record['page']} page was stopped at {record['fraction']:.0%} when "
                     "you left that page; nothing from it was kept.", icon=":material/stop_circle:")


def stopped_notice(name: str) -> None:
    """On the job's page: say that its last run was stopped, until it runs again (for the same table only)."""
    record = _state.stopped_job(name)
    if record is None or record.get("table") != _state.origin():
        return
    record["announced"] = record["settled"] = True
    how = "when you left the page" if record["left"] else "by Stop or another control on the page"
    st.warning(f"{record['what']} was stopped at {record['fraction']:.0%} {how}; nothing from it was kept. "
               "Run it again to get a result.", icon=":material/stop_circle:")
