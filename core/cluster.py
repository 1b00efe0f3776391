"""A plain Dask cluster for the parallel path: which clusters may be used, and connecting to one, every wait
bounded.

The addresses a server allows (secrets, SYNTHBALANCE_CLUSTERS) and the form an address must have, checked before
anything connects; then a Client whose connect and handshake (a port that is not a Dask scheduler), wait for workers
and questions to the scheduler each finish within a bound, with the cluster's own cause in one ClusterError; our
code shipped and the package versions checked (core.cluster_code) before it is used, one Client per command.
Running tasks on it and its failures while they run: core.cluster_tasks.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Callable, Iterator, Mapping
from urllib.parse import urlsplit

from core.cluster_code import CHECKED_PACKAGES, refuse_other_code, ship_code, version_mismatches
from core.errors import ClusterError, ConfigError, SynthBalanceError

if TYPE_CHECKING:  # dask is imported lazily: only a cluster run pays for it
    from distributed import Client

CONNECT_TIMEOUT_S = 5
CONNECT_BOUND_S = 15.0  # the whole connect and handshake, at most (less when the stall bound is less)
DEFAULT_STALL_S = 60.0
STALL_ENV = "SYNTHBALANCE_CLUSTER_TIMEOUT_S"
CLUSTERS_ENV = "SYNTHBALANCE_CLUSTERS"
# The protocols a scheduler address may name (Dask's own: tcp, tls, ws, wss; inproc for an in-process cluster).
PROTOCOLS = ("tcp", "tls", "ws", "wss")


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


def wait_for_workers(client: Client, scheduler: str, seconds: float) -> None:
    try:
        _within(seconds + CONNECT_TIMEOUT_S, lambda: client.wait_for_workers(1, timeout=seconds))
    except (_Late, TimeoutError, OSError):
        raise ClusterError(f"The Dask cluster at '{scheduler}' has no workers (none joined within {seconds:g} s). "
                           f"Start one with: dask worker {scheduler}") from None
    except Exception as exc:  # noqa: BLE001
        raise ClusterError(f"The Dask cluster at '{scheduler}' failed while waiting for workers "
                           f"({type(exc).__name__}: {one_line(exc)}).") from None


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


def one_line(exc: BaseException, limit: int = 200) -> str:
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
                           f"{one_line(exc)}). Check the address and that a Dask scheduler runs there.") from None


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
                           f"{one_line(exc)}).") from None


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
        shipped = _checked(scheduler, bound, "checking its code", lambda: refuse_other_code(client, scheduler))
        wait_for_workers(client, scheduler, stall)
        versions = _checked(scheduler, bound, "asking its package versions",
                            lambda: client.get_versions(packages=list(CHECKED_PACKAGES)))
        mismatches = version_mismatches(versions)
        if mismatches:
            raise ClusterError(f"The Dask cluster at '{scheduler}' has other package versions than this machine: "
                               f"{'; '.join(mismatches[:3])}{' (and more)' if len(mismatches) > 3 else ''}. "
                               "Install requirements.txt on every machine of the cluster.")
        if not shipped:
            _checked(scheduler, stall, "installing our code", lambda: ship_code(client, scheduler))
        yield client
    finally:
        try:
            _within(CONNECT_TIMEOUT_S, lambda: client.close(timeout=CONNECT_TIMEOUT_S))
        except BaseException:  # noqa: BLE001 - closing a client whose cluster is gone or frozen: nothing to keep
            pass
