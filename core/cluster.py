"""A plain Dask cluster for the parallel path: connect, check it, ship our code to it, run tasks on it.

A cluster built from `pip install -r requirements.txt` on each machine has the pinned packages but not our source:
at connect time the client uploads a zip of the `core` package to the scheduler and every worker (the scheduler
deserialises the task graph, so it needs `core` too), after checking that the packages which decide a figure have
our versions. While tasks run, a cluster that makes no progress for `stall_seconds()` (no worker, a dead worker,
a task that cannot be deserialised, a scheduler that stopped answering) is reported as a ClusterError naming the
cause from the cluster's log, never a silent wait. Every wait is bounded: the connect and its handshake (a port
that is not a Dask scheduler), a worker that stopped answering (frozen, cut off), and each task checks the package
versions of the worker it runs on (a worker that joined after the connect-time check).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import socket
import tempfile
import threading
import time
import zipfile
from concurrent.futures import CancelledError
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from core.errors import ConfigError, GenerationCancelled, SynthBalanceError

if TYPE_CHECKING:  # dask is imported lazily: only a cluster run pays for it
    from distributed import Client

CONNECT_TIMEOUT_S = 5
CONNECT_BOUND_S = 15.0  # the whole connect and handshake, at most (less when the stall bound is less)
DEFAULT_STALL_S = 60.0
STALL_ENV = "SYNTHBALANCE_CLUSTER_TIMEOUT_S"
CLUSTERS_ENV = "SYNTHBALANCE_CLUSTERS"
CODE_KEY = ("synthbalance", "core_sha256")  # scheduler metadata: the fingerprint of the code shipped there
# The packages whose version decides a figure (and how pickles of their objects read): the cluster must have ours.
CHECKED_PACKAGES = ("scikit-learn", "imbalanced-learn", "numpy", "pandas", "torch", "ctgan")
POLL_S = 0.1
CORE_DIR = Path(__file__).resolve().parent
# The protocols a scheduler address may name (Dask's own: tcp, tls, ws, wss; inproc for an in-process cluster).
PROTOCOLS = ("tcp", "tls", "ws", "wss")


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
    """The address as given when it reads PROTOCOL://HOST:PORT (tcp, tls, ws, wss; a port from 1 to 65535);
    ConfigError otherwise, before anything connects (Dask itself waits out its connect timeout on a malformed one).
    An in-process cluster's inproc:// address is taken as it is."""
    scheduler = scheduler.strip()
    if scheduler.startswith("inproc://") and len(scheduler) > len("inproc://"):
        return scheduler
    problem = f"The scheduler address '{scheduler}' is not of the form tcp://HOST:PORT"
    parts = urlsplit(scheduler)
    if "://" not in scheduler or parts.scheme not in PROTOCOLS:
        raise ConfigError(f"{problem}: it must start with one of {', '.join(p + '://' for p in PROTOCOLS)}.")
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = 0
    if not parts.hostname or not port or parts.path not in ("", "/") or parts.query or parts.fragment \
            or parts.username is not None:
        raise ConfigError(f"{problem} (a host, then a port number from 1 to 65535, nothing else).")
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
        return importlib.metadata.version(package)  # looked up at call time: the version this process sees
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def _versions_here(packages: tuple[str, ...]) -> dict[str, str | None]:
    """The versions of `packages` in this process (a worker's installed packages do not change while it runs)."""
    return {package: _our_version(package) for package in packages}


