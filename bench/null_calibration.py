"""Calibration on a null: how often would the app call two exchangeable strategies significantly different?

Two seeds of the same strategy (SMOTE to 1:1, then a 50-tree random forest; only the seeds differ) are compared
over J = 5 repeated stratified splits (test share 0.3) on 10 datasets (the three bundled samples and seven seeded
make_classification tables), many trials each. Per trial the paired minority-F1 differences are judged three ways:
  before: the plain Student-t 95% interval excludes 0 (what the app showed before the correction);
  Wilcoxon: signed-rank p < 0.05 (the old p-value; it cannot go below 0.0625 at 5 repeats);
  after:  the corrected resampled t-test (Nadeau & Bengio 2003) interval excludes 0.
At the nominal 5% level the share must be at most 7% after the change.
Run: python bench/null_calibration.py [trials per dataset]   (prints a Markdown table)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import loud_warnings  # noqa: E402
from core.intervals import corrected_interval  # noqa: E402

REPEATS, TEST_SIZE, ALPHA = 5, 0.3, 0.05


def declared(differences: np.ndarray, test_train_ratio: float) -> dict[str, bool]:
    """For one trial's per-split differences: is the difference 'significant' before, by Wilcoxon, and after?"""
    _, low_plain, high_plain, _ = corrected_interval(list(differences), 0.0)
    _, low, high, _ = corrected_interval(list(differences), test_train_ratio)
    nonzero = differences[differences != 0]
    wilcoxon = bool(len(nonzero) >= 1 and stats.wilcoxon(differences, zero_method="zsplit").pvalue < ALPHA)
    return {"before (plain t-interval)": not (low_plain <= 0 <= high_plain), "Wilcoxon p < 0.05": wilcoxon,
            "after (corrected t-interval)": not (low <= 0 <= high)}


def rejection_rates(trials: list[np.ndarray], test_train_ratio: float) -> dict[str, float]:
    """Share of trials declared significant by each rule."""
    flags = [declared(np.asarray(d, dtype=float), test_train_ratio) for d in trials]
    return {rule: float(np.mean([f[rule] for f in flags])) for rule in flags[0]}


def _datasets() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    from sklearn.datasets import make_classification

    from core.data import validate_dataset
    from core.encoding import model_frame
    from core.reading import read_path

    root = Path(__file__).resolve().parents[1] / "sample_data"
    out = {}
    for name, target in (("german_credit", "credit_risk"), ("hypothyroid", "diagnosis"), ("abalone19", "rings_19")):
        ds = validate_dataset(read_path(root / f"{name}.csv"), target)
        numbers = [c for c in ds.features if ds.column_types[c] in ("numeric", "integer")]
        frame = model_frame(ds.frame, numbers, ds.column_types).fillna(0.0)
        levels = [c for c in ds.features if ds.column_types[c] in ("categorical", "boolean")]
        frame = pd.concat([frame, pd.get_dummies(ds.frame[levels].astype(str), dtype=float)], axis=1)
        out[name] = (frame, ds.frame[target].astype(str))
    for seed in range(7):
        x, y = make_classification(1500, 10 + 2 * seed, n_informative=5, weights=[0.9 - 0.02 * seed],
                                   flip_y=0.02, random_state=seed)
        out[f"make_classification_{seed}"] = (pd.DataFrame(x), pd.Series(np.where(y == 1, "rare", "common")))
    return out


def _trial(x: pd.DataFrame, y: pd.Series, trial: int) -> np.ndarray:
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    minority = y.value_counts().idxmin()
    differences = []
    for repeat in range(REPEATS):
        split_seed = 1000 * trial + repeat
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=TEST_SIZE, stratify=y,
                                                            random_state=split_seed)
        scores = []
        for strategy_seed in (2 * split_seed, 2 * split_seed + 1):  # the two exchangeable strategies
            model = Pipeline([("resample", SMOTE(k_neighbors=3, random_state=strategy_seed)),
                              ("model", RandomForestClassifier(50, random_state=strategy_seed, n_jobs=1))])
            model.fit(x_train, y_train)
            scores.append(f1_score(y_test, model.predict(x_test), pos_label=minority, zero_division=0))
        differences.append(scores[0] - scores[1])
    return np.asarray(differences)


def main() -> None:
    from joblib import Parallel, delayed

    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    ratio = TEST_SIZE / (1 - TEST_SIZE)
    rows, everything = [], []
    for name, (x, y) in _datasets().items():
        differences = Parallel(n_jobs=-1)(delayed(_trial)(x, y, t) for t in range(trials))
        everything += differences
        rows.append({"dataset": name, **rejection_rates(differences, ratio)})
        print(name, rows[-1], file=sys.stderr)
    overall = rejection_rates(everything, ratio)
    print(f"Null calibration: two seeds of SMOTE + random forest, {REPEATS} repeated splits (test share "
          f"{TEST_SIZE}), {trials} trials x {len(rows)} datasets = {len(everything)} comparisons; share declared "
          f"significant at the nominal {ALPHA:.0%} level.\n")
    print("| dataset | " + " | ".join(overall) + " |\n|---|" + "---:|" * len(overall))
    for row in rows + [{"dataset": "**all**", **overall}]:
        print(f"| {row['dataset']} | " + " | ".join(f"{row[k]:.1%}" for k in overall) + " |")


if __name__ == "__main__":
    with loud_warnings():
        main()
