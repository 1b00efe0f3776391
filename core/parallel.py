"""The one parallel path: folds x candidates (race, comparison repeats, leaderboard, sweep) go through joblib,
locally with `n_jobs` processes or on a Dask cluster through joblib's Dask backend when a scheduler address
is given. Every task carries its own seed, so results do not depend on scheduling or on `n_jobs`."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

from core.errors import ConfigError

Item = TypeVar("Item")
Result = TypeVar("Result")
CONNECT_TIMEOUT_S = 5


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


@contextmanager
def cluster(scheduler: str | None) -> Iterator[None]:
    """Run the joblib calls inside on the Dask cluster at `scheduler` (tcp://HOST:PORT); nothing when None.

    An unreachable or malformed address raises ConfigError: a run never falls back to this machine silently.
    """
    if not scheduler:
        yield
        return
    if "://" not in scheduler:
        raise ConfigError(f"The scheduler address '{scheduler}' is not of the form tcp://HOST:PORT.")
    import joblib
    from distributed import Client  # lazy: dask is only needed when a cluster is used

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ConfigError(f"Could not reach the Dask scheduler at '{scheduler}' within {CONNECT_TIMEOUT_S} s "
                          f"({type(exc).__name__}). Check the address and that the scheduler is running.") from None
    try:
        with joblib.parallel_config(backend="dask", client=client, wait_for_workers_timeout=CONNECT_TIMEOUT_S * 6):
            yield
    finally:
        client.close()


def parallel_map(function: Callable[[Item], Result], items: Iterable[Item], n_jobs: int | None = None,
                 scheduler: str | None = None, on_result: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[Result]:
    """[function(item) for item in items], in order, through joblib (processes, or the Dask cluster).

    n_jobs: worker processes on this machine (None: all cores); ignored on a cluster, which uses its workers.
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
    import joblib

    with cluster(scheduler):
        outputs = joblib.Parallel(n_jobs=-1 if scheduler else min(jobs, len(items)), return_as="generator")(
            joblib.delayed(function)(item) for item in items)
        for index, result in enumerate(outputs):
            results.append(result)
            if on_result:
                on_result(index, len(items))
            if should_stop and should_stop() and index < len(items) - 1:
                outputs.close()  # cancels what has not started
                raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
    return results
