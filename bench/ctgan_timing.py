"""CTGAN and TVAE training time on this machine: setup (data transformer) and seconds per epoch, against the
page's pre-run estimate (core.generators.deep.estimate_seconds). Prints a Markdown table; never run as a test.

Run: `python bench/ctgan_timing.py` (a few minutes on 2 cores). Rows are German credit's (21 columns), so the
first size is its minority class alone, as the per_class mode trains on it.
"""
from __future__ import annotations

import time

from bench.common import loud_warnings
from core.data import validate_dataset
from core.encoding import level_columns, number_columns
from core.generators.base import GenerationTask
from core.generators.deep import estimate_seconds, fit
from core.samples import load_sample

EPOCHS = (2, 12)  # far apart, so the per-epoch figure survives a busy machine
REPEATS = 2  # best of


def timed_fit(name: str, frame, target, numbers, levels, epochs: int) -> float:
    task = GenerationTask(frame=frame, target=target, numbers=numbers, levels=levels,
                          params={"epochs": epochs, "batch_size": 500, "time_budget_s": 0.0, "mode": "per_class"},
                          seed=0)
    started = time.perf_counter()
    fit(task, name, [str(frame[target].iloc[0])])
    return time.perf_counter() - started


def main() -> None:
    dataset = validate_dataset(load_sample("german_credit.csv"), "credit_risk")
    target, features = dataset.target, dataset.features
    numbers, levels = number_columns(features, dataset.column_types), level_columns(features, dataset.column_types)
    frame = dataset.frame[features + [target]].copy()
    frame[numbers] = frame[numbers].astype(float)
    frame[levels] = frame[levels].astype(str)
    print("| method | rows | setup (s) | s per epoch | 100 epochs measured (s) | 100 epochs estimated (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("ctgan", "tvae"):
        for rows in (300, 1000):
            part = frame.loc[frame[target] == "bad"] if rows == 300 else frame.assign(**{target: "all"})
            short, long = (min(timed_fit(name, part, target, numbers, levels, e) for _ in range(REPEATS))
                           for e in EPOCHS)
            per_epoch = (long - short) / (EPOCHS[1] - EPOCHS[0])
            setup = max(0.0, short - EPOCHS[0] * per_epoch)
            print(f"| {name} | {len(part):,} | {setup:.2f} | {per_epoch:.3f} | {setup + 100 * per_epoch:.1f} | "
                  f"{estimate_seconds(name, len(part), len(features), 100):.1f} |", flush=True)


if __name__ == "__main__":
    with loud_warnings():
        main()
