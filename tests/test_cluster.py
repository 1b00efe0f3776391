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

from core.__main__ import main
from core.cluster import (
    CHECKED_PACKAGES,
    CODE_KEY,
    STALL_ENV,
    ClusterError,
    code_fingerprint,
    code_zip,
    configured_clusters,
    connect,
    parse_clusters,
    run_on_cluster,
    version_mismatches,
)
from core.errors import ConfigError

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
    """Start `dask scheduler` on a free port (port 0, read back from its scheduler file); its address."""
    scheduler_file = folder / "scheduler.json"
    processes.append(_start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(scheduler_file)], folder))
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() or not scheduler_file.read_text().strip():
        assert time.monotonic() < deadline and processes[-1].poll() is None, "the scheduler did not start"
        time.sleep(0.1)
    time.sleep(0.1)  # the file is written in one go, but give it a moment
    return json.loads(scheduler_file.read_text())["address"]


def _worker(address: str, folder: Path, processes: list) -> None:
    processes.append(_start([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "2",
                             "--no-dashboard", "--local-directory", str(folder / "worker")], folder))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and one worker (two threads), started outside the repository; killed afterwards."""
    folder = tmp_path_factory.mktemp("cluster")
    assert not folder.resolve().is_relative_to(ROOT)
    processes: list[subprocess.Popen] = []
    try:
        address = _scheduler(folder, processes)
        _worker(address, folder, processes)
        yield address
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


def test_a_cluster_without_our_source_runs_compare_and_gives_the_local_figures(cluster, small_table, tmp_path):
    assert main([*_compare_argv(small_table, tmp_path / "local"), "--n-jobs", "1"]) == 0
    # the client in this process (the scheduler and worker are real processes without our source; the test below
    # runs the client as a real process): it ships our code and the cluster runs every task
    assert main([*_compare_argv(small_table, tmp_path / "remote"), "--scheduler", cluster]) == 0
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
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        with connect(c.scheduler_address) as client:
            assert run_on_cluster(client, c.scheduler_address, abs, [-1, 2, -3]) == [1, 2, 3]
            # A task longer than the bound, executing on a live worker, is not a stall.
            assert run_on_cluster(client, c.scheduler_address, time.sleep, [1.5], stall=0.5) == [None]
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as c:
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

