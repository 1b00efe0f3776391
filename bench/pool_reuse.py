"""The process's one worker pool against the code before it, side by side in one run (same machine, same load).

    python -m bench.pool_reuse --before DIR [--rounds 2]

DIR holds the earlier source tree (e.g. `git archive <commit> | tar -x -C DIR`); both trees run with this Python.
Per round, alternating trees so that load changes hit both: `python -m core advise` on German credit with
`--n-jobs 2` (wall time of the command), and one process that races twice (n_jobs=2, repeats 1) and reports each
call's time (the second call is where a reused pool pays no start-up), and 4 small tasks importing core.race
before and after a stopped job (joblib's abort killed the workers; the next call started and imported again).
Also printed, from this tree: the bytes of the shared inputs sent per race, once per job now against once per task
(joblib: once per batch of tasks).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
ADVISE = ["-m", "core", "advise", "--data", "sample_data/german_credit.csv", "--target", "credit_risk",
          "--n-jobs", "2"]
TWICE = """
import hashlib
import time
from core.data import validate_dataset
from core.pipeline import prepare
from core.reading import read_path
from core.race import race_prepared
prepared = prepare(validate_dataset(read_path('sample_data/german_credit.csv'), 'credit_risk'), test_size=0.3, seed=42)
times, figures = [], []
for _ in range(2):
    started = time.perf_counter()
    result = race_prepared(prepared, n_jobs=2, repeats=1)
    times.append(time.perf_counter() - started)
    figures.append([(c.name, c.minority_f1.values if c.minority_f1 else None) for c in result.candidates])
digest = hashlib.sha256(str(figures[0]).encode()).hexdigest()[:12]
print(f"{times[0]:.2f} {times[1]:.2f} {figures[0] == figures[1]} {result.recommended} {digest}")
"""

AFTER_A_STOP = """
import os
import time
from core.errors import GenerationCancelled
from core.parallel import parallel_map
def pid(_):
    import core.race  # what a race task needs
    time.sleep(0.2)
    return os.getpid()
started = time.perf_counter()
first = parallel_map(pid, range(4), n_jobs=2)
cold = time.perf_counter() - started
try:
    parallel_map(pid, range(20), n_jobs=2, should_stop=lambda: True)
except GenerationCancelled:
    pass
started = time.perf_counter()
after = parallel_map(pid, range(4), n_jobs=2)
print(f"{cold:.1f} {time.perf_counter() - started:.1f} {set(after) <= set(first)}")
"""


def timed(tree: Path, args: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def payload_bytes() -> None:
    """The race's shared inputs in bytes, and how many times each design sends them for German credit."""
    import cloudpickle

    from core.data import validate_dataset
    from core.pipeline import prepare
    from core.reading import read_path

    prepared = prepare(validate_dataset(read_path(HERE / "sample_data/german_credit.csv"), "credit_risk"),
                       test_size=0.3, seed=42)
    size = len(cloudpickle.dumps(prepared.split.train))
    print(f"training part pickled: {size:,} bytes; sent with every task (joblib: every batch of tasks), 100 tasks "
          f"move {100 * size:,} bytes; sent once per job, {size:,} bytes are written once and read once per worker")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    trees = {"before": options.before.resolve(), "after": HERE}
    for round_number in range(options.rounds):
        for name, tree in trees.items():
            seconds, _ = timed(tree, ADVISE)
            print(f"round {round_number + 1} {name:6} advise --n-jobs 2: {seconds:6.1f} s")
        for name, tree in trees.items():
            _, line = timed(tree, ["-c", TWICE])
            first, second, same, recommended, figures = line.split()
            print(f"round {round_number + 1} {name:6} race twice in one process: first {first} s, second {second} s "
                  f"(same figures: {same}; recommended {recommended}; figures hash {figures})")
        for name, tree in trees.items():
            _, line = timed(tree, ["-c", AFTER_A_STOP])
            cold, again, same = line.split()
            print(f"round {round_number + 1} {name:6} 4 tasks: first call {cold} s, the call after a stopped job "
                  f"{again} s (same worker processes: {same})")
    print(f"load after: {os.getloadavg()}")
    payload_bytes()


if __name__ == "__main__":
    from bench.common import loud_warnings

    with loud_warnings():
        main()