def check_versions_here(expected: Mapping[str, str | None]) -> None:
    """Raise ClusterError when this process (a worker running one of our tasks) has other versions of the
    packages that decide a figure than the machine that sent the task (`expected`, package -> version).

    Checked inside every task, so a worker that joined after the connect-time check runs nothing of ours."""
    here = _versions_here(tuple(sorted(expected)))
    problems = [f"{package} is {here[package] or 'not installed'} there, ours is {ours or 'none'}"
                for package, ours in sorted(expected.items()) if here[package] != ours]
    if problems:
        try:
            from distributed import get_worker

            where = f"The Dask worker {get_worker().address}"
        except (ImportError, ValueError):
            where = "A Dask worker"
        raise ClusterError(f"{where} has other package versions than this machine: {'; '.join(problems[:3])}"
                           f"{' (and more)' if len(problems) > 3 else ''}. It ran none of the work. "
                           "Install requirements.txt on every machine of the cluster.")


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
        _within(seconds + CONNECT_TIMEOUT_S, lambda: client.wait_for_workers(1, timeout=seconds))
    except (_Late, TimeoutError, OSError):
        raise ClusterError(f"The Dask cluster at '{scheduler}' has no workers (none joined within {seconds:g} s). "
                           f"Start one with: dask worker {scheduler}") from None
    except Exception as exc:  # noqa: BLE001
        raise ClusterError(f"The Dask cluster at '{scheduler}' failed while waiting for workers "
                           f"({type(exc).__name__}: {_one_line(exc)}).") from None


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


