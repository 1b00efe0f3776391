"""The commands that generate and judge: `generate` (synthetic rows), `run` (a whole run from options or a replayed
config, writing results.json, the card and the Summary), `compare` (the leaderboard of several generators) and
`sweep` (the privacy-utility dial)."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from core.card_render import to_html, to_markdown
from core.cleaning import CleaningPlan
from core.cli.arguments import (
    column_bounds,
    column_types,
    generation_params,
    private_params,
    read_for_target,
    relative_data_path,
    synthetic_amount,
)
from core.cli.parser import CliError
from core.config import RunConfig, build_run_config, check_work, config_json, read_config
from core.constraints import build_constraints
from core.data import table_for_config, validate_dataset
from core.estimates import check_run_cost
from core.evaluation import Targets
from core.export import to_csv_text
from core.generators.amount import Amount
from core.generators.registry import METHOD_NAMES, get_info
from core.leaderboard import build_leaderboard
from core.pipeline import augmented, prepare, run_experiment, synthesize
from core.reading import read_path
from core.report import build_model_card
from core.results import clean, write_results
from core.strategies import NO_GENERATION
from core.sweep import parse_epsilons, run_sweep


def generate(args) -> int:
    prepared = prepare(validate_dataset(read_for_target(args), args.target, column_types(args)), args.test_size,
                       args.seed, CleaningPlan(missing=args.missing))
    constraints = build_constraints(list(prepared.dataset.frame.columns), args.rule, column_bounds(args))
    result = synthesize(prepared, args.method, synthetic_amount(args), generation_params(args), args.seed, constraints)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kinds = prepared.dataset.column_types
    (out / "synthetic.csv").write_text(to_csv_text(result.rows, kinds))
    (out / "augmented_train.csv").write_text(to_csv_text(augmented(prepared, result), kinds))
    for warning in result.warnings:
        print(f"note: {warning}", file=sys.stderr)
    print(f"{result.n_synthetic:,} synthetic rows ({result.method_used}, {result.seconds:.2f} s) -> {out}")
    return 0


def config_from_args(args, table) -> RunConfig:
    if not (args.data and args.target and args.method):
        raise CliError("run needs --data, --target and --method, or --config FILE")
    if args.method in NO_GENERATION:
        given = [flag for flag, value in (("--ratio", args.ratio), ("--count", args.count), ("--rule", args.rule),
                                          ("--bound", args.bound), ("--levels", args.levels),
                                          ("--epochs", args.epochs)) if value]
        if given:
            raise CliError(f"{', '.join(given)} set(s) how synthetic rows are made, and '{args.method}' makes none; "
                           "drop it or choose a generator.")
    return build_run_config(args.target, args.method, data=Path(args.data).name, data_sha256=table.sha256,
                            column_types=column_types(args), cleaning=CleaningPlan(missing=args.missing),
                            test_size=args.test_size, seed=args.seed, amount=synthetic_amount(args),
                            params=generation_params(args), rules=tuple(args.rule), bounds=column_bounds(args),
                            classifier=args.classifier, repeats=args.repeats,
                            targets=Targets(args.target_gain), validation=not args.no_validation)


def replayed_run(args):
    """(table, config) from --config: the data is --data, else the config's `data` as a path relative to the
    config's folder (no absolute path, no `..`); its SHA-256 must be in the config and match the file."""
    config_path = Path(args.config)
    if not config_path.is_file():
        raise CliError(f"No config file at '{config_path}'.")
    config = read_config(config_path.read_text())
    if args.data:
        data_path = Path(args.data)
    else:
        data_path = config_path.parent / relative_data_path(config.data)
        if not data_path.is_file():
            raise CliError(f"The config's data file '{config.data}' was not found beside the config; "
                           "pass it with --data.")
    if not config.data_sha256:
        raise CliError("The config has no data_sha256, so the data cannot be checked; add the file's SHA-256 "
                       "(a config saved by the app or by `run` has it).")
    table = read_path(data_path)
    if getattr(args, "refreshed", False) and args.data:  # same settings on refreshed data; the config records it
        return table, replace(config, data=data_path.name, data_sha256=table.sha256)
    matched = table_for_config(table, config.target, config.data_sha256)  # the file, or it with labels merged
    if matched is None:
        raise CliError(f"'{data_path}' is not the file this config was made from (SHA-256 differs).")
    if matched is not table:
        print(f"note: {matched.notes[-1]}", file=sys.stderr)
    return matched, config


