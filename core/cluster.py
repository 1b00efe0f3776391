"""A plain Dask cluster for the parallel path: connect, check it, ship our code to it, run tasks on it.

A cluster built from `pip install -r requirements.txt` on each machine has the pinned packages but not our source:
at connect time the client uploads a zip of the `core` package to the scheduler and every worker (the scheduler
deserialises the task graph, so it needs `core` too), after checking that the packages which decide a figure have
our versions. While tasks run, a cluster that makes no progress for `stall_seconds()` (no worker, a dead worker,
a task that cannot be deserialised, a scheduler that stopped answering) is reported as a ClusterError naming the
cause from the cluster's log, never a silent wait.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import time
import zipfile
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

from core.errors import ConfigError, GenerationCancelled, SynthBalanceError

if TYPE_CHECKING:  # dask is imported lazily: only a cluster run pays for it
    from distributed import Client

CONNECT_TIMEOUT_S = 5
DEFAULT_STALL_S = 60.0
STALL_ENV = "SYNTHBALANCE_CLUSTER_TIMEOUT_S"
CLUSTERS_ENV = "SYNTHBALANCE_CLUSTERS"
CODE_KEY = ("synthbalance", "core_sha256")  # scheduler metadata: the fingerprint of the code shipped there
# The packages whose version decides a figure (and how pickles of their objects read): the cluster must have ours.
CHECKED_PACKAGES = ("scikit-learn", "imbalanced-learn", "numpy", "pandas", "torch", "ctgan")
POLL_S = 0.1
CORE_DIR = Path(__file__).resolve().parent


class ClusterError(SynthBalanceError, RuntimeError):
    """The Dask cluster cannot run our tasks (unreachable, no workers, other versions, a failure on its side)."""


def stall_seconds() -> float:
    """Seconds a cluster run may go without a finished task before it is stopped with the cluster's cause.

    60 s, or the environment variable SYNTHBALANCE_CLUSTER_TIMEOUT_S (a positive number of seconds)."""
    text = os.environ.get(STALL_ENV, "").strip()
    if not text:
        return DEFAULT_STALL_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"{STALL_ENV} must be a positive number of seconds; got '{text}'.")
    return seconds


def parse_clusters(text: str) -> dict[str, str]:
    """Named cluster addresses from 'name=tcp://host:port,other=tcp://host:port' (server configuration).

    A malformed entry is refused: this list is what the app lets its users choose, nothing else."""
    clusters = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        name, sep, address = (part.strip() for part in entry.partition("="))
        if not sep or not name or not address:
            raise ConfigError(f"A configured cluster must read name=tcp://HOST:PORT; got '{entry}'.")
        clusters[name] = address
    return clusters


def configured_clusters(secrets: Mapping | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The clusters the server's owner allows: the [clusters] table of secrets (name = "tcp://host:port"),
    then SYNTHBALANCE_CLUSTERS in the environment (same names win from the environment). Empty: none."""
    clusters = {str(name).strip(): str(address).strip() for name, address in dict(secrets or {}).items()}
    clusters.update(parse_clusters((os.environ if environ is None else environ).get(CLUSTERS_ENV, "")))
    return {name: address for name, address in clusters.items() if name and address}


def check_address(scheduler: str) -> str:
    """The address as given when it reads like tcp://HOST:PORT (any Dask protocol); ConfigError otherwise."""
    scheduler = scheduler.strip()
    if "://" not in scheduler or not scheduler.split("://", 1)[1]:
        raise ConfigError(f"The scheduler address '{scheduler}' is not of the form tcp://HOST:PORT.")
    return scheduler


def code_fingerprint(package: Path = CORE_DIR) -> str:
    """SHA-256 of our package's Python files (relative path and bytes, in path order): the code a cluster runs."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_zip(folder: Path, fingerprint: str, package: Path = CORE_DIR) -> Path:
    """A zip of our package's Python files, importable as `core` once on sys.path (what Client.upload_file does)."""
    path = folder / f"synthbalance_core_{fingerprint[:12]}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(package.rglob("*.py")):
            archive.write(source, source.relative_to(package.parent).as_posix())
    return path


