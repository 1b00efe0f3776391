"""The process's one worker pool, shared by the app server's sessions (core.parallel): one job's stop cancels only
that job's tasks, the other jobs finish with their solo figures, the pool is reused, and a pool broken from outside
says so instead of "you pressed Stop"."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from core.errors import GenerationCancelled
from core.parallel import WorkersLost, parallel_map, worker_pool
from core.pipeline import prepare
from core.race import race_prepared

CANDIDATES = ["threshold_tuned", "class_weighted"]


class ScriptStopped(BaseException):
    """What Streamlit raises inside a script when its session presses Stop, leaves the page or closes the tab
    (StopException and RerunException are BaseExceptions raised from the next update, here on_result)."""


def slow_mark(item: tuple[str, int]) -> int:
    """Writes a file named after the task (so the test sees which tasks ran), then takes a while."""
    folder, index = item
    Path(folder, f"{index}.ran").touch()
    time.sleep(0.4)
    return index


def exit_worker(item: int) -> int:
    if item == 1:
        os._exit(1)  # a worker killed from outside (the kernel's out-of-memory killer, a kill from a shell)
    time.sleep(0.2)
    return item


@pytest.fixture(scope="module")
def credit(small_credit):
    return prepare(small_credit, test_size=0.3, seed=42)


def figures(result) -> list:
    return [(c.name, c.minority_f1.values, c.pr_auc.values) for c in result.candidates] + [result.recommended]


def test_one_session_stopped_mid_job_leaves_the_others_job_and_the_pool_alone(credit, tmp_path):
    solo = race_prepared(credit, folds=2, candidates=CANDIDATES, n_jobs=1, repeats=2)  # in this process, no pool
    pool = worker_pool()
    outcome: dict[str, object] = {}

    def other_session() -> None:  # races on the pool while the first session is stopped
        try:
            outcome["race"] = race_prepared(credit, folds=2, candidates=CANDIDATES, n_jobs=2, repeats=2)
        except BaseException as exc:  # noqa: BLE001 (the test reports whatever ended it)
            outcome["race"] = exc

    def stopped_session() -> None:  # its first result's update is where Streamlit stops the script
        def stop_at_first(index: int, total: int) -> None:
            raise ScriptStopped
        try:
            parallel_map(slow_mark, [(str(tmp_path), i) for i in range(30)], n_jobs=2, on_result=stop_at_first)
        except ScriptStopped:
            outcome["stopped"] = time.perf_counter()
        # the same session's next job, in the same thread, runs
        outcome["next"] = parallel_map(slow_mark, [(str(tmp_path / "next"), i) for i in range(4)], n_jobs=2)

    (tmp_path / "next").mkdir()
    threads = [threading.Thread(target=other_session), threading.Thread(target=stopped_session)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not isinstance(outcome["race"], BaseException), repr(outcome["race"])
    assert figures(outcome["race"]) == figures(solo)  # the other session's figures are its solo figures
    assert "stopped" in outcome and outcome["next"] == [0, 1, 2, 3]
    ran = len(list(tmp_path.glob("*.ran")))
    assert ran < 30  # the stopped job's waiting tasks were cancelled, not run
    assert worker_pool() is pool  # one pool, never shut down by a job


def test_should_stop_cancels_the_job_and_the_pool_serves_the_next(tmp_path):
    asked = []

    def stop_after_two() -> bool:
        asked.append(1)
        return len(list(tmp_path.glob("*.ran"))) >= 2

    pool = worker_pool()
    parallel_map(abs, [-1, -2], n_jobs=2)
    workers = set(pool._processes)  # the worker processes, by pid
    with pytest.raises(GenerationCancelled):
        parallel_map(slow_mark, [(str(tmp_path), i) for i in range(20)], n_jobs=2, should_stop=stop_after_two)
    time.sleep(1.0)  # tasks already in a worker finish; none is started after the stop
    assert len(list(tmp_path.glob("*.ran"))) <= 6
    assert parallel_map(abs, [-1, -2, -3], n_jobs=2) == [1, 2, 3] and worker_pool() is pool
    assert set(pool._processes) == workers  # the same processes: no worker was restarted (nor re-imported)


def test_a_worker_killed_from_outside_is_named_as_the_cause_and_the_next_job_runs():
    with pytest.raises(WorkersLost, match="ended while the work ran"):
        parallel_map(exit_worker, range(4), n_jobs=2)
    assert parallel_map(abs, [-1, -2], n_jobs=2) == [1, 2]  # a fresh pool


def test_a_short_job_takes_turns_with_a_long_one_instead_of_waiting_behind_it(tmp_path):
    """Each job keeps at most n_jobs tasks in the pool, so a short job started beside a long one interleaves."""
    worker_pool()  # started (and its imports done) before the timing
    parallel_map(abs, [-1, -2], n_jobs=2)
    ended: dict[str, float] = {}

    def job(name: str, count: int, delay: float) -> None:
        time.sleep(delay)
        folder = tmp_path / name
        folder.mkdir()
        parallel_map(slow_mark, [(str(folder), i) for i in range(count)], n_jobs=2)
        ended[name] = time.perf_counter()

    threads = [threading.Thread(target=job, args=("long", 12, 0.0)),
               threading.Thread(target=job, args=("short", 2, 0.3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert ended["short"] < ended["long"] - 1.0  # it did not queue behind all twelve of the long job's tasks


def worker_pid(_: int) -> int:
    time.sleep(0.1)
    return os.getpid()


def every_worker_started() -> None:
    """Until every worker of the pool has answered (a worker still importing its libraries takes no task, and a
    job's inputs go with its tasks until every worker holds them)."""
    deadline = time.monotonic() + 120
    while len(set(parallel_map(worker_pid, range(4), n_jobs=2))) < 2 and time.monotonic() < deadline:
        pass


def _arrived(kind: type, folder: str, fill: bytes) -> "CountedInputs":
    """Called where a CountedInputs is unpickled (in a worker): leaves one file per arrival."""
    Path(folder, f"{os.getpid()}-{time.perf_counter_ns()}.arrived").touch()
    return kind(folder, fill)


class CountedInputs:
    """A job's function with a large shared input (a training table's stand-in) that counts its arrivals in the
    workers, so a test sees how often the shared inputs travelled."""

    def __init__(self, folder: str, fill: bytes):
        self.folder, self.fill = folder, fill

    def __reduce__(self):
        return _arrived, (type(self), self.folder, self.fill)

    def __call__(self, item: int) -> int:
        time.sleep(0.02)
        return item * 2 + len(self.fill)


def test_a_jobs_shared_inputs_reach_each_worker_a_few_times_not_with_every_task(tmp_path):
    """The job's function with its inputs goes with the tasks until every worker of the pool holds it, then tasks
    carry their item alone (loky's transport, no pickle file of our own)."""
    every_worker_started()
    counted = CountedInputs(str(tmp_path), b"x" * 1_000_000)
    assert parallel_map(counted, range(60), n_jobs=2) == [i * 2 + 1_000_000 for i in range(60)]
    arrivals = len(list(tmp_path.glob("*.arrived")))
    assert 1 <= arrivals <= 8  # not 60: the inputs were not sent with every task


class ForgetfulInputs(CountedInputs):
    """As CountedInputs, but the worker that runs item 10, 20, ..., 50 then drops every job's inputs it kept, as a
    worker does when more jobs than KEPT_PAYLOADS passed through it."""

    def __call__(self, item: int) -> int:
        if item and item % 10 == 0 and item <= 50:
            from core import parallel

            parallel._payloads.clear()
        return super().__call__(item)


def test_a_worker_that_dropped_a_jobs_inputs_gets_them_again(tmp_path):
    """A task that reaches a worker without the job's inputs runs once they are sent again: same results, in
    order; the inputs arrived again after the drops (each drop but the last on a worker is followed by one)."""
    from core import parallel

    every_worker_started()
    worker, ran, value = worker_pool().submit(parallel._run_task, "a job no worker has seen", None, 1).result()
    assert (ran, value) == (False, None) and worker in worker_pool()._processes
    forgetful = ForgetfulInputs(str(tmp_path), b"y" * 10)
    assert parallel_map(forgetful, range(80), n_jobs=2) == [i * 2 + 10 for i in range(80)]
    assert len(list(tmp_path.glob("*.arrived"))) >= 4
