"""Running our tasks on a connected Dask cluster, and what happens when it fails: one scatter of the function, one
future per item, results delivered in order; a cluster that makes no progress for `stall_seconds()` (no worker, a
dead or frozen worker, a task it cannot deserialise, a scheduler that stopped answering) is a ClusterError naming
the cause from the cluster's log, never a silent wait; work it drops is sent once more; each task checks the
package versions of the worker it runs on (core.cluster_code) before it runs.
"""
from __future__ import annotations

import time
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from core.cluster import CONNECT_TIMEOUT_S, one_line, stall_seconds, wait_for_workers
from core.cluster_code import check_versions_here, expected_versions
from core.errors import ClusterError, GenerationCancelled, SynthBalanceError

if TYPE_CHECKING:  # dask is imported lazily: only a cluster run pays for it
    from distributed import Client

POLL_S = 0.1


def _apply(function: Callable, item, versions: Mapping[str, str | None]):
    """One task on a worker: the function is sent once (scattered), each item with its own seed; the worker's
    package versions are checked first (a worker may have joined after the connect-time check)."""
    check_versions_here(versions)
    return function(item)


class _Heartbeats:
    """When each worker was last heard from, on this machine's clock. The scheduler's `last_seen` for a worker
    (the time of its last heartbeat, on the scheduler's clock) is only compared with its own previous value, so
    the two machines' clocks never meet."""

    def __init__(self) -> None:
        self.changed: dict[str, tuple[float | None, float]] = {}  # address -> (last_seen, our time it changed)

    def update(self, workers: Mapping) -> None:
        now = time.monotonic()
        for address, info in workers.items():
            last_seen = (info or {}).get("last_seen")
            if address not in self.changed or self.changed[address][0] != last_seen:
                self.changed[address] = (last_seen, now)

    def silent_for(self, address: str) -> float:
        """Seconds since the worker's last heartbeat changed (0 for one first seen now)."""
        return time.monotonic() - self.changed[address][1] if address in self.changed else 0.0


def _last_error(client: Client) -> str | None:
    """The last ERROR line of the scheduler's or a worker's log (the cluster's own account), if it answers."""
    lines = []
    try:
        lines += [line for _, line in client.sync(client.scheduler.logs, n=200, callback_timeout=CONNECT_TIMEOUT_S)]
        workers = client.sync(client.scheduler.worker_logs, n=200, callback_timeout=CONNECT_TIMEOUT_S) or {}
        lines += [line for logs in workers.values() for _, line in logs]
    except Exception:  # the cluster no longer answers: the caller says so
        pass
    errors = sorted((line for line in lines if " - ERROR - " in line or " - CRITICAL - " in line), reverse=True)
    return " ".join(errors[0].split(" - ", 3)[-1].split()) if errors else None


def _stall_cause(client: Client, scheduler: str, heartbeats: _Heartbeats | None = None,
                 stall: float = 0.0) -> str:
    try:
        identity = client.sync(client.scheduler.identity, callback_timeout=CONNECT_TIMEOUT_S)
    except Exception:
        return f"the scheduler at '{scheduler}' does not answer"
    workers = identity.get("workers") or {}
    silent = []
    if heartbeats is not None:
        heartbeats.update(workers)
        silent = [f"{address} ({heartbeats.silent_for(address):.0f} s)" for address in sorted(workers)
                  if heartbeats.silent_for(address) > stall]
    if not workers:
        cause = "it has no workers left"
    elif silent:
        cause = (f"{len(silent)} of its {len(workers)} worker(s) have not been heard from (frozen, or cut off by "
                 f"the network): {', '.join(silent[:3])}")
    else:
        cause = f"its {len(workers)} worker(s) finished nothing"
    error = _last_error(client)
    return cause + (f"; its log says: {error}" if error else "")


def _raise_task_failure(future, scheduler: str) -> None:
    """Raise what a failed task raised: our own errors (and bugs) as they are, as on this machine; a failure of
    the cluster (a task it could not deserialise, a worker killed, a module it lacks) as a ClusterError with its
    cause."""
    from distributed import KilledWorker

    exc = future.exception()
    cluster_side = isinstance(exc, (KilledWorker, ImportError, OSError)) or "deserializ" in str(exc)
    if isinstance(exc, SynthBalanceError) or not cluster_side:
        future.result()  # re-raises with the task's traceback
    cause = exc.__cause__ or exc.__context__
    detail = " ".join(str(exc).split("\n")[0].split())
    if cause is not None:
        detail += f" ({type(cause).__name__}: {cause})"
    raise ClusterError(f"The Dask cluster at '{scheduler}' could not run a task: {type(exc).__name__}: {detail}")