def _our_version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def version_mismatches(versions: Mapping, packages: Sequence[str] = CHECKED_PACKAGES) -> list[str]:
    """One sentence per package whose version on the scheduler or a worker differs from ours.

    versions: what Client.get_versions returns ({'scheduler': {'packages': {...}}, 'workers': {address: ...}})."""
    machines = [("the scheduler", versions.get("scheduler") or {})]
    machines += [(f"worker {address}", info or {}) for address, info in sorted((versions.get("workers") or {}).items())]
    problems = []
    for package in packages:
        ours = _our_version(package)
        for machine, info in machines:
            theirs = (info.get("packages") or {}).get(package)
            if theirs != ours:
                problems.append(f"{package} is {theirs or 'not installed'} on {machine}, ours is {ours or 'none'}")
    return problems


def _in_our_process(client: Client) -> bool:
    """True for an in-process cluster (LocalCluster(processes=False)): it already has our imports."""
    here = (socket.gethostname(), os.getpid())
    return client.run_on_scheduler(os.getpid) == here[1] and client.run_on_scheduler(socket.gethostname) == here[0]


def _refuse_other_code(client: Client, scheduler: str) -> bool:
    """True when the cluster already holds our code (or shares this process); False when it holds none.

    A cluster that runs another version of our code is refused: one worker process cannot import two versions
    of `core`, and the tasks would silently run the other one."""
    if _in_our_process(client):
        return True
    ours, theirs = code_fingerprint(), client.get_metadata(list(CODE_KEY), None)
    if theirs is not None and theirs != ours:
        raise ClusterError(f"The Dask cluster at '{scheduler}' already runs another version of SynthBalance's code "
                           f"(fingerprint {str(theirs)[:12]}, ours {ours[:12]}); a worker cannot hold two versions. "
                           "Restart that cluster or use another one.")
    return theirs == ours


def _ship_code(client: Client, scheduler: str) -> None:
    """Upload our package to the scheduler and every worker (workers that join later get it too)."""
    fingerprint = code_fingerprint()
    with tempfile.TemporaryDirectory() as folder:
        try:
            client.upload_file(str(code_zip(Path(folder), fingerprint)))
        except Exception as exc:  # a machine that cannot import it says why
            raise ClusterError(f"Could not install SynthBalance's code on the Dask cluster at '{scheduler}': "
                               f"{type(exc).__name__}: {exc}") from None
    client.set_metadata(list(CODE_KEY), fingerprint)


def _wait_for_workers(client: Client, scheduler: str, seconds: float) -> None:
    try:
        client.wait_for_workers(1, timeout=seconds)
    except (TimeoutError, OSError):
        raise ClusterError(f"The Dask cluster at '{scheduler}' has no workers (none joined within {seconds:g} s). "
                           f"Start one with: dask worker {scheduler}") from None


@contextmanager
def _quiet_distributed_logs() -> Iterator[None]:
    """distributed logs its own reconnect attempts and errors to stderr; ours is the one line the user reads
    (with the cluster's cause in it), so its loggers are silenced while we are connected."""
    names = ["distributed", *(n for n in list(logging.root.manager.loggerDict) if n.startswith("distributed."))]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextmanager
def connect(scheduler: str) -> Iterator[Client]:
    """A Client on the cluster at `scheduler`, checked (workers, package versions) and holding our code.

    Every failure is a ClusterError (or ConfigError for a malformed address) with one clear sentence; a run
    never falls back to this machine silently."""
    scheduler = check_address(scheduler)
    stall = stall_seconds()
    from distributed import Client  # lazy: dask is only needed when a cluster is used

    with _quiet_distributed_logs(), _client(Client, scheduler, stall) as client:
        yield client


