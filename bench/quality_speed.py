"""The quality score against SDMetrics' QualityReport on one table, timed in the same run.

Table (issue 11): 20,000 real and 20,000 synthetic rows; 21 correlated numeric columns, 5 categorical, 1 integer.
Goals: the quality score alone, and everything the Quality page computes (fidelity(): the score, the per-feature
tables and the association heatmaps), each at least 5 times faster than the QualityReport. Prints a table of three
runs each with both ratios; run: python bench/quality_speed.py
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import loud_warnings  # noqa: E402
from core.validation.fidelity import fidelity, quality_score  # noqa: E402

ROWS, NUMERIC, CATEGORICAL, RUNS = 20_000, 21, 5, 3


def table(seed: int, noise: float) -> pd.DataFrame:
    """Seeded rows: 21 numbers driven by 3 latent factors (so many pairs correlate strongly), 5 categories cut
    from the factors or drawn at random, and one integer count."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(ROWS, 3))
    loadings = np.random.default_rng(0).normal(size=(3, NUMERIC))  # the same structure on both sides
    numbers = factors @ loadings + rng.normal(scale=noise, size=(ROWS, NUMERIC))
    frame = pd.DataFrame(numbers, columns=[f"x{i:02d}" for i in range(NUMERIC)])
    for i in range(CATEGORICAL):
        if i < 3:
            frame[f"c{i}"] = pd.cut(factors[:, i] + rng.normal(scale=noise, size=ROWS), [-np.inf, -1, 0, 1, np.inf],
                                    labels=["a", "b", "c", "d"]).astype(str)
        else:
            frame[f"c{i}"] = rng.choice(["u", "v", "w"], size=ROWS)
    frame["count"] = rng.poisson(np.exp(0.5 * factors[:, 0] + 1)).astype(np.int64)
    return frame


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # sdmetrics 0.32 announces a new home for the report
        from sdmetrics.reports.single_table import QualityReport
    real, synthetic = table(1, 0.5), table(2, 1.2)
    numeric = {c: c.startswith("x") or c == "count" for c in real.columns}
    metadata = {"columns": {c: {"sdtype": "numerical" if n else "categorical"} for c, n in numeric.items()}}
    ours_s, reference_s, full_s = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        ours = quality_score(real, synthetic, numeric)
        ours_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = QualityReport()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report.generate(real, synthetic, metadata, verbose=False)
        reference_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        fidelity(real, synthetic, numeric)
        full_s.append(time.perf_counter() - started)
    properties = report.get_properties().set_index("Property")["Score"]
    print(f"{ROWS:,} rows each side; {NUMERIC} numeric, {CATEGORICAL} categorical, 1 integer column")
    print("| run | quality_score s | sdmetrics QualityReport s | ratio | fidelity() (whole Quality page) s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, (a, b, c) in enumerate(zip(ours_s, reference_s, full_s), 1):
        print(f"| {i} | {a:.3f} | {b:.3f} | {b / a:.1f} | {c:.3f} | {b / c:.1f} |")
    print(f"median ratios: score {np.median(np.array(reference_s) / ours_s):.1f}, whole page "
          f"{np.median(np.array(reference_s) / full_s):.1f} (goal 5 each)")
    print(f"overall: ours {ours.quality_score:.6f}, sdmetrics {report.get_score():.6f}; "
          f"pair trends: ours {ours.column_pair_trends:.6f}, sdmetrics {properties['Column Pair Trends']:.6f}; "
          f"all pairs (pre-0.27 definition) {ours.column_pair_trends_all_pairs:.6f}; "
          f"strong pairs {int(ours.pairs['strong'].sum())} of {len(ours.pairs)}")


if __name__ == "__main__":
    with loud_warnings():
        main()
