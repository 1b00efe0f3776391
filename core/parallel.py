"""The one parallel path: folds x candidates (race, comparison repeats, leaderboard, sweep) go to the process's
one pool of worker processes (at most `n_jobs` of a call's tasks at once), or to a Dask cluster (`core.cluster`: our
code shipped, versions checked, a bounded wait) when a scheduler address is given. Every task carries its own
seed, so results do not depend on scheduling, on `n_jobs` or on where they ran."""
from __future__ import annotations

import os
import sys
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import Callable, Iterable, Iterator, TypeVar

from core.errors import ConfigError, SynthBalanceError

# The variables that start BLAS and OpenMP at one thread when set before numpy loads (see one_thread_per_task).
ONE_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

Item = TypeVar("Item")
Result = TypeVar("Result")


def default_n_jobs() -> int:
    """All cores of this machine (at least 1)."""
    return max(1, os.cpu_count() or 1)


def check_n_jobs(n_jobs: int | None) -> int:
    """n_jobs as a positive count: None means all cores, -1 too; 0 or below -1 is refused."""
    if n_jobs is None or n_jobs == -1:
        return default_n_jobs()
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise ConfigError(f"n_jobs must be a positive whole number (or -1 for all cores); got {n_jobs!r}.")
    return n_jobs


_THREADS_LOCK = threading.Lock()
_threads_state = {"depth": 0, "limiter": None, "torch": None}


@contextmanager
def one_thread_per_task() -> Iterator[None]:
    """BLAS, OpenMP and torch at one thread while a task runs, restored when the last task in this process ends.

    Dask's workers start at one thread (their nanny sets OMP_NUM_THREADS=1) and joblib's workers are limited too;
    a thread count can change the order of a library's floating-point sums, so tasks run at one thread here as
    well and the figures do not depend on where a task ran; parallelism comes from the tasks. OpenBLAS takes the
    limit only from the process's main thread (the CLI); the app's server, whose scripts run in other threads,
    starts with one thread instead (serve.py).
    """
    from threadpoolctl import threadpool_limits

    with _THREADS_LOCK:
        if _threads_state["depth"] == 0:
            _threads_state["limiter"] = threadpool_limits(limits=1)
            torch = sys.modules.get("torch")
            if torch is not None:
                _threads_state["torch"] = torch.get_num_threads()
                torch.set_num_threads(1)
        _threads_state["depth"] += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _threads_state["depth"] -= 1
            if _threads_state["depth"] == 0:
                _threads_state["limiter"].restore_original_limits()
                torch = sys.modules.get("torch")
                if torch is not None and _threads_state["torch"] is not None:
                    torch.set_num_threads(_threads_state["torch"])
                _threads_state["limiter"] = _threads_state["torch"] = None


def start_at_one_thread() -> None:
    """Set ONE_THREAD_VARIABLES to 1 where unset: called before numpy loads (serve.py, the test suite), since
    OpenBLAS takes a later limit only from the process's main thread."""
    for name in ONE_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def _one_thread(function: Callable[[Item], Result], item: Item) -> Result:
    """function(item) under one_thread_per_task (a module-level function, so it pickles to any worker)."""
    with one_thread_per_task():
        return function(item)


class WorkersLost(SynthBalanceError, RuntimeError):
    """A worker process of this machine's pool ended while the work ran (killed from outside, out of memory, a
    crash in a library): the cause lies outside the job and outside the analyst's controls."""


# The process's one pool of worker processes, shared by every job, rerun and session of the app's server (and every
# call of the CLI): workers import scikit-learn, pandas and our code once, not once per call, and one job's stop
# cancels only that job's tasks. The pool is never shut down by a job; it is replaced only when it broke.
_POOL_LOCK = threading.Lock()
_pool: dict = {"executor": None, "workers": 0}
# Modules the pool's workers import when they start (once per worker, which then serves every job).
WORKER_PRELOAD = ("numpy", "pandas", "sklearn", "core.race", "core.pipeline")
# Jobs' inputs a worker keeps (a worker serves several sessions' jobs at once); one it dropped is sent again.
KEPT_PAYLOADS = 4
_payloads: OrderedDict = OrderedDict()  # in a worker: job token -> the job's function with its shared inputs
_POLL_SECONDS = 0.5  # should_stop is asked at least this often while tasks run
_running_jobs = {"count": 0}  # calls with tasks in the pool now (all sessions of the server)


