"""`run` (SMOTE, logistic regression, 1 repeat, no validation) on 100,000 x 30 against the same steps written
directly with pandas, imbalanced-learn and scikit-learn: read the CSV, stratified split, SMOTE on standardised
features, seven logistic-regression fits (baseline, class weights, augmented, TSTR, and the threshold-tuning
models of the first three, the augmented one on SMOTE rows made from the tuning split's fit part), and the test
metrics. Goal (comparison issue): ratio at most 2. Run: python bench/run_speed.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import classification_frame, loud_warnings  # noqa: E402
from core.config import RunConfig  # noqa: E402
from core.data import validate_dataset  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.reading import read_path  # noqa: E402


def direct(path: Path) -> float:
    """The same work by hand; returns the baseline minority F1 (to show both do real work)."""
    from imblearn.over_sampling import SMOTE
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(path)
    x, y = frame.drop(columns="label"), frame["label"]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=42)
    scaler = StandardScaler().fit(x_train)
    counts = y_train.value_counts()
    x_res, y_res = SMOTE(sampling_strategy={"rare": int(counts.max())}, random_state=42).fit_resample(
        scaler.transform(x_train), y_train)
    x_syn = pd.DataFrame(scaler.inverse_transform(x_res[len(x_train):]), columns=x.columns)
    y_syn = y_res[len(x_train):]

    def model(weight=None):
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight=weight))

    baseline = model().fit(x_train, y_train)
    model("balanced").fit(x_train, y_train)
    fit_x, check_x, fit_y, check_y = train_test_split(x_train, y_train, test_size=0.25, stratify=y_train,
                                                      random_state=42)

    def tuned(fit_rows, fit_labels, weight=None) -> float:
        inner = model(weight).fit(fit_rows, fit_labels)
        score = inner.predict_proba(check_x)[:, list(inner.classes_).index("rare")]
        return max(np.arange(0.01, 1.0, 0.01), key=lambda t: f1_score(check_y == "rare", score >= t))

    best = tuned(fit_x, fit_y)
    tuned(fit_x, fit_y, "balanced")
    fit_scaler = StandardScaler().fit(fit_x)
    fit_res, fit_labels = SMOTE(sampling_strategy={"rare": int(fit_y.value_counts().max())},
                                random_state=42).fit_resample(fit_scaler.transform(fit_x), fit_y)
    tuned(pd.DataFrame(fit_scaler.inverse_transform(fit_res), columns=x.columns), fit_labels)
    model().fit(pd.concat([x_train, x_syn]), pd.concat([y_train, pd.Series(y_syn)]))
    majority = y_train != "rare"
    model().fit(pd.concat([x_train[majority], x_syn]), pd.concat([y_train[majority], pd.Series(y_syn)]))
    p = baseline.predict_proba(x_test)[:, list(baseline.classes_).index("rare")]
    average_precision_score(y_test == "rare", p)
    return float(f1_score(y_test == "rare", p >= best))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        classification_frame(100_000, minority=0.01).to_csv(path, index=False)
        started = time.perf_counter()
        direct(path)
        by_hand = time.perf_counter() - started
        started = time.perf_counter()
        dataset = validate_dataset(read_path(path), "label")
        run_experiment(dataset, RunConfig(target="label", method="smote", repeats=1, validation=False))
        ours = time.perf_counter() - started
    print("| rows x features | direct (s) | run (s) | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    print(f"| 100,000 x 30 | {by_hand:.1f} | {ours:.1f} | {ours / by_hand:.2f} | <= 2 |")


if __name__ == "__main__":
    with loud_warnings():
        main()
