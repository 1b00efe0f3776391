"""fidelity() (everything the Quality page computes) against SDMetrics 0.32.0's QualityReport, side by side.

Two seeded tables, real and synthetic sides of the same shape: 20,000 rows x 27 columns (21 correlated numbers,
5 categories, 1 integer count; issue 11) and 100 columns (80 numbers, 19 categories, 1 count; 5,000 rows by
default). For each table the two run alternately in this process, `--repeats` times each; the table gives each
one's median seconds and the median of the per-repeat ratios (QualityReport / fidelity; goal at least 10). The
quality score alone (quality_score()) is timed beside them. Both get one BLAS thread, as the app runs
(serve.py: core.parallel.start_at_one_thread). The machine's load average is printed before and after: on a
shared machine compare the ratios, not the seconds. The last column is the largest gap between our Column Shapes,
Column Pair Trends and overall score and SDMetrics' in the last repeat.

Run: python bench/quality_speed.py [--repeats 3] [--wide-rows 5000] [--tables mixed,wide]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.parallel import start_at_one_thread  # noqa: E402 (light: imports no numpy)

start_at_one_thread()  # before numpy loads, as serve.py does

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.common import loud_warnings  # noqa: E402
from core.validation.fidelity import fidelity, quality_score  # noqa: E402

ROWS, NUMERIC, CATEGORICAL = 20_000, 21, 5


def table(seed: int, noise: float, rows: int = ROWS, numeric: int = NUMERIC, categorical: int = CATEGORICAL,
          factors: int = 3) -> pd.DataFrame:
    """Seeded rows: `numeric` numbers driven by latent factors (so many pairs correlate strongly), `categorical`
    categories cut from the factors or drawn at random, and one integer count."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(rows, factors))
    loadings = np.random.default_rng(0).normal(size=(factors, numeric))  # the same structure on both sides
    numbers = latent @ loadings + rng.normal(scale=noise, size=(rows, numeric))
    frame = pd.DataFrame(numbers, columns=[f"x{i:02d}" for i in range(numeric)])
    for i in range(categorical):
        if i % 5 < 3:
            frame[f"c{i}"] = pd.cut(latent[:, i % factors] + rng.normal(scale=noise, size=rows),
                                    [-np.inf, -1, 0, 1, np.inf], labels=["a", "b", "c", "d"]).astype(str)
        else:
            frame[f"c{i}"] = rng.choice(["u", "v", "w"], size=rows)
    frame["count"] = rng.poisson(np.exp(0.5 * latent[:, 0] + 1)).astype(np.int64)
    return frame


def measure(name: str, real: pd.DataFrame, synthetic: pd.DataFrame, repeats: int) -> dict:
    """Time fidelity(), quality_score() and the QualityReport alternately on one table; medians and the gap."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # sdmetrics 0.32 announces a new home for the report
        from sdmetrics.reports.single_table import QualityReport
    numeric = {c: c.startswith("x") or c == "count" for c in real.columns}
    metadata = {"columns": {c: {"sdtype": "numerical" if n else "categorical"} for c, n in numeric.items()}}
    ours_s, score_s, reference_s = [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        ours = fidelity(real, synthetic, numeric)
        ours_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = QualityReport()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report.generate(real, synthetic, metadata, verbose=False)
        reference_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        quality_score(real, synthetic, numeric)
        score_s.append(time.perf_counter() - started)
    properties = report.get_properties().set_index("Property")["Score"]
    gap = max(abs(ours.column_shapes - properties["Column Shapes"]),
              abs(ours.column_pair_trends - properties["Column Pair Trends"]),
              abs(ours.quality_score - report.get_score()))
    ratios = np.array(reference_s) / np.array(ours_s)
    return {"table": name, "shape": f"{len(real):,} x {real.shape[1]}", "fidelity": np.median(ours_s),
            "score": np.median(score_s), "reference": np.median(reference_s), "ratio": np.median(ratios),
            "range": f"{ratios.min():.1f}-{ratios.max():.1f}",
            "score_ratio": np.median(np.array(reference_s) / np.array(score_s)), "gap": gap,
            "quality": ours.quality_score}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wide-rows", type=int, default=5_000)
    parser.add_argument("--tables", default="mixed,wide", help="which tables, comma-separated")
    args = parser.parse_args()
    chosen = args.tables.split(",")
    before = os.getloadavg()
    rows = []
    if "mixed" in chosen:
        rows.append(measure("mixed", table(1, 0.5), table(2, 1.2), args.repeats))
    if "wide" in chosen:
        rows.append(measure("wide", table(1, 0.5, args.wide_rows, 80, 19, 5),
                            table(2, 1.2, args.wide_rows, 80, 19, 5), args.repeats))
    after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before {before[0]:.1f} {before[1]:.1f} {before[2]:.1f}, after "
          f"{after[0]:.1f} {after[1]:.1f} {after[2]:.1f} on {os.cpu_count()} cores; {args.repeats} repeats each, "
          "alternating; medians; one BLAS thread")
    print("| table | rows x columns | fidelity() s | QualityReport s | ratio (range) | quality_score() s | ratio "
          "| largest gap to SDMetrics |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['table']} | {row['shape']} | {row['fidelity']:.3f} | {row['reference']:.2f} | "
              f"{row['ratio']:.1f} ({row['range']}) | {row['score']:.3f} | {row['score_ratio']:.1f} | "
              f"{row['gap']:.1e} |")


if __name__ == "__main__":
    with loud_warnings():
        main()