def jobs_running() -> int:
    """How many calls have tasks in this process's pool now (every session of the app's server): they share the
    workers in turns, so a job started now takes up to this many + 1 times its time alone."""
    return _running_jobs["count"]


def pool_size() -> int:
    """Workers of the process's pool: the cores of this machine (a job's n_jobs caps its own share of them)."""
    return default_n_jobs()


def _preload() -> None:
    """A worker's start: import what every task needs, once for the life of the worker."""
    import importlib

    for name in WORKER_PRELOAD:
        importlib.import_module(name)


def worker_pool():
    """The process's pool (loky's executor, our own instance: joblib's process-wide one can be resized or shut down
    by any joblib call), started on first use and kept for the life of the process; a broken pool is replaced.

    loky starts workers that do not run the caller's main script (the app's server runs each page as __main__;
    the standard library's spawn and forkserver would run the page again in every worker)."""
    from joblib.externals.loky.process_executor import ProcessPoolExecutor

    with _POOL_LOCK:
        executor = _pool["executor"]
        if executor is None or executor._flags.broken or executor._flags.shutdown:
            executor = ProcessPoolExecutor(max_workers=pool_size(), initializer=_preload)
            _pool.update(executor=executor, workers=pool_size())
        return executor


def _replace_broken_pool(executor) -> None:
    """Forget a pool whose workers died, so that the next job starts a fresh one."""
    with _POOL_LOCK:
        if _pool["executor"] is executor:
            _pool["executor"] = None
    executor.shutdown(wait=False, kill_workers=True)


def _run_task(token: str, function: Callable | None, item) -> tuple[int, bool, object]:
    """In a worker: (this worker's process id, whether the task ran, its result).

    The job's function with its shared inputs (the training table) travels with the task through loky's own
    transport only until every worker of the pool holds it; a worker keeps it per job (KEPT_PAYLOADS jobs), and
    a task sent without it runs the kept one, or answers (pid, False, None) when this worker has none, and the
    job sends that task again with the function."""
    if function is not None:
        _payloads[token] = function
        _payloads.move_to_end(token)
        while len(_payloads) > KEPT_PAYLOADS:
            _payloads.popitem(last=False)
    else:
        function = _payloads.get(token)
        if function is None:
            return os.getpid(), False, None
    with one_thread_per_task():
        return os.getpid(), True, function(item)


def _workers(executor) -> set[int]:
    """Process ids of the pool's workers now (empty before loky started them, or while it changes them)."""
    try:
        return set(getattr(executor, "_processes", None) or ())
    except RuntimeError:  # loky's manager thread changed the dict while it was read: send the function
        return set()


