"""A real Dask cluster (scheduler and worker as subprocesses, started outside the repository with no PYTHONPATH, so
our source is not on their path): our code is shipped to it, it gives the local figures, and a cluster that cannot
run the work is one `error:` line within the configured bound, never a silent wait."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli.main import main
from core.cluster import STALL_ENV, configured_clusters, connect, parse_clusters
from core.cluster_code import CHECKED_PACKAGES, CODE_KEY, code_fingerprint, code_zip, version_mismatches
from core.cluster_tasks import run_on_cluster
from core.errors import ClusterError, ConfigError

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BOUND_S = 3  # the no-progress bound the failure test runs under (60 s by default)


def _outside_env(tmp: Path) -> dict:
    """An environment without our source: PYTHONPATH cleared, run from a folder outside the repository."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(DASK_TEMPORARY_DIRECTORY=str(tmp), DASK_DISTRIBUTED__ADMIN__TICK__LIMIT="60s")
    return env


def _start(argv: list[str], folder: Path) -> subprocess.Popen:
    with open(folder / f"{argv[1]}.log", "w") as log:  # the cluster's own log, for a failing test's reader
        return subprocess.Popen(argv, cwd=folder, env=_outside_env(folder), stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the worker's nanny and its child go with it
        process.wait(timeout=10)


def _scheduler(folder: Path, processes: list) -> str:
    """Start `dask scheduler` on a free port (port 0, read back from its scheduler file); its address. Its web
    port (which `--no-dashboard` alone leaves open, on every interface) on a free port of 127.0.0.1 too."""
    scheduler_file = folder / "scheduler.json"
    processes.append(_start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)],
                            folder))
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() or not scheduler_file.read_text().strip():
        assert time.monotonic() < deadline and processes[-1].poll() is None, "the scheduler did not start"
        time.sleep(0.1)
    time.sleep(0.1)  # the file is written in one go, but give it a moment
    return json.loads(scheduler_file.read_text())["address"]