@contextmanager
def _client(client_class: type, scheduler: str, stall: float) -> Iterator[Client]:
    try:
        client = client_class(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ClusterError(f"Could not reach the Dask scheduler at '{scheduler}' within {CONNECT_TIMEOUT_S} s "
                           f"({type(exc).__name__}). Check the address and that the scheduler is running.") from None
    try:
        shipped = _refuse_other_code(client, scheduler)
        _wait_for_workers(client, scheduler, stall)
        mismatches = version_mismatches(client.get_versions(packages=list(CHECKED_PACKAGES)))
        if mismatches:
            raise ClusterError(f"The Dask cluster at '{scheduler}' has other package versions than this machine: "
                               f"{'; '.join(mismatches[:3])}{' (and more)' if len(mismatches) > 3 else ''}. "
                               "Install requirements.txt on every machine of the cluster.")
        if not shipped:
            _ship_code(client, scheduler)
        yield client
    finally:
        client.close(timeout=CONNECT_TIMEOUT_S)


def _apply(function: Callable, item):
    """One task on a worker: the function is sent once (scattered), each item with its own seed."""
    return function(item)


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


def _stall_cause(client: Client, scheduler: str) -> str:
    try:
        identity = client.sync(client.scheduler.identity, callback_timeout=CONNECT_TIMEOUT_S)
    except Exception:
        return f"the scheduler at '{scheduler}' does not answer"
    workers = len(identity.get("workers", {}))
    cause = "it has no workers left" if not workers else f"its {workers} worker(s) finished nothing"
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


def _running(client: Client, futures: list) -> bool:
    """True when a worker the scheduler still counts is executing one of our tasks (asked with a time limit)."""
    try:
        processing = client.sync(client.scheduler.processing, callback_timeout=CONNECT_TIMEOUT_S)
    except Exception:  # the scheduler does not answer: no progress
        return False
    ours = {str(f.key) for f in futures if not f.done()}
    return any(str(key) in ours for keys in (processing or {}).values() for key in keys)


def run_on_cluster(client: Client, scheduler: str, function: Callable, items: Sequence,
                   on_result: Callable[[int, int], None] | None = None,
                   should_stop: Callable[[], bool] | None = None, stall: float | None = None) -> list:
    """[function(item) for item in items] on the cluster, in order; on_result(index, total) as each result is
    delivered in order (like joblib's generator here), should_stop() asked between results.

    `stall` seconds (default stall_seconds()) with no task finished and none executing on a live worker (no
    workers, all dead, a scheduler that does not answer) stop the run with a ClusterError naming the cause."""
    stall = stall_seconds() if stall is None else stall
    try:
        sent = client.scatter(function, hash=False, timeout=stall)
        futures = [client.submit(_apply, sent, item, pure=False) for item in items]
    except Exception as exc:  # the cluster could not take the work (a worker that cannot read it, a timeout)
        raise ClusterError(f"The Dask cluster at '{scheduler}' could not receive the work: "
                           f"{' '.join(str(exc).split()) or type(exc).__name__}") from None
    results, delivered, finished = [], 0, 0
    last_progress = time.monotonic()
    try:
        while delivered < len(futures):
            done_now = sum(f.done() for f in futures)
            if done_now > finished:
                finished, last_progress = done_now, time.monotonic()
            elif time.monotonic() - last_progress > min(stall / 2, 5) and _running(client, futures):
                last_progress = time.monotonic()  # a long task on a live worker is progress too
            for future in futures:
                if future.status in ("error", "cancelled"):
                    if future.status == "cancelled":
                        raise ClusterError(f"The Dask cluster at '{scheduler}' dropped the work "
                                           f"({_stall_cause(client, scheduler)}).")
                    _raise_task_failure(future, scheduler)
            while delivered < len(futures) and futures[delivered].status == "finished":
                results.append(futures[delivered].result())
                if on_result:
                    on_result(delivered, len(futures))
                delivered += 1
                if should_stop and should_stop() and delivered < len(futures):
                    raise GenerationCancelled("Stopped before the work was done; nothing was kept.")
            if delivered < len(futures):
                if time.monotonic() - last_progress > stall:
                    raise ClusterError(f"No progress on the Dask cluster at '{scheduler}' for {stall:g} s: "
                                       f"{_stall_cause(client, scheduler)}.")
                time.sleep(POLL_S)
    finally:
        client.cancel([f for f in futures if not f.done()], force=True)
    return results