def _run_on_pool(function: Callable[[Item], Result], items: list, jobs: int,
                 on_result: Callable[[int, int], None] | None,
                 should_stop: Callable[[], bool] | None) -> list:
    """items on the process's pool, in order. The job's function with its shared inputs (the training table) goes
    with the first tasks, one per worker that lacks it, then tasks carry only their item (`_run_task`). At most
    `jobs` of this job's tasks are in the pool at once, so jobs of several sessions interleave (a short job is not
    queued behind all of a long job's tasks). Leaving by any exit (a stop, Streamlit's interruption, an error)
    cancels this job's tasks that have not started; the ones running finish in their worker and are discarded;
    the pool stays."""
    from core.errors import GenerationCancelled

    executor = worker_pool()
    token = uuid.uuid4().hex
    holders: set[int] = set()  # workers that ran a task of this job, so hold its function
    total, cap = len(items), min(jobs, pool_size(), len(items))
    pending: dict[int, Future] = {}  # submitted, not yet collected
    finished: dict[int, object] = {}  # collected, waiting for the earlier ones (results are delivered in order)
    results: list = []
    submitted = 0
    carrying: set[int] = set()  # tasks in the pool that carry the function

    def send(index: int, with_function: bool = False) -> Future:
        # the function goes with as many tasks at once as there are workers without it (any worker may take any
        # task); a task that meets a worker without it comes back and is sent again with it
        workers = _workers(executor)
        lacking = len(workers - holders) if workers else pool_size() - len(holders)
        carried = function if with_function or len(carrying) < lacking else None
        if carried is not None:
            carrying.add(index)
        pending[index] = executor.submit(_run_task, token, carried, items[index])
        return pending[index]

    with _POOL_LOCK:
        _running_jobs["count"] += 1
    try:
        while len(results) < total:
            unfinished = [future for future in pending.values() if not future.done()]
            while submitted < total and len(unfinished) < cap:  # this job's share: `cap` tasks in the pool at once
                unfinished.append(send(submitted))
                submitted += 1
            if unfinished:
                wait(unfinished, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
            for index in [i for i, future in pending.items() if future.done()]:
                carrying.discard(index)
                try:
                    worker, ran, value = pending.pop(index).result()
                except BrokenProcessPool:
                    _replace_broken_pool(executor)
                    raise WorkersLost("A worker process of this machine's pool ended while the work ran (stopped "
                                      "from outside, out of memory, or a crash in a library); nothing from this run "
                                      "was kept. Run it again.") from None
                if ran:
                    holders.add(worker)
                    finished[index] = value
                else:  # that worker dropped this job's function (it serves other jobs too): again, with it
                    holders.discard(worker)
                    send(index, with_function=True)
            while len(results) in finished:
                results.append(finished.pop(len(results)))
                if on_result:
                    on_result(len(results) - 1, total)
            if should_stop and len(results) < total and should_stop():
                raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
    finally:
        with _POOL_LOCK:
            _running_jobs["count"] -= 1
        for future in pending.values():
            future.cancel()  # this job's only: other jobs' tasks in the pool go on
    return results


def parallel_map(function: Callable[[Item], Result], items: Iterable[Item], n_jobs: int | None = None,
                 scheduler: str | None = None, on_result: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[Result]:
    """[function(item) for item in items], in order, on the process's worker pool or on the Dask cluster at
    scheduler.

    n_jobs: at most this many of this call's tasks run at once on this machine's pool (None: all cores); ignored
    on a cluster, which uses its workers. A cluster that cannot run the work (unreachable, no workers, other
    package versions, no progress for `core.cluster.stall_seconds()`) raises ClusterError with its cause; a pool
    whose worker died raises WorkersLost.
    One item or n_jobs=1 runs in this process. on_result(index, total) is called in this process as each result
    arrives, in order (progress); should_stop() is asked between results and while tasks run, and a True stops
    the remaining work with GenerationCancelled. A stop (or any exit) cancels this call's tasks only.
    """
    from core.errors import GenerationCancelled

    items = list(items)
    jobs = check_n_jobs(n_jobs)
    results = []
    if not scheduler and (jobs == 1 or len(items) <= 1):
        function = partial(_one_thread, function)
        for index, item in enumerate(items):
            if should_stop and should_stop():
                raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
            results.append(function(item))
            if on_result:
                on_result(index, len(items))
        return results
    if scheduler:
        from core.cluster import connect
        from core.cluster_tasks import run_on_cluster

        function = partial(_one_thread, function)  # the same thread counts here, in the pool and on a cluster
        with connect(scheduler) as client:
            return run_on_cluster(client, scheduler, function, items, on_result, should_stop)
    return _run_on_pool(function, items, jobs, on_result, should_stop)
