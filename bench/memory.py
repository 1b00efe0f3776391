"""Peak memory of ingest and profile for the largest accepted uploads: a CSV near the 200 MB limit and a Parquet
file at the row limit, against the in-memory size of the DataFrame read from them (goal: peak <= 3x).

Peak = highest resident set size (sampled every 2 ms from /proc/self/statm) during the step, minus the resident
size just before it; the upload's bytes are already in memory then, as they are in the app.
Run: `python bench/memory.py [--rows N]` (default: the row limit). Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import loud_warnings  # noqa: E402
from core.data import validate_dataset  # noqa: E402
from core.imbalance import profile_dataset  # noqa: E402
from core.reading import MAX_ROWS, MAX_UPLOAD_MB, read_table  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


@contextmanager
def peak_above_start(record: dict, name: str):
    """record[name] = (MiB peak resident above the start, seconds)."""
    gc.collect()
    start, peak, running = resident(), [0], [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], resident())
            time.sleep(0.002)
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    began = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - began
        running[0] = False
        thread.join()
        peak[0] = max(peak[0], resident())
        record[name] = ((peak[0] - start) / 2**20, seconds)


def table(rows: int, seed: int = 0) -> pd.DataFrame:
    """9 decimals, 2 integer columns, 2 text categories (5 and 2,000 levels), a 0.5% minority label: about 101
    bytes a CSV row, so 2,000,000 rows make a CSV just under the 200 MB limit."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.normal(100, 30, rows).round(4) for i in range(9)})
    frame["code"] = rng.choice([f"k{i:04d}" for i in range(2000)], rows)
    frame["count"] = rng.integers(0, 500, rows)
    frame["years"] = rng.integers(18, 90, rows)
    frame["region"] = rng.choice(["north", "south", "east", "west", "centre"], rows)
    frame["label"] = np.where(rng.random(rows) < 0.005, "fraud", "normal")
    return frame


def measure(raw: bytes, name: str) -> list[str]:
    record: dict = {}
    with peak_above_start(record, "ingest"):
        loaded = read_table(raw, name)
    frame_mib = loaded.frame.memory_usage(deep=True).sum() / 2**20
    with peak_above_start(record, "validate + profile"):
        profile_dataset(validate_dataset(loaded, "label"))
    rows = []
    for step, (mib, seconds) in record.items():
        rows.append(f"| {name} | {len(raw) / 2**20:,.0f} | {len(loaded.frame):,} | {frame_mib:,.0f} | {step} | "
                    f"{mib:,.0f} | {mib / frame_mib:.2f} | {seconds:.1f} |")
    del loaded
    gc.collect()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=MAX_ROWS)
    args = parser.parse_args()
    frame = table(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        csv_path, parquet_path = Path(folder) / "big.csv", Path(folder) / "big.parquet"
        frame.to_csv(csv_path, index=False)
        frame.to_parquet(parquet_path, index=False)
        del frame
        gc.collect()
        print(f"Machine: {os.cpu_count()} cores; limits {MAX_UPLOAD_MB} MB and {MAX_ROWS:,} rows. "
              "Peak = highest resident memory during the step above the resident memory before it "
              "(the upload's bytes already loaded). Re-run: `python bench/memory.py`.\n")
        print("| file | MB on disk | rows | DataFrame (MiB) | step | peak (MiB) | peak / DataFrame | seconds |")
        print("|---|---:|---:|---:|---|---:|---:|---:|")
        for path in (csv_path, parquet_path):
            raw = path.read_bytes()
            for line in measure(raw, path.name):
                print(line, flush=True)
            del raw
            gc.collect()


if __name__ == "__main__":
    with loud_warnings():
        main()
