"""How close Monitor's label-free figures come to the truth: CBPE's minority F1 against the realised one, its interval's
coverage, and the EM minority share's interval, per shift scenario and chunk size.

A large seeded table (make_classification, 10 features, 10% minority): a calibrated logistic regression (sigmoid,
5-fold, fitted on the training part), its F1-optimal threshold tuned on out-of-fold probabilities of the training
part, the reference = a separate labelled part. Batches are drawn from a separate pool of fresh rows:
- no shift: random rows;
- covariate shift: rows whose most informative feature lies above the pool's 40th percentile;
- prior shift x0.5 / x2: the minority share halved / doubled (rows drawn per class);
- concept drift: labels flipped where a second feature lies above its 80th percentile.
Per scenario and chunk size: mean absolute error of estimated vs realised minority F1, share of chunks whose
realised F1 lies inside the interval, the interval's mean width; under prior shift also CBPE on EM-adjusted
probabilities ("adjusted") and the EM share's interval coverage.

    nice -n 19 .venv/bin/python -m bench.estimate_truth [--chunks 30] [--out table.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from bench.common import classification_frame, loud_warnings
from core.performance import estimate_performance, size_chunks
from core.prevalence import adjusted_posteriors, estimate_prevalence, f1_optimal_threshold

SEED = 20261207
CHUNK_SIZES = (500, 1000, 3000)  # about 50, 100 and 300 minority rows a chunk at the reference's 10%
SCENARIOS = ("no shift", "covariate shift", "prior shift x0.5", "prior shift x2", "concept drift")


def _model_and_parts(seed: int):
    frame = classification_frame(400_000, features=10, minority=0.1, seed=seed)
    x = frame.drop(columns="label").to_numpy()
    y = (frame["label"] == "rare").to_numpy()
    train, reference, pool = slice(0, 30_000), slice(30_000, 60_000), slice(60_000, None)
    model = CalibratedClassifierCV(LogisticRegression(max_iter=1000), method="sigmoid", cv=5)
    oof = cross_val_predict(model, x[train], y[train], cv=5, method="predict_proba")[:, 1]
    threshold = f1_optimal_threshold(y[train], oof, 0.5, 0.5)  # weights 1: the plain F1 optimum on the folds
    model.fit(x[train], y[train])
    return model, threshold, (x[reference], y[reference]), (x[pool], y[pool])


def _informative(x: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """The two features whose means differ most between the classes (in pooled standard deviations)."""
    gap = np.abs(x[y].mean(0) - x[~y].mean(0)) / x.std(0)
    order = np.argsort(-gap)
    return int(order[0]), int(order[1])


def _batch(scenario: str, rows: int, x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
           features: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    if scenario == "covariate shift":
        keep = np.flatnonzero(x[:, features[0]] > np.quantile(x[:, features[0]], 0.4))
        where = rng.choice(keep, rows, replace=False)
        return x[where], y[where]
    if scenario.startswith("prior shift"):
        factor = 0.5 if scenario.endswith("x0.5") else 2.0
        minority = int(round(rows * y.mean() * factor))
        where = np.r_[rng.choice(np.flatnonzero(y), minority, replace=False),
                      rng.choice(np.flatnonzero(~y), rows - minority, replace=False)]
        rng.shuffle(where)
        return x[where], y[where]
    where = rng.choice(len(y), rows, replace=False)
    truth = y[where].copy()
    if scenario == "concept drift":
        region = x[where, features[1]] > np.quantile(x[:, features[1]], 0.8)
        truth[region] = ~truth[region]
    return x[where], truth


def run(chunks: int, seed: int = SEED, rule: bool = False, scenarios: tuple[str, ...] = SCENARIOS) -> pd.DataFrame:
    """rule False: "MAE adjusted" re-weights every prior-shift chunk to its EM share; True: the app's rule (only
    where the share's interval excludes the reference share), measured on every scenario but concept drift."""
    model, threshold, (x_ref, y_ref), (x_pool, y_pool) = _model_and_parts(seed)
    p_ref = model.predict_proba(x_ref)[:, 1]
    d_ref = p_ref >= threshold
    features = _informative(x_ref, y_ref)
    rows = []
    for scenario in scenarios:
        for size in CHUNK_SIZES:
            rng = np.random.default_rng([seed, SCENARIOS.index(scenario), size])
            errors, adjusted_errors, inside, widths, share_hits, minority_rows = [], [], [], [], [], []
            kicked_in, mean_hits = [], []
            for _ in range(chunks):
                x, truth = _batch(scenario, size, x_pool, y_pool, rng, features)
                p = model.predict_proba(x)[:, 1]
                d = p >= threshold
                chunk = size_chunks(size, size)
                result = estimate_performance(y_ref, p_ref, d_ref, p, d, chunk, truth=truth).chunks[0]
                if result.realised is None:
                    continue
                minority_rows.append(int(truth.sum()))
                errors.append(abs(result.estimate - result.realised))
                inside.append(result.ci_low <= result.realised <= result.ci_high)
                widths.append(result.ci_high - result.ci_low)
                if scenario.startswith("prior shift") or (rule and scenario != "concept drift"):
                    prevalence = estimate_prevalence(y_ref, p_ref, d_ref, p, d, threshold,
                                                     seed=int(rng.integers(1 << 31)), resamples=100)
                    share_hits.append(prevalence.ci_low <= truth.mean() <= prevalence.ci_high)
                    mean_hits.append(prevalence.mean_probability_low <= truth.mean()
                                     <= prevalence.mean_probability_high)
                    # "always": every chunk re-weighted to its EM share; the app's rule: only when the share's
                    # interval excludes the reference share
                    if not rule or prevalence.moved:
                        moved = adjusted_posteriors(p, float(y_ref.mean()), prevalence.estimated)
                        adjusted = estimate_performance(y_ref, p_ref, d_ref, moved, d, chunk, truth=truth).chunks[0]
                    else:
                        adjusted = result
                    adjusted_errors.append(abs(adjusted.estimate - adjusted.realised))
                    kicked_in.append(prevalence.moved)
            rows.append({"scenario": scenario, "chunk rows": size, "minority rows a chunk": np.mean(minority_rows),
                         "chunks": len(errors), "MAE of F1": np.mean(errors),
                         "MAE adjusted": np.mean(adjusted_errors) if adjusted_errors else np.nan,
                         "realised inside": np.mean(inside), "interval width": np.mean(widths),
                         "EM share inside": np.mean(share_hits) if share_hits else np.nan,
                         "share moved": np.mean(kicked_in) if kicked_in else np.nan,
                         "mean-p share inside": np.mean(mean_hits) if mean_hits else np.nan})
            print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def _markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (three decimals), without the optional tabulate package."""
    def cell(value):
        return f"{value:.3f}" if isinstance(value, float) else str(value)
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=30, help="chunks per scenario and size")
    parser.add_argument("--out", help="also write the table as Markdown here")
    parser.add_argument("--rule", action="store_true",
                        help="MAE adjusted with the app's rule (adjust only where the share moved), every scenario")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), metavar="SCENARIO")
    args = parser.parse_args()
    started = time.time()
    load = os.getloadavg()
    table = run(args.chunks, rule=args.rule, scenarios=tuple(args.scenarios))
    shown = _markdown(table)
    stamp = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()} {os.cpu_count()} cores, "
             f"load average at start {load[0]:.1f}, {time.time() - started:.0f} s")
    print(shown)
    print(stamp)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(shown + "\n\n" + stamp + "\n")
    return 0


if __name__ == "__main__":
    with loud_warnings():
        raise SystemExit(main())
