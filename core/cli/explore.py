"""The commands that look before anything is generated: `analyze` (the imbalance profile), `advise` (the strategy
race on the training part) and `methods` (the generators' catalogue)."""
from __future__ import annotations

import json
import sys

from core.cli.arguments import column_types, read_for_target
from core.data import validate_dataset
from core.generators.registry import catalogue
from core.imbalance import profile_dataset
from core.pipeline import prepare
from core.race import race_prepared
from core.reading import read_path
from core.results import clean
from core.strategies import strategy_words


def analyze(args) -> int:
    dataset = validate_dataset(read_for_target(args), args.target, column_types(args))
    for note in dataset.notes:
        if "differ only by case or spaces" in note and "were merged" not in note:
            print(f"note: {note}", file=sys.stderr)
    profile = profile_dataset(dataset)
    if args.json:
        print(json.dumps(profile.to_dict(), indent=2, default=str))
        return 0
    print(profile.summary)
    print(f"rows: {profile.n_rows:,}   features: {profile.n_features}   classes: {len(profile.class_counts)}")
    for label, n in profile.class_counts.items():
        print(f"  {label}: {n:,} ({profile.class_shares[label]:.1%})")
    print(f"imbalance ratio: {profile.imbalance_ratio} : 1   minority: {profile.minority_class}")
    print("missing share by class: " + ", ".join(f"{c} {s:.1%}" for c, s in profile.missing_share_by_class.items()))
    for row in profile.typology.to_dict(orient="records"):
        print(f"typology of '{row['class']}': safe {row['safe']}, borderline {row['borderline']}, "
              f"rare {row['rare']}, outlier {row['outlier']}")
    return 0


def advise(args) -> int:
    dataset = validate_dataset(read_path(args.data), args.target, column_types(args))
    prepared = prepare(dataset, args.test_size, args.seed)
    candidates = [c.strip() for c in args.candidates.split(",") if c.strip()] if args.candidates else None
    interactive = sys.stderr.isatty() and not args.json  # progress for a person at a terminal, not for pipes
    progress = (lambda f, m: print(f"[{f:4.0%}] {m}", file=sys.stderr)) if interactive else None
    result = race_prepared(prepared, args.classifier, args.folds, args.budget_seconds, candidates, args.n_jobs,
                           args.scheduler, progress, repeats=args.repeats, margin=args.margin)
    if args.json:
        print(json.dumps(clean(result.to_dict()), indent=2))
        return 0
    print(f"recommended: {strategy_words(result.recommended)} ({result.recommended}; {result.kind}; {result.folds} "
          f"folds x {result.repeats} repeats, margin {result.margin:g})")
    for c in result.candidates:
        if c.ran:
            print(f"  {c.name:20s} minority F1 {c.minority_f1.mean:.3f} [{c.minority_f1.ci_low:.3f}, "
                  f"{c.minority_f1.ci_high:.3f}]  PR-AUC {c.pr_auc.mean:.3f} [{c.pr_auc.ci_low:.3f}, "
                  f"{c.pr_auc.ci_high:.3f}]  {c.seconds:.1f} s")
        else:
            print(f"  {c.name:20s} could not run: {c.error}")
    print(result.explanation)
    return 0


def methods(args) -> int:
    methods = catalogue()
    if args.json:
        print(json.dumps(clean(methods), indent=2))
        return 0
    for method in methods:
        private = "  [differentially private]" if method["differentially_private"] else ""
        print(f"{method['name']}: {method['label']} ({method['family']}, {method['library']}){private}")
        print(f"  takes {method['takes']}; at least {method['min_minority_rows']} minority rows")
        for param in method["params"]:
            allowed = (" | ".join(map(str, param["choices"])) if param["kind"] == "choice"
                       else f"{param['low']:g} to {param['high']:g}")
            print(f"  --{param['name']}: {param['kind']}, default {param['default']}, {allowed}")
    return 0
