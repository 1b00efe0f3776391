"""The one parallel path: folds x candidates (race, comparison repeats, leaderboard, sweep) go through joblib
locally with `n_jobs` processes, or to a Dask cluster (`core.cluster`: our code shipped, versions checked, a
bounded wait) when a scheduler address is given. Every task carries its own seed, so results do not depend on
scheduling, on `n_jobs` or on where they ran."""
from __future__ import annotations

import os
from typing import Callable, Iterable, TypeVar

from core.errors import ConfigError

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