def _running(client: Client, futures: list, heartbeats: _Heartbeats, stall: float) -> bool:
    """True when a worker that was heard from within `stall` seconds is executing one of our tasks (asked with a
    time limit). A frozen worker keeps its tasks "processing" until the scheduler drops it (5 minutes by
    default): without its heartbeat, that is no progress."""
    try:
        processing = client.sync(client.scheduler.processing, callback_timeout=CONNECT_TIMEOUT_S)
        identity = client.sync(client.scheduler.identity, callback_timeout=CONNECT_TIMEOUT_S)
    except Exception:  # the scheduler does not answer: no progress
        return False
    heartbeats.update(identity.get("workers") or {})
    ours = {str(f.key) for f in futures if not f.done()}
    return any(heartbeats.silent_for(worker) <= stall and any(str(key) in ours for key in keys)
               for worker, keys in (processing or {}).items())


class _LostWork(Exception):
    """The cluster dropped our tasks (their scattered input was lost with the workers that held it)."""


def _submit(client: Client, scheduler: str, function: Callable, items: Sequence, stall: float) -> tuple:
    """Scatter the function once, one task per item: (the scattered future, the task futures)."""
    try:
        sent = client.scatter(function, hash=False, timeout=stall)
        versions = expected_versions()
        return sent, [client.submit(_apply, sent, item, versions, pure=False) for item in items]
    except Exception as exc:  # the cluster could not take the work (a worker that cannot read it, a timeout)
        raise ClusterError(f"The Dask cluster at '{scheduler}' could not receive the work: "
                           f"{one_line(exc)}") from None


def run_on_cluster(client: Client, scheduler: str, function: Callable, items: Sequence,
                   on_result: Callable[[int, int], None] | None = None,
                   should_stop: Callable[[], bool] | None = None, stall: float | None = None) -> list:
    """[function(item) for item in items] on the cluster, in order; on_result(index, total) as each result is
    delivered in order (like joblib's generator here), should_stop() asked between results.

    `stall` seconds (default stall_seconds()) with no task finished and none executing on a worker heard from
    within `stall` seconds (no workers, all dead or frozen, a scheduler that does not answer) stop the run with a
    ClusterError naming the cause. Work the cluster drops (its workers killed: the scattered input is lost with
    them, even when their nanny restarts them) is sent again once; dropped a second time, it is a ClusterError.
    Each task checks its worker's package versions against ours before it runs."""
    stall = stall_seconds() if stall is None else stall
    items = list(items)
    results: list = []
    for attempt in (1, 2):
        try:
            return _run_once(client, scheduler, function, items, results, on_result, should_stop, stall)
        except _LostWork:
            if attempt == 2:
                raise ClusterError(f"The Dask cluster at '{scheduler}' dropped the work twice "
                                   f"({_stall_cause(client, scheduler)}).") from None
            wait_for_workers(client, scheduler, stall)  # the nanny restarts killed workers: send it again
    raise AssertionError("unreachable")


def _run_once(client: Client, scheduler: str, function: Callable, items: list, results: list,
              on_result: Callable[[int, int], None] | None, should_stop: Callable[[], bool] | None,
              stall: float) -> list:
    """Send items[len(results):] and deliver their results into `results`; _LostWork when the cluster drops
    them."""
    first = len(results)
    sent, futures = _submit(client, scheduler, function, items[first:], stall)
    heartbeats = _Heartbeats()
    delivered, finished = 0, 0
    last_progress = time.monotonic()
    try:
        while delivered < len(futures):
            done_now = sum(f.done() for f in futures)
            if done_now > finished:
                finished, last_progress = done_now, time.monotonic()
            elif time.monotonic() - last_progress > min(stall / 2, 5) and _running(client, futures, heartbeats,
                                                                                    stall):
                last_progress = time.monotonic()  # a long task on a live worker is progress too
            if sent.status in ("cancelled", "lost") or any(f.status == "cancelled" for f in futures):
                raise _LostWork()
            for future in futures:
                if future.status == "error":
                    _raise_task_failure(future, scheduler)
            while delivered < len(futures) and futures[delivered].status == "finished":
                results.append(futures[delivered].result())
                if on_result:
                    on_result(first + delivered, len(items))
                delivered += 1
                if should_stop and should_stop() and first + delivered < len(items):
                    raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
            if delivered < len(futures):
                if time.monotonic() - last_progress > stall:
                    raise ClusterError(f"No progress on the Dask cluster at '{scheduler}' for {stall:g} s: "
                                       f"{_stall_cause(client, scheduler, heartbeats, stall)}.")
                time.sleep(POLL_S)
    except CancelledError:  # a result the cluster dropped between two looks at its status
        raise _LostWork() from None
    finally:
        try:
            client.cancel([f for f in futures if not f.done()] + [sent], force=True)
        except Exception:  # noqa: BLE001 - a scheduler that is gone has nothing left to cancel
            pass
    return results
