"""The strategy race on a 100,000 x 30 numeric table with logistic regression: 6 candidates x 5 folds x 3 repeats.

Ours (`core.race.race`, n_jobs=1 and n_jobs=2) against the same work written directly with imbalanced-learn's
Pipeline and scikit-learn's cross_validate over RepeatedStratifiedKFold(5, 3): per candidate,
TunedThresholdClassifierCV (the threshold from 3 stratified inner folds, then a refit on the fold's training rows)
around [sampler,] standardisation and logistic regression, scored by minority F1 and average precision (both with
pos_label='rare', error_score='raise': a scorer that fails stops the bench instead of timing less work) on each
fold's validation rows. Everything runs under loud_warnings.
Goals: speed-up n_jobs=2 over n_jobs=1 at least 1.7 (issue 36; 1.6 before); ours / direct at most 1.5.
Run: python bench/race_speed.py [rows] [--ours]   (prints a Markdown table; --ours: only ours at n_jobs 1 and 2)
     python bench/race_speed.py --german   (`advise`'s race on German credit, full and adaptive, n_jobs 1 and 2,
                                            side by side in one run: seconds, fits, picks)
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import as_dataset, classification_frame, loud_warnings  # noqa: E402
from core.estimates import race_fits_per_fold  # noqa: E402
from core.race import race, race_prepared  # noqa: E402
from core.thresholds import THRESHOLDS  # noqa: E402

CANDIDATES = ["threshold_tuned", "class_weighted", "random_oversampler", "smote", "borderline_smote", "adasyn"]
FOLDS, REPEATS, INNER_FOLDS, SEED = 5, 3, 3, 42


def direct(frame) -> float:
    """The same race by hand; returns the best mean minority F1 (so both sides do real work)."""
    from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score, make_scorer
    from sklearn.model_selection import (
        RepeatedStratifiedKFold,
        StratifiedKFold,
        TunedThresholdClassifierCV,
        cross_validate,
    )
    from sklearn.preprocessing import StandardScaler

    x, y = frame.drop(columns="label"), frame["label"]
    samplers = {"random_oversampler": RandomOverSampler(random_state=SEED), "smote": SMOTE(random_state=SEED),
                "borderline_smote": BorderlineSMOTE(random_state=SEED), "adasyn": ADASYN(random_state=SEED)}
    f1 = make_scorer(f1_score, pos_label="rare")
    # the default average_precision scorer takes pos_label=1, which string labels do not have: every fold then
    # failed inside scoring and the reference timed no PR-AUC at all (issue 25)
    ap = make_scorer(average_precision_score, response_method="predict_proba", pos_label="rare")
    best = 0.0
    for name in CANDIDATES:
        steps = [("scale", StandardScaler())]
        if name in samplers:
            steps.append(("resample", samplers[name]))
        steps.append(("model", LogisticRegression(C=1.0, max_iter=2000, random_state=SEED,
                                                  class_weight="balanced" if name == "class_weighted" else None)))
        tuned = TunedThresholdClassifierCV(Pipeline(steps), scoring=f1, thresholds=THRESHOLDS,
                                           cv=StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=SEED),
                                           refit=True)
        scores = cross_validate(tuned, x, y, cv=RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS,
                                                                        random_state=SEED),
                                scoring={"f1": f1, "ap": ap}, n_jobs=1, error_score="raise")
        assert np.isfinite(scores["test_ap"]).all()
        best = max(best, float(np.mean(scores["test_f1"])))
    return best


def ours(dataset, n_jobs: int):
    return race(dataset.frame, "label", dataset.features, dataset.column_types, ["rare"], "common", "logreg", FOLDS,
                SEED, candidates=CANDIDATES, n_jobs=n_jobs, repeats=REPEATS)


def german() -> None:
    """`python -m core advise` on German credit (its race_prepared call, default settings), the full race and the
    adaptive one at n_jobs 1 and 2, interleaved in one run so that load hits both alike."""
    import os

    from core.data import validate_dataset
    from core.pipeline import prepare
    from core.reading import read_path

    root = Path(__file__).resolve().parents[1]
    prepared = prepare(validate_dataset(read_path(root / "sample_data" / "german_credit.csv"), "credit_risk"), 0.3,
                       42)
    print(f"advise on German credit ({len(prepared.train):,} training rows), load before: {os.getloadavg()[0]:.1f}\n")
    print("| race | n_jobs | seconds | fits | stopped | recommended |\n|---|---:|---:|---:|---|---|")
    for n_jobs in (1, 2):
        for adaptive in (False, True):
            started = time.perf_counter()
            result = race_prepared(prepared, "logreg", n_jobs=n_jobs, adaptive=adaptive)
            seconds = time.perf_counter() - started
            fits = sum(race_fits_per_fold(c.name) * len(c.minority_f1.values) for c in result.candidates if c.ran)
            stopped = ", ".join(f"{n} after {r}" for n, r in result.stopped) or "none"
            print(f"| {'adaptive' if adaptive else 'full'} | {n_jobs} | {seconds:.1f} | {fits} | {stopped} | "
                  f"{result.recommended} |", flush=True)
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


def main() -> None:
    if sys.argv[1:] == ["--german"]:
        return german()
    only_ours = "--ours" in sys.argv[1:]
    numbers = [a for a in sys.argv[1:] if a != "--ours"]
    rows = int(numbers[0]) if numbers else 100_000
    frame = classification_frame(rows, 30, minority=0.05)
    dataset = as_dataset(frame)
    timings = {}
    runs = (("direct, n_jobs=1", lambda: direct(frame)), ("ours, n_jobs=1", lambda: ours(dataset, 1)),
            ("ours, n_jobs=2", lambda: ours(dataset, 2)))
    for label, work in runs[1:] if only_ours else runs:
        started = time.perf_counter()
        output = work()
        timings[label] = time.perf_counter() - started
        best = output if isinstance(output, float) else max(c.minority_f1.mean for c in output.candidates if c.ran)
        print(f"{label}: {timings[label]:.1f} s (best mean minority F1 {best:.3f})", file=sys.stderr)
    print(f"Race on {rows:,} x 30 (5% minority), {len(CANDIDATES)} candidates x {FOLDS} folds x {REPEATS} repeats, "
          f"thresholds from {INNER_FOLDS} inner folds, logistic regression, 2-core machine.\n")
    print("| run | seconds |\n|---|---:|")
    for label, seconds in timings.items():
        print(f"| {label} | {seconds:.1f} |")
    print(f"\nSpeed-up n_jobs=2 / n_jobs=1: {timings['ours, n_jobs=1'] / timings['ours, n_jobs=2']:.2f} "
          f"(goal >= 1.7); load average at the end {os.getloadavg()[0]:.1f}.")
    if not only_ours:
        print(f"ours / direct (n_jobs=1): {timings['ours, n_jobs=1'] / timings['direct, n_jobs=1']:.2f} (goal <= 1.5).")


if __name__ == "__main__":
    with loud_warnings():
        main()