def _worker(address: str, folder: Path, processes: list, *options: str) -> None:
    processes.append(_start([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "2",
                             "--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                             "--local-directory", str(folder / "worker"), *options], folder))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and one worker (two threads), started outside the repository; killed afterwards."""
    folder = tmp_path_factory.mktemp("cluster")
    assert not folder.resolve().is_relative_to(ROOT)
    processes: list[subprocess.Popen] = []
    try:
        address = _scheduler(folder, processes)
        _worker(address, folder, processes)
        yield address, folder
    finally:
        _stop(processes)


@pytest.fixture()
def bare_cluster(tmp_path):
    """A scheduler and one worker that have never seen our code; killed afterwards."""
    processes: list[subprocess.Popen] = []
    try:
        address = _scheduler(tmp_path, processes)
        _worker(address, tmp_path, processes)
        yield address, processes
    finally:
        _stop(processes)


@pytest.fixture()
def empty_cluster(tmp_path):
    """A scheduler with no worker at all; killed afterwards."""
    folder = tmp_path / "empty"
    folder.mkdir()
    processes: list[subprocess.Popen] = []
    try:
        yield _scheduler(folder, processes)
    finally:
        _stop(processes)


@pytest.fixture(scope="module")
def small_table(tmp_path_factory) -> Path:
    """160 rows, 3 numeric features, 37 minority rows: the smallest table a compare runs on in seconds."""
    rng = np.random.default_rng(0)
    label = np.where(rng.random(160) < 0.25, "yes", "no")
    frame = pd.DataFrame((rng.normal(size=(160, 3)) + (label == "yes")[:, None]).round(3), columns=["a", "b", "c"])
    frame["label"] = label
    path = tmp_path_factory.mktemp("table") / "small.csv"
    frame.to_csv(path, index=False)
    return path


def _compare_argv(table: Path, out: Path) -> list[str]:
    return ["compare", "--data", str(table), "--target", "label", "--methods", "random_oversampler",
            "--repeats", "1", "--out", str(out)]  # one race and one test split: every figure still compared


def _rows(out: Path) -> list[dict]:
    """The leaderboard's rows without the wall-clock seconds (the only figure that may differ)."""
    rows = json.loads((out / "leaderboard.json").read_text())["rows"]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def _clients_received(folder: Path) -> int:
    """How many client connections the scheduler's log records so far."""
    return (folder / "scheduler.log").read_text().count("Receive client connection")


def test_a_cluster_without_our_source_runs_compare_and_gives_the_local_figures(cluster, small_table, tmp_path):
    cluster, folder = cluster
    assert main([*_compare_argv(small_table, tmp_path / "local"), "--n-jobs", "1"]) == 0
    # the client in this process (the scheduler and worker are real processes without our source; the test below
    # runs the client as a real process): it ships our code and the cluster runs every task
    before = _clients_received(folder)
    assert main([*_compare_argv(small_table, tmp_path / "remote"), "--scheduler", cluster]) == 0
    assert _clients_received(folder) - before == 1  # one connection for the whole command (it was 6: one per step)
    local_rows, remote_rows = _rows(tmp_path / "local"), _rows(tmp_path / "remote")
    assert [r["method"] for r in remote_rows] == ["as_is", "class_weighted_default", "threshold_tuned",
                                                  "class_weighted", "random_oversampler"]
    assert remote_rows == local_rows  # every figure, to the last digit
    assert all(r["error"] == "" for r in remote_rows) and remote_rows[-1]["test_minority_f1"] > 0
    # The cluster now holds this code (what a client with another version is refused on, test below).
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:
        assert client.get_metadata(list(CODE_KEY)) == code_fingerprint()


def test_a_scheduler_without_workers_is_exit_2_and_one_error_line_within_the_bound(empty_cluster, monkeypatch,
                                                                                  capfd):
    monkeypatch.setenv(STALL_ENV, str(BOUND_S))
    argv = ["advise", "--data", str(ROOT / "sample_data" / "german_credit.csv"), "--target", "credit_risk",
            "--folds", "2", "--candidates", "threshold_tuned", "--scheduler", empty_cluster]
    exit_code = []
    command = threading.Thread(target=lambda: exit_code.append(main(argv)), daemon=True)
    started = time.monotonic()  # the command's own function, in this process: the time is the wait, not imports
    command.start()
    command.join(BOUND_S + 30)
    seconds = time.monotonic() - started
    assert not command.is_alive(), "the command is still waiting on a cluster without workers"
    stderr = capfd.readouterr().err
    assert exit_code == [2] and stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert f"'{empty_cluster}' has no workers (none joined within {BOUND_S} s)" in stderr
    assert BOUND_S <= seconds < BOUND_S + 15  # the bound, plus reading the table and connecting (loaded machine)


def test_another_version_refused_a_task_the_cluster_cannot_read_and_a_scheduler_that_dies(bare_cluster, tmp_path):
    from distributed import Client

    from core.parallel import check_n_jobs, parallel_map

    address, processes = bare_cluster
    with Client(address, set_as_default=False) as client:
        client.set_metadata(list(CODE_KEY), "0" * 64)  # as if another version had been shipped there
        with pytest.raises(ClusterError, match="already runs another version of SynthBalance's code "
                                               r"\(fingerprint 000000000000, ours " + code_fingerprint()[:12]):
            with connect(address):
                pass
        # Claim our code is there while it is not: the tasks cannot be read, and the cluster's cause comes back.
        client.set_metadata(list(CODE_KEY), code_fingerprint())
        with pytest.raises(ClusterError, match=f"The Dask cluster at '{address}' could not (receive the work|"
                                               "run a task).*No module named 'core'"):
            parallel_map(check_n_jobs, [1, 2], scheduler=address)
        client.set_metadata(list(CODE_KEY), None)  # nothing there: the next connect ships our code
    # The scheduler dies mid-run (our code installed): exit 2 and one error line, none of distributed's own.
    run = subprocess.Popen([sys.executable, "-m", "core", "advise", "--data", str(ROOT / "sample_data" /
                            "german_credit.csv"), "--target", "credit_risk", "--folds", "5", "--scheduler", address],
                           cwd=ROOT, env={**os.environ, STALL_ENV: str(BOUND_S)}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        log, deadline = tmp_path / "worker.log", time.monotonic() + 60
        while "Reload module core from .zip" not in log.read_text() and run.poll() is None:
            assert time.monotonic() < deadline, "the command did not ship its code"
            time.sleep(0.1)
        time.sleep(2)  # the tasks are on their way
        os.killpg(processes[0].pid, signal.SIGKILL)
        killed = time.monotonic()
        stderr = run.communicate(timeout=60)[1]
    finally:
        run.kill()
    assert run.returncode == 2 and stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    # Mid-run it reads "... the scheduler at '...' does not answer"; while sending the work, "... Stream is closed".
    assert re.search(f"at '{address}'.*(the scheduler at '{address}' does not answer|Stream is closed)", stderr)
    assert time.monotonic() - killed < BOUND_S + 15


def test_a_long_task_is_progress_and_a_cluster_without_workers_is_an_error_at_once():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address="127.0.0.1:0") as c:
        with connect(c.scheduler_address) as client:
            assert run_on_cluster(client, c.scheduler_address, abs, [-1, 2, -3]) == [1, 2, 3]
            # A task longer than the bound, executing on a live worker, is not a stall.
            assert run_on_cluster(client, c.scheduler_address, time.sleep, [1.5], stall=0.5) == [None]
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address="127.0.0.1:0") as c:
        with distributed.Client(c.scheduler_address, set_as_default=False) as client:
            started = time.monotonic()
            with pytest.raises(ClusterError, match=r"could not receive the work: No valid workers found"):
                run_on_cluster(client, c.scheduler_address, abs, [-1], stall=0.5)
            assert time.monotonic() - started < 5


def test_package_versions_are_compared_by_name_with_both_versions():
    from importlib.metadata import version

    ours = {p: version(p) for p in CHECKED_PACKAGES}
    same = {"scheduler": {"packages": ours}, "workers": {"tcp://w1:1": {"packages": ours}}}
    assert version_mismatches(same) == []
    other = {"scheduler": {"packages": ours},
             "workers": {"tcp://w1:1": {"packages": {**ours, "scikit-learn": "1.4.0", "torch": None}}}}
    assert version_mismatches(other) == [
        f"scikit-learn is 1.4.0 on worker tcp://w1:1, ours is {ours['scikit-learn']}",
        f"torch is not installed on worker tcp://w1:1, ours is {ours['torch']}"]


def test_the_shipped_zip_holds_our_package_and_its_fingerprint_follows_the_code(tmp_path):
    import zipfile

    package = tmp_path / "core"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "race.py").write_text("SEED = 1\n")
    before = code_fingerprint(package)
    names = zipfile.ZipFile(code_zip(tmp_path, before, package)).namelist()
    assert sorted(names) == ["core/__init__.py", "core/race.py"]
    (package / "race.py").write_text("SEED = 2\n")
    assert code_fingerprint(package) != before
    assert "core/cluster.py" in zipfile.ZipFile(code_zip(tmp_path, code_fingerprint(), ROOT / "core")).namelist()


def test_configured_clusters_come_from_secrets_and_the_environment():
    assert parse_clusters("lab = tcp://10.0.0.5:8786, big=tcp://10.0.0.6:8786,") == {
        "lab": "tcp://10.0.0.5:8786", "big": "tcp://10.0.0.6:8786"}
    assert configured_clusters({"lab": "tcp://a:1"}, {"SYNTHBALANCE_CLUSTERS": "big=tcp://b:2"}) == {
        "lab": "tcp://a:1", "big": "tcp://b:2"}
    assert configured_clusters(None, {}) == {}
    with pytest.raises(ConfigError, match="name=tcp://HOST:PORT; got 'tcp://10.0.0.5:8786'"):
        parse_clusters("tcp://10.0.0.5:8786")


def test_the_sidebar_offers_only_the_clusters_the_server_configures(monkeypatch):
    from streamlit.testing.v1 import AppTest

    def opened(chosen: str | None) -> AppTest:  # a first run: AppTest keeps the sidebar of a first run only
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if chosen:
            at.session_state["v_cluster"] = chosen
        at.run()
        assert not at.exception, at.exception
        return at

    monkeypatch.delenv("SYNTHBALANCE_CLUSTERS", raising=False)
    at = opened(None)
    assert [w.key for w in at.sidebar.selectbox] == []  # none configured: nothing to choose
    assert not at.text_input  # and no field where a user could type an address
    monkeypatch.setenv("SYNTHBALANCE_CLUSTERS", "big=tcp://10.0.0.6:8786,lab=tcp://10.0.0.5:8786")
    at = opened(None)
    assert at.selectbox(key="w_cluster").options == ["This machine", "big", "lab"]
    assert at.selectbox(key="w_cluster").value is None  # this machine unless the analyst chooses
    at = opened("lab")
    assert at.selectbox(key="w_cluster").value == "lab" and at.session_state["v_cluster"] == "lab"
    assert [c.value for c in at.sidebar.caption if "scheduler" in c.value] == ["Dask scheduler: `tcp://10.0.0.5:8786`"]
    at = opened("tcp://attacker.example:8786")  # not a configured name (say, a crafted session): never used
    assert at.session_state["v_cluster"] is None and at.selectbox(key="w_cluster").value is None



def _advise_argv(scheduler: str, data: Path = ROOT / "sample_data" / "german_credit.csv") -> list[str]:
    return ["advise", "--data", str(data), "--target", "credit_risk", "--folds", "2", "--candidates",
            "threshold_tuned", "--scheduler", scheduler]


def _one_error_line(argv: list[str], capfd, seconds: float, collect: bool = True) -> tuple[str, float]:
    """Run the command in this process, bounded: (its one `error:` line, seconds). Fails on a wait past
    `seconds`, another exit code than 2, or anything more on stderr (distributed's own tracebacks included,
    which a half-open Client prints when it is collected)."""
    import gc

    exit_code: list[int] = []
    command = threading.Thread(target=lambda: exit_code.append(main(argv)), daemon=True)
    started = time.monotonic()
    command.start()
    command.join(seconds)
    took = time.monotonic() - started
    assert not command.is_alive(), f"still waiting after {seconds} s"
    if collect:
        gc.collect()  # a Client left half-open would print its __del__ traceback now
        time.sleep(0.2)
    stderr = capfd.readouterr().err
    assert exit_code == [2] and stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    return stderr, took


@pytest.fixture()
def http_reply_port():
    """A TCP service that answers any bytes with an HTTP error page (what a web server says to Dask's handshake:
    its first 8 bytes, read as a frame length, ask for 3 EiB); stopped afterwards."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nBad Request")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_a_port_that_is_not_a_dask_scheduler_is_one_line_within_the_bound(empty_cluster, http_reply_port,
                                                                          monkeypatch, capfd):
    from distributed import Client

    monkeypatch.setenv(STALL_ENV, str(BOUND_S))  # the connect's bound follows it (15 s at most)
    with Client(empty_cluster, set_as_default=False, timeout=30) as client:
        dashboard = client.scheduler_info()["services"]["dashboard"]  # its web port (8787 by default)
    address = f"tcp://127.0.0.1:{dashboard}"
    stderr, took = _one_error_line(_advise_argv(address), capfd, BOUND_S + 30)
    assert f"'{address}' is not answering as a Dask scheduler (no handshake within {BOUND_S} s)" in stderr
    assert took < BOUND_S + 15  # the bound, letting go of the half-open client (2 s), reading the table; loaded
    address = f"tcp://127.0.0.1:{http_reply_port}"
    stderr, took = _one_error_line(_advise_argv(address), capfd, BOUND_S + 30)
    assert f"Could not reach the Dask scheduler at '{address}' (MemoryError: Unable to allocate" in stderr
    assert took < BOUND_S + 15


def test_a_malformed_address_is_refused_before_anything_is_read_or_connected(capfd, tmp_path):
    for address in ["tcp://127.0.0.1:notaport", "http://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786",
                    "127.0.0.1:8786", "tcp://127.0.0.1:8786/path", "tcp://127.0.0.1:70000"]:
        # the data file does not exist: the address is refused before the table is read, and before any connect
        stderr, took = _one_error_line(_advise_argv(address, tmp_path / "absent.csv"), capfd, 10, collect=False)
        assert f"The scheduler address '{address}' is not of the form tcp://HOST:PORT" in stderr
        assert took < 2  # Dask itself took 13 s on these, then printed Client.__del__'s traceback
    import gc

    gc.collect()
    assert capfd.readouterr().err == ""  # no Client was made, so none prints a traceback when collected


def _processing(client, count: int, seconds: float = 30) -> None:
    """Wait until `count` tasks are executing on the workers."""
    deadline = time.monotonic() + seconds
    while sum(len(keys) for keys in client.processing().values()) < count:
        assert time.monotonic() < deadline, "the tasks did not start"
        time.sleep(0.1)


def _in_thread(call) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def running() -> None:
        try:
            outcome["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            outcome["error"] = exc

    thread = threading.Thread(target=running, daemon=True)
    thread.start()
    return thread, outcome


def test_a_frozen_worker_is_not_progress_and_its_run_stops_with_one_line(bare_cluster):
    address, processes = bare_cluster
    stall = 2.0
    with connect(address) as client:
        thread, outcome = _in_thread(lambda: run_on_cluster(client, address, time.sleep, [60, 60], stall=stall))
        _processing(client, 2)
        os.killpg(processes[1].pid, signal.SIGSTOP)  # the worker and its nanny: a hung machine
        frozen = time.monotonic()
        try:
            thread.join(3 * stall + 20)
            took = time.monotonic() - frozen
        finally:
            os.killpg(processes[1].pid, signal.SIGCONT)
        assert not thread.is_alive(), "a frozen worker's 'processing' tasks kept the run waiting"
    error = outcome.get("error")
    assert isinstance(error, ClusterError) and "\n" not in str(error), outcome
    assert re.search(rf"No progress on the Dask cluster at '{address}' for 2 s: 1 of its 1 worker\(s\) have not "
                     r"been heard from \(frozen, or cut off by the network\): tcp://127\.0\.0\.1:\d+ \(\d+ s\)",
                     str(error)), error
    assert took < 3 * stall + 10  # heard from last before the freeze: detected within about two bounds (loaded)


def test_workers_killed_mid_run_lose_the_scattered_input_and_the_work_is_sent_again_once(bare_cluster, tmp_path):
    import psutil

    address, processes = bare_cluster
    with connect(address) as client:
        thread, outcome = _in_thread(lambda: run_on_cluster(client, address, time.sleep, [1.0] * 4, stall=30))
        _processing(client, 2)
        for child in psutil.Process(processes[1].pid).children():  # the worker process; its nanny restarts it
            child.kill()
        thread.join(60)
        assert not thread.is_alive()
    assert outcome == {"result": [None] * 4}, outcome
    assert "caused the cluster to lose scattered data" in (tmp_path / "scheduler.log").read_text()


def test_work_dropped_twice_is_one_cluster_error(monkeypatch):
    distributed = pytest.importorskip("distributed")
    import core.cluster_tasks

    submit = core.cluster_tasks._submit

    def dropped(client, *args):  # the cluster drops every task as soon as it gets it
        sent, futures = submit(client, *args)
        client.cancel(futures, force=True)
        return sent, futures

    monkeypatch.setattr(core.cluster_tasks, "_submit", dropped)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address="127.0.0.1:0") as c:
        with connect(c.scheduler_address) as client:
            started = time.monotonic()
            with pytest.raises(ClusterError, match=f"The Dask cluster at '{c.scheduler_address}' dropped the work "
                                                   r"twice \(its 1 worker\(s\) finished nothing\)"):
                run_on_cluster(client, c.scheduler_address, time.sleep, [5, 5], stall=30)
            assert time.monotonic() - started < 10


def test_a_worker_that_joins_after_the_check_with_other_versions_runs_none_of_the_work(bare_cluster, tmp_path):
    from importlib.metadata import version

    address, processes = bare_cluster
    other = tmp_path / "other"
    other.mkdir()
    # The late worker's process reads scikit-learn 1.8.0 (what a worker from an older venv reports).
    preload = other / "older_sklearn.py"
    preload.write_text("import importlib.metadata as metadata\n\n\n"  # imported by the nanny and the worker
                       "def version(name, real=getattr(metadata.version, 'real', metadata.version)):\n"
                       "    return '1.8.0' if name == 'scikit-learn' else real(name)\n\n\n"
                       "version.real = getattr(metadata.version, 'real', metadata.version)\n"
                       "metadata.version = version\n")
    with connect(address) as client:  # checked with the first worker alone, our code shipped
        _worker(address, other, processes, "--preload", str(preload), "--name", "late")
        client.wait_for_workers(2, timeout=60)
        late = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "late")
        with pytest.raises(ClusterError) as raised:
            run_on_cluster(client, address, time.sleep, [0.3] * 12, stall=30)
        assert "\n" not in str(raised.value)
        assert str(raised.value) == (
            f"The Dask worker {late} has other package versions than this machine: scikit-learn is 1.8.0 there, "
            f"ours is {version('scikit-learn')}. It ran none of the work. Install requirements.txt on every machine "
            "of the cluster.")