def run(args) -> int:
    if args.config:
        table, config = replayed_run(args)
        if column_types(args):  # --type on a replay adds to (or overrides) the config's stored types
            config = replace(config, column_types={**config.column_types, **column_types(args)})
    else:
        table = read_for_target(args) if args.data and args.target else read_path(args.data)
        config = config_from_args(args, table)
    dataset = validate_dataset(table, config.target, config.column_types)
    check_work(config, len(dataset.frame), limit=args.max_work)
    check_run_cost(config, dataset, args.max_hours, args.n_jobs, lift="--max-hours")
    result = run_experiment(dataset, config, n_jobs=args.n_jobs, scheduler=args.scheduler)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kinds = dataset.column_types
    write_results(result, out / "results.json")
    if result.synthetic is not None:
        (out / "synthetic.csv").write_text(to_csv_text(result.synthetic.rows, kinds))
        (out / "augmented_train.csv").write_text(to_csv_text(augmented(result.prepared, result.synthetic), kinds))
    (out / "config.json").write_text(config_json(config))
    card = build_model_card(result)
    (out / "model_card.md").write_text(to_markdown(card))
    (out / "model_card.html").write_text(to_html(card, result))
    from core.summary import to_html as summary_html
    (out / "summary.html").write_text(summary_html(result))  # the stakeholder Summary, built headless
    print(result.comparison.verdict)
    print(f"results -> {out / 'results.json'}")
    return 0


def compare(args) -> int:
    table = read_path(args.data)
    types = column_types(args)
    dataset = validate_dataset(table, args.target, types)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if not methods or unknown:
        raise CliError(f"Unknown method(s) {', '.join(unknown) or '(none given)'}; "
                       f"choose from {', '.join(METHOD_NAMES)}.")
    params = {"epochs": args.epochs} if args.epochs is not None else {}
    private = [m for m in methods if get_info(m).differentially_private]
    if (args.epsilon is not None or args.delta is not None or args.accountant is not None) and not private:
        raise CliError("--epsilon, --delta and --accountant apply to differentially private methods; none was listed.")
    config = build_run_config(args.target, methods[0], data=Path(args.data).name, data_sha256=table.sha256,
                              column_types=types, test_size=args.test_size, seed=args.seed,
                              amount=Amount("ratio", args.ratio), classifier=args.classifier, repeats=args.repeats,
                              margin=args.margin)
    check_work(config, len(dataset.frame), len(methods), limit=args.max_work)
    board = build_leaderboard(dataset, config, methods, params_for=lambda m: (
        private_params(m, args) if m in private else params if m in ("ctgan", "tvae") else {}),
        n_jobs=args.n_jobs, scheduler=args.scheduler)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "leaderboard.csv").write_text(to_csv_text(board.rows))
    (out / "leaderboard.json").write_text(json.dumps(clean({
        "best": board.best, "best_chosen_on": board.chosen_on,
        "race": board.race.to_dict() if board.race else None,
        "race_picks": list(board.picks), "race_pick_test_minority_f1": board.pick_test_minority_f1,
        "rows": board.rows.to_dict(orient="records")}), indent=2))
    print(board.rows[["method", "fold_minority_f1", "test_minority_f1", "minority_f1_gain", "decision",
                      "error"]].to_string(index=False))
    print(f"best on the training folds: {board.best or 'none'} ({board.chosen_on}) -> {out / 'leaderboard.csv'}")
    return 0


def sweep(args) -> int:
    table = read_path(args.data)
    dataset = validate_dataset(table, args.target)
    epsilons = parse_epsilons(args.epsilons)
    params = {"epochs": args.epochs} if args.epochs is not None else {}
    params.update({name: getattr(args, name) for name in ("delta", "accountant") if getattr(args, name) is not None})
    config = build_run_config(args.target, args.method, data=Path(args.data).name, data_sha256=table.sha256,
                              test_size=args.test_size, seed=args.seed, amount=Amount("ratio", args.ratio),
                              params=params, classifier=args.classifier, repeats=args.repeats,
                              targets=Targets(args.target_gain))
    result = run_sweep(dataset, config, epsilons, utility_metric=args.utility,
                       include_non_private=not args.no_reference, n_jobs=args.n_jobs,
                       scheduler=args.scheduler)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = result.table()
    (out / "sweep.csv").write_text(result.csv_text())
    (out / "sweep.json").write_text(json.dumps(clean(result.to_dict()), indent=2))
    shown = ["epsilon", "epsilon_spent", f"{args.utility}_gain", "quality_score", "dcr_share_vs_holdout", "error"]
    print(frame[shown].to_string(index=False))
    print(result.answer)
    print(f"sweep -> {out / 'sweep.json'}")
    return 0