class _Late(Exception):
    """A bounded call did not return in time (raised by _within only, never by the call itself)."""


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _within(seconds: float, call: Callable, on_late: Callable | None = None):
    """call() in a daemon thread, waited for at most `seconds`: its result, or what it raised, or _Late.

    distributed's own timeouts do not cover every read (a port that accepts and never answers left a connect
    waiting for over 10 minutes), so the wait is bounded here. A call that returns after we gave up hands its
    result to on_late (to close a Client nobody will use)."""
    outcome: dict = {}
    lock, done = threading.Lock(), threading.Event()

    def calling() -> None:
        try:
            result = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as it is
            outcome["error"] = exc
        else:
            with lock:
                outcome["result"] = result
                late = outcome.get("given_up", False)
            if late and on_late is not None:
                on_late(result)
        finally:
            done.set()

    threading.Thread(target=calling, name="synthbalance-cluster-call", daemon=True).start()
    if not done.wait(seconds):
        with lock:
            if "result" not in outcome and "error" not in outcome:
                outcome["given_up"] = True
                raise _Late()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _close_quietly(client: Client) -> None:
    try:
        client.close(timeout=CONNECT_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - a client nobody uses any more; its cluster may be gone
        pass


def _abandon(client: Client) -> None:
    """Let go of a Client whose connect failed or never ended: closed as far as it goes in 2 s, then marked
    closed, so that its __del__ (at the end of the process) does not wait 10 s and print a traceback."""
    try:
        client.close(timeout=2)
    except Exception:  # noqa: BLE001 - it never connected: there is nothing to close gracefully
        pass
    client.status = "closed"
    try:
        client._loop_runner.stop()  # its event loop thread, which holds the half-open connection
    except Exception:  # noqa: BLE001
        pass


@functools.lru_cache(maxsize=1)
def _client_class() -> type:
    """distributed.Client, which lets go of itself when its connect fails (see _abandon)."""
    from distributed import Client

    class OurClient(Client):
        def __init__(self, *args, opening: list | None = None, **kwargs) -> None:
            if opening is not None:
                opening.append(self)  # so that a connect we stop waiting for can still be let go of
            try:
                super().__init__(*args, **kwargs)
            except BaseException:
                _abandon(self)
                raise

    return OurClient


def _open(client_class: type, scheduler: str, bound: float) -> Client:
    """A Client connected to `scheduler`, its handshake done within `bound` seconds; ClusterError otherwise."""
    opening: list = []
    try:
        return _within(bound, lambda: client_class(scheduler, timeout=min(CONNECT_TIMEOUT_S, bound),
                                                   set_as_default=False, opening=opening), on_late=_close_quietly)
    except _Late:
        for client in opening:
            _abandon(client)
        raise ClusterError(f"'{scheduler}' is not answering as a Dask scheduler (no handshake within {bound:g} s). "
                           "Check the address and port: a scheduler listens on 8786 unless told otherwise, its "
                           "dashboard (a web page, not the scheduler) on 8787.") from None
    except Exception as exc:  # noqa: BLE001 - whatever the other end did (HTTP, garbage, refused): one sentence
        raise ClusterError(f"Could not reach the Dask scheduler at '{scheduler}' ({type(exc).__name__}: "
                           f"{_one_line(exc)}). Check the address and that a Dask scheduler runs there.") from None


def _checked(scheduler: str, bound: float, what: str, call: Callable):
    """call() (a request to a scheduler that answered the handshake) within `bound` seconds; its failures, and
    a scheduler that stops answering, as one ClusterError."""
    try:
        return _within(bound, call)
    except _Late:
        raise ClusterError(f"The Dask scheduler at '{scheduler}' stopped answering while {what} "
                           f"(nothing within {bound:g} s).") from None
    except SynthBalanceError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ClusterError(f"The Dask cluster at '{scheduler}' failed while {what} ({type(exc).__name__}: "
                           f"{_one_line(exc)}).") from None


# The clients held open for the current command (address -> (its ExitStack, the Client)); None outside one.
_HELD: ContextVar[dict | None] = ContextVar("synthbalance_cluster_clients", default=None)


@contextmanager
def one_client_per_command(scheduler: str | None = None) -> Iterator[None]:
    """Within this block every connect(address) shares one checked Client per address, closed when it ends: a
    command (compare: race, repeats, leaderboard) opens one connection, not one per parallel step.

    A malformed `scheduler` is refused here, before anything is read or connected."""
    if scheduler:
        check_address(scheduler)
    held: dict = {}
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
        for stack, _ in reversed(list(held.values())):
            stack.close()


@contextmanager
def connect(scheduler: str) -> Iterator[Client]:
    """A Client on the cluster at `scheduler`, checked (workers, package versions) and holding our code.

    Every failure is a ClusterError (or ConfigError for a malformed address) with one clear sentence, within a
    bounded time; a run never falls back to this machine silently. Inside one_client_per_command, the client
    is opened once and shared."""
    scheduler = check_address(scheduler)
    held = _HELD.get()
    if held is None:
        with _connected(scheduler) as client:
            yield client
        return
    if scheduler not in held:
        stack = ExitStack()
        try:
            client = stack.enter_context(_connected(scheduler))
        except BaseException:
            stack.close()
            raise
        held[scheduler] = (stack, client)
    yield held[scheduler][1]


@contextmanager
def _connected(scheduler: str) -> Iterator[Client]:
    stall = stall_seconds()
    client_class = _client_class()  # imports distributed (lazily: only a cluster run pays for it), then its
    with _quiet_distributed_logs(), _client(client_class, scheduler, stall) as client:  # loggers are quieted
        yield client


@contextmanager
def _client(client_class: type, scheduler: str, stall: float) -> Iterator[Client]:
    bound = min(stall, CONNECT_BOUND_S)
    client = _open(client_class, scheduler, bound)
    try:
        shipped = _checked(scheduler, bound, "checking its code", lambda: _refuse_other_code(client, scheduler))
        _wait_for_workers(client, scheduler, stall)
        versions = _checked(scheduler, bound, "asking its package versions",
                            lambda: client.get_versions(packages=list(CHECKED_PACKAGES)))
        mismatches = version_mismatches(versions)
        if mismatches:
            raise ClusterError(f"The Dask cluster at '{scheduler}' has other package versions than this machine: "
                               f"{'; '.join(mismatches[:3])}{' (and more)' if len(mismatches) > 3 else ''}. "
                               "Install requirements.txt on every machine of the cluster.")
        if not shipped:
            _checked(scheduler, stall, "installing our code", lambda: _ship_code(client, scheduler))
        yield client
    finally:
        try:
            _within(CONNECT_TIMEOUT_S, lambda: client.close(timeout=CONNECT_TIMEOUT_S))
        except BaseException:  # noqa: BLE001 - closing a client whose cluster is gone or frozen: nothing to keep
            pass


def _expected_versions() -> dict[str, str | None]:
    """Our versions of the packages that decide a figure: what every task checks on its worker."""
    return dict(_versions_here(CHECKED_PACKAGES))


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
        versions = _expected_versions()
        return sent, [client.submit(_apply, sent, item, versions, pure=False) for item in items]
    except Exception as exc:  # the cluster could not take the work (a worker that cannot read it, a timeout)
        raise ClusterError(f"The Dask cluster at '{scheduler}' could not receive the work: "
                           f"{_one_line(exc)}") from None


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
            _wait_for_workers(client, scheduler, stall)  # the nanny restarts killed workers: send it again
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
