"""The one parallel path: folds x candidates (race, comparison repeats, leaderboard, sweep) go through joblib
locally with `n_jobs` processes, or to a Dask cluster (`core.cluster`: our code shipped, versions checked, a
bounded wait) when a scheduler address is given. Every task carries its own seed, so results do not depend on
scheduling, on `n_jobs` or on where they ran."""
from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from functools import partial
from typing import Callable, Iterable, Iterator, TypeVar

from core.errors import ConfigError

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


def parallel_map(function: Callable[[Item], Result], items: Iterable[Item], n_jobs: int | None = None,
                 scheduler: str | None = None, on_result: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[Result]:
    """[function(item) for item in items], in order, through joblib processes or on the Dask cluster at scheduler.

    n_jobs: worker processes on this machine (None: all cores); ignored on a cluster, which uses its workers.
    A cluster that cannot run the work (unreachable, no workers, other package versions, no progress for
    `core.cluster.stall_seconds()`) raises ClusterError with its cause.
    One item or n_jobs=1 runs in this process. on_result(index, total) is called in this process as each result
    arrives (progress); should_stop() is asked between results, and a True stops the remaining work with
    GenerationCancelled.
    """
    from core.errors import GenerationCancelled

    items = list(items)
    jobs = check_n_jobs(n_jobs)
    function = partial(_one_thread, function)  # the same thread counts here, in joblib's workers and on a cluster
    results = []
    if not scheduler and (jobs == 1 or len(items) <= 1):
        for index, item in enumerate(items):
            if should_stop and should_stop():
                raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
            results.append(function(item))
            if on_result:
                on_result(index, len(items))
        return results
    if scheduler:
        from core.cluster import connect, run_on_cluster

        with connect(scheduler) as client:
            return run_on_cluster(client, scheduler, function, items, on_result, should_stop)
    import joblib

    outputs = joblib.Parallel(n_jobs=min(jobs, len(items)), return_as="generator")(
        joblib.delayed(function)(item) for item in items)
    for index, result in enumerate(outputs):
        results.append(result)
        if on_result:
            on_result(index, len(items))
        if should_stop and should_stop() and index < len(items) - 1:
            outputs.close()  # cancels what has not started
            raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
    return results
