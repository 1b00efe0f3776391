"""A wide table end to end: `python -m core run --method smote --repeats 2` on 400 rows x 2,000 numeric columns
(10% minority), the case of issue 22 (283 s and 0.9 GB before). Goal: under 60 s on a quiet machine.

Runs the CLI in a child process (so its peak memory is its own) and prints wall seconds, peak resident memory and
the run's own stage timings from results.json. Run: python bench/wide_table.py [COLUMNS] [ROWS]
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import loud_warnings  # noqa: E402

ROWS, COLUMNS, MINORITY = 400, 2000, 0.1


def wide_frame(rows: int, columns: int, seed: int = 0) -> pd.DataFrame:
    """Seeded numbers: 20 informative columns shifted for the minority, the rest noise, 4 decimals."""
    rng = np.random.default_rng(seed)
    minority = np.arange(rows) < int(rows * MINORITY)
    values = rng.normal(size=(rows, columns))
    values[minority, :20] += 1.0
    frame = pd.DataFrame(values.round(4), columns=[f"f{i:04d}" for i in range(columns)])
    frame["label"] = np.where(minority, "rare", "common")
    return frame


def main() -> None:
    columns = int(sys.argv[1]) if len(sys.argv) > 1 else COLUMNS
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else ROWS
    with tempfile.TemporaryDirectory() as folder:
        data, out = Path(folder) / "wide.csv", Path(folder) / "out"
        wide_frame(rows, columns).to_csv(data, index=False)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "core", "run", "--data", str(data), "--target", "label",
                               "--method", "smote", "--repeats", "2", "--out", str(out)], cwd=ROOT,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # Linux: KiB
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:])
            raise SystemExit(f"run exited {done.returncode}")
        stages = json.loads((out / "results.json").read_text())["seconds"]
    print(f"{rows} rows x {columns:,} numeric columns, smote, 2 repeats")
    print("| wall s | peak memory GB | " + " | ".join(f"{name} s" for name in stages) + " |")
    print("|---:|---:|" + "---:|" * len(stages))
    print(f"| {seconds:.1f} | {peak_gb:.2f} | " + " | ".join(f"{v:.1f}" for v in stages.values()) + " |")


if __name__ == "__main__":
    with loud_warnings():
        main()
