"""The strategy race of bench/race_speed.py (N x 30 numeric rows, 5% minority, 6 candidates x 5 folds, logistic
regression) on 1 local worker (n_jobs=1) against a plain Dask cluster of 2 single-threaded workers on this machine.

The cluster is started as a new user would (`dask scheduler`, `dask worker --nworkers 2 --nthreads 1`) from a
temporary folder with PYTHONPATH cleared, so our code reaches it only by being shipped at connect time (the
measured time includes connecting, the version check and the upload). Both runs must give the same figures.
Run: python bench/cluster_speed.py [rows]   (default 100,000; prints a Markdown table)
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import as_dataset, classification_frame, loud_warnings  # noqa: E402
from bench.race_speed import ours  # noqa: E402
from core.race import race  # noqa: E402

BIN = Path(sys.executable).parent


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    scheduler_file = folder / "scheduler.json"
    processes = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(scheduler_file)], cwd=folder, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    while not scheduler_file.exists() or not scheduler_file.read_text().strip():
        time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    processes.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard", "--local-directory", str(folder / "workers")], cwd=folder,
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
    return address, processes


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    dataset = as_dataset(classification_frame(rows, 30, minority=0.05))
    with tempfile.TemporaryDirectory() as folder:
        address, processes = start_cluster(Path(folder))
        try:
            started = time.perf_counter()
            local = ours(dataset, 1)
            local_s = time.perf_counter() - started
            from distributed import Client

            with Client(address, set_as_default=False) as client:
                client.wait_for_workers(2, timeout=120)  # workers started: not part of the measured time
            started = time.perf_counter()
            remote = race(dataset.frame, "label", dataset.features, dataset.column_types, ["rare"], "common",
                          "logreg", 5, 42, candidates=[c.name for c in local.candidates], scheduler=address,
                          repeats=local.repeats)  # the same work: without it the budget's cost model chose fewer
            remote_s = time.perf_counter() - started
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert (remote.folds, remote.repeats) == (local.folds, local.repeats), "the two races did different work"
    same = all(a.minority_f1.values == b.minority_f1.values and a.pr_auc.values == b.pr_auc.values
               for a, b in zip(local.candidates, remote.candidates))
    print(f"Race on {rows:,} x 30 (5% minority), {len(local.candidates)} candidates x 5 folds, logistic regression; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n")
    print("| run | seconds |\n|---|---:|")
    print(f"| this machine, 1 worker (n_jobs=1) | {local_s:.1f} |")
    print(f"| Dask cluster on this machine, 2 workers x 1 thread (connect, checks, upload) | {remote_s:.1f} |")
    print(f"\nSpeed-up: {local_s / remote_s:.2f}; same figures on every fold: {same}.")


if __name__ == "__main__":
    with loud_warnings():
        main()
