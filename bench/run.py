"""The benchmark table: seconds and peak traced memory of each stage, ours against the same work written
directly with pandas, imbalanced-learn and scikit-learn, on make_classification tables (seed 0) of
10,000 / 100,000 / 1,000,000 rows x 30 features at 1% minority. Writes bench/RESULTS.md.

python bench/run.py [--sizes 10000,100000,1000000]
Goals: ratio at most 1.5 for profile and generation, at most 2 for the comparison; 1,000,000 rows within 24 GiB.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import as_dataset, classification_frame, loud_warnings, measured  # noqa: E402
from core.evaluation import run_arms  # noqa: E402
from core.generators.amount import Amount  # noqa: E402
from core.imbalance import profile_dataset  # noqa: E402
from core.pipeline import prepare, synthesize  # noqa: E402
from core.validation.validate import validate_synthetic  # noqa: E402

GOALS = {"profile": 1.5, "SMOTE generation": 1.5, "validation (no UMAP)": None, "UMAP (20,000 rows)": None,
         "comparison (1 repeat)": 2.0}


def direct_profile(frame: pd.DataFrame) -> None:
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler
    counts = frame["label"].value_counts()
    frame.drop(columns="label").isna().groupby(frame["label"]).mean()
    points = StandardScaler().fit_transform(frame.drop(columns="label"))
    minority = np.flatnonzero(frame["label"].to_numpy() == counts.idxmin())
    _, index = NearestNeighbors(n_neighbors=6, algorithm="brute").fit(points).kneighbors(points[minority])
    (frame["label"].to_numpy()[index[:, 1:]] == counts.idxmin()).sum(axis=1)


def direct_smote(train: pd.DataFrame) -> pd.DataFrame:
    from imblearn.over_sampling import SMOTE
    from sklearn.preprocessing import StandardScaler
    x, y = train.drop(columns="label"), train["label"]
    scaler = StandardScaler().fit(x)
    x_res, y_res = SMOTE(sampling_strategy={"rare": int(y.value_counts().max())}, random_state=0).fit_resample(
        scaler.transform(x), y)
    new = pd.DataFrame(scaler.inverse_transform(x_res[len(x):]), columns=x.columns)
    return new.assign(label=np.asarray(y_res)[len(x):])


def direct_validation(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    from scipy import stats
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler
    columns = [c for c in train.columns if c != "label"]
    real = train.loc[train["label"] == "rare", columns]
    for c in columns:
        stats.ks_2samp(real[c], synthetic[c])
    real.corr() - synthetic[columns].corr()
    scaler = StandardScaler().fit(train[columns])
    t, s, h, r = (scaler.transform(f[columns]) for f in (train, synthetic, test, real))
    rng = np.random.default_rng(0)
    probes = s[rng.choice(len(s), min(len(s), 50_000), replace=False)]
    NearestNeighbors(n_neighbors=2, algorithm="brute").fit(t).kneighbors(probes)
    NearestNeighbors(n_neighbors=2, algorithm="brute").fit(t).kneighbors(t[rng.choice(len(t), min(len(t), 10_000),
                                                                                        replace=False)])
    n = min(len(t), len(h))
    few = probes[:10_000]
    NearestNeighbors(n_neighbors=1, algorithm="brute").fit(t[:n]).kneighbors(few)
    NearestNeighbors(n_neighbors=1, algorithm="brute").fit(h[:n]).kneighbors(few)
    NearestNeighbors(n_neighbors=1, algorithm="brute").fit(t).kneighbors(h[:10_000])
    small_r, small_s = r[:5000], s[:5000]
    NearestNeighbors(n_neighbors=6, algorithm="brute").fit(small_r).kneighbors(small_r)
    NearestNeighbors(n_neighbors=6, algorithm="brute").fit(small_s).kneighbors(small_s)
    NearestNeighbors(n_neighbors=len(small_r), algorithm="brute").fit(small_r)
    from sklearn.metrics import pairwise_distances
    for start in range(0, len(small_s), 1000):
        pairwise_distances(small_s[start:start + 1000], small_r)
    k = min(len(r), len(s), 5000)
    both = np.vstack([r[:k], s[:k]])
    cross_val_score(LogisticRegression(max_iter=2000), both, np.r_[np.zeros(k), np.ones(k)], scoring="roc_auc", cv=5)
    LogisticRegression(max_iter=2000, class_weight="balanced").fit(t, train["label"]).predict(s)


def direct_comparison(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x, y = train.drop(columns="label"), train["label"]

    def fit(rows_x, rows_y, weight=None):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight=weight))
        return model.fit(rows_x, rows_y)

    models = [fit(x, y), fit(x, y, "balanced"), fit(pd.concat([x, synthetic[x.columns]]),
                                                     pd.concat([y, synthetic["label"]])),
              fit(pd.concat([x[y != "rare"], synthetic[x.columns]]), pd.concat([y[y != "rare"], synthetic["label"]]))]
    fx, cx, fy, cy = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    inner = fit(fx, fy)
    score = inner.predict_proba(cx)[:, 1]
    [f1_score(cy == "rare", score >= t) for t in np.arange(0.01, 1.0, 0.01)]
    for model in models:
        p = model.predict_proba(test[x.columns])[:, list(model.classes_).index("rare")]
        f1_score(test["label"] == "rare", p >= 0.5)
        roc_auc_score(test["label"] == "rare", p)
        average_precision_score(test["label"] == "rare", p)


def direct_umap(points: np.ndarray, synthetic: np.ndarray) -> None:
    import umap
    reducer = umap.UMAP(n_components=2, random_state=0).fit(points[:20_000])
    reducer.transform(synthetic[:3000])


def ctgan_seconds_per_epoch() -> float:
    frame = classification_frame(5000, features=12, minority=0.3)
    dataset = as_dataset(frame)
    prepared = prepare(dataset, seed=0)
    started = time.perf_counter()
    from core.generators.registry import generate
    generate(prepared.train, "label", dataset.features, dataset.column_types, {"rare": 10}, "ctgan",
             {"epochs": 3, "batch_size": 500, "mode": "conditional"}, seed=0)
    return (time.perf_counter() - started) / 3


def preload() -> None:
    """Import every library both sides use, so neither timing pays a first import."""
    import imblearn.over_sampling  # noqa: F401
    import scipy.stats  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.neighbors  # noqa: F401


def run_size(rows: int) -> list[dict]:
    """Time every stage (no tracing; best of 3 up to 100,000 rows), then run it again under tracemalloc for its
    peak memory."""
    runs = [_stages(rows, memory=False) for _ in range(3 if rows <= 100_000 else 1)]  # best of 3 where cheap
    timed = tuple({stage: min(run[side][stage] for run in runs) for stage in GOALS} for side in (0, 1))
    traced = _stages(rows, memory=True)
    table = []
    for stage in GOALS:
        (s_ours, _), (s_theirs, _) = timed[0][stage], timed[1][stage]
        (_, m_ours), (_, m_theirs) = traced[0][stage], traced[1][stage]
        table.append({"rows": rows, "stage": stage, "ours_s": s_ours, "direct_s": s_theirs,
                      "ratio": s_ours / s_theirs if s_theirs else float("nan"), "ours_peak_mib": m_ours,
                      "direct_peak_mib": m_theirs, "goal": GOALS[stage]})
        print(f"{rows:>9,} {stage:<24} ours {s_ours:8.2f} s  direct {s_theirs:8.2f} s  "
              f"peak {m_ours:8.0f} / {m_theirs:8.0f} MiB", flush=True)
    return table


def _stages(rows: int, memory: bool) -> tuple[dict, dict]:
    preload()
    frame = classification_frame(rows, minority=0.01)
    dataset = as_dataset(frame)
    ours, theirs = {}, {}
    with measured(ours, "profile", memory=memory):
        profile_dataset(dataset)
    with measured(theirs, "profile", memory=memory):
        direct_profile(frame)
    prepared = prepare(dataset, seed=0)
    train, test = prepared.train, prepared.test
    with measured(ours, "SMOTE generation", memory=memory):
        synthetic = synthesize(prepared, "smote", Amount("ratio", 1.0), seed=0)
    with measured(theirs, "SMOTE generation", memory=memory):
        direct_smote(train)
    with measured(ours, "validation (no UMAP)", memory=memory):
        validate_synthetic(train, test, synthetic.rows, "label", dataset.features, dataset.column_types, seed=0)
    with measured(theirs, "validation (no UMAP)", memory=memory):
        direct_validation(train, test, synthetic.rows)
    import umap  # import and compile once, outside both timings: about 24 s of numba work on this machine
    warm = np.random.default_rng(0).normal(size=(5000, 30))  # above 4,096 rows UMAP takes its NN-descent path
    umap.UMAP(n_components=2, random_state=0).fit(warm).transform(warm[:50])
    from core.encoding import fit_distance_space, to_distance_space
    from core.validation.embedding import umap_projection
    space = fit_distance_space(train, dataset.features, dataset.column_types)
    points = to_distance_space(space, train, dataset.features, dataset.column_types)
    labels = train["label"].to_numpy()
    synthetic_points = to_distance_space(space, synthetic.rows.head(5000), dataset.features, dataset.column_types)
    with measured(ours, "UMAP (20,000 rows)", memory=memory):
        umap_projection(points, labels, {"rare"}, synthetic_points, seed=0)
    with measured(theirs, "UMAP (20,000 rows)", memory=memory):
        direct_umap(points, synthetic_points)
    with measured(ours, "comparison (1 repeat)", memory=memory):
        run_arms(train, test, synthetic.rows, "label", dataset.features, dataset.column_types, ["rare"], "common",
                 "logreg", 0)
    with measured(theirs, "comparison (1 repeat)", memory=memory):
        direct_comparison(train, test, synthetic.rows)
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    _stages(3000, memory=False)  # warm-up, discarded: first imports, compilation and thread pools for both sides
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        rows += run_size(size)
    per_epoch = ctgan_seconds_per_epoch()
    lines = ["# Benchmarks", "",
             f"Machine: {platform.processor() or platform.machine()}, 2 cores; Python {platform.python_version()}. "
             "Tables: make_classification (seed 0), 30 numeric features, 1% minority; SMOTE to a 1:1 ratio; "
             "seconds are the best of 3 untraced passes (1 pass at 1,000,000 rows), peak memory from a second pass "
             "under tracemalloc (Python and numpy "
             "allocations). Re-run: `python bench/run.py`.", "",
             "| rows | stage | ours (s) | direct (s) | ratio | goal | ours peak (MiB) | direct peak (MiB) |",
             "|---:|---|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        goal = f"<= {r['goal']}" if r["goal"] else "-"
        lines.append(f"| {r['rows']:,} | {r['stage']} | {r['ours_s']:.2f} | {r['direct_s']:.2f} | {r['ratio']:.2f} | "
                     f"{goal} | {r['ours_peak_mib']:.0f} | {r['direct_peak_mib']:.0f} |")
    lines += ["", f"CTGAN on 5,000 rows x 13 columns: {per_epoch:.2f} s per epoch (mean of 3 epochs).", ""]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    with loud_warnings():
        main()
