"""Headless commands: `python -m core analyze | advise | generate | run | compare | methods | sweep | drift |
export | predict`.

Bad input: exit 2 and one line `error: ...`."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath

from core.card_render import to_html, to_markdown
from core.cleaning import MISSING_STRATEGIES, CleaningPlan
from core.cluster import one_client_per_command
from core.config import MAX_WORK, RunConfig, build_run_config, check_work, config_json, parse_levels, read_config
from core.constraints import ColumnBound, build_constraints, parse_bound
from core.data import COLUMN_KINDS, merge_similar_labels, table_for_config, validate_dataset
from core.errors import SynthBalanceError
from core.estimates import MAX_RUN_HOURS, check_run_cost
from core.evaluation import Targets
from core.export import to_csv_text
from core.generators.amount import Amount
from core.generators.dp import ACCOUNTANTS
from core.generators.registry import METHOD_NAMES, catalogue, get_info
from core.imbalance import profile_dataset
from core.leaderboard import build_leaderboard
from core.models import CLASSIFIERS
from core.pipeline import augmented, prepare, run_experiment, synthesize
from core.race import DEFAULT_BUDGET_S, DEFAULT_FOLDS, race_prepared
from core.reading import read_path
from core.report import build_model_card
from core.results import clean, write_results
from core.strategies import NO_GENERATION, strategy_words
from core.sweep import UTILITY_METRICS, parse_epsilons, run_sweep


class CliError(SynthBalanceError):
    """A command-line usage mistake (unknown option, missing argument)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage over several lines; we want one clear line
        raise CliError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="SynthBalance headless commands.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    analyze = commands.add_parser("analyze", help="print the imbalance profile")
    analyze.add_argument("--data", required=True)
    analyze.add_argument("--target", required=True)
    analyze.add_argument("--json", action="store_true", help="print JSON instead of text")
    _merge_labels_option(analyze)
    advise = commands.add_parser("advise", help="race candidate strategies on the training part and recommend one")
    advise.add_argument("--data", required=True)
    advise.add_argument("--target", required=True)
    advise.add_argument("--classifier", choices=list(CLASSIFIERS), default="logreg")
    advise.add_argument("--seed", type=int, default=42)
    advise.add_argument("--test-size", type=float, default=0.3, help="the test share `run` sets aside (untouched)")
    advise.add_argument("--folds", type=int, default=DEFAULT_FOLDS, help="cross-validation folds (2 to 20)")
    advise.add_argument("--budget-seconds", type=float, default=DEFAULT_BUDGET_S,
                        help="slow generators enter only when their estimate fits")
    advise.add_argument("--candidates", help="comma-separated names (default: those that fit the data)")
    advise.add_argument("--repeats", type=int, help="repeats of the K folds (default 3 when the budget allows)")
    _margin_option(advise)
    advise.add_argument("--json", action="store_true", help="print JSON instead of text")
    _parallel_options(advise)
    _add_type_option(advise)
    _add_type_option(analyze)
    generate = commands.add_parser("generate", help="write synthetic.csv and augmented_train.csv")
    _shared_generation_options(generate)
    generate.add_argument("--out", required=True)
    run = commands.add_parser("run", help="generate, validate and compare baseline vs augmented; write results.json")
    run.add_argument("--config", help="replay a run config (JSON from the app or a previous run)")
    _shared_generation_options(run, required=False, no_generation=True)
    run.add_argument("--classifier", choices=list(CLASSIFIERS), default="logreg")
    run.add_argument("--repeats", type=int, default=5, help="repeated stratified splits (1 to 30)")
    run.add_argument("--target-gain", type=float, default=0.05, help="minority F1 gain you need over the baseline")
    run.add_argument("--no-validation", action="store_true", help="skip the validation of the synthetic rows")
    run.add_argument("--refreshed", action="store_true",
                     help="with --config and --data: the data is a refreshed version (its SHA-256 may differ); "
                          "the config's settings and seed are kept (the re-run step after a drift check)")
    run.add_argument("--out", required=True)
    _max_work_option(run)
    run.add_argument("--max-hours", type=float, default=MAX_RUN_HOURS, metavar="H",
                     help=f"most hours a run may take by the time estimate (default {MAX_RUN_HOURS:g})")
    _parallel_options(run)
    compare = commands.add_parser("compare", help="leaderboard of several generators on the same splits")
    compare.add_argument("--data", required=True)
    compare.add_argument("--target", required=True)
    compare.add_argument("--methods", required=True, help="comma-separated method names")
    compare.add_argument("--classifier", choices=list(CLASSIFIERS), default="logreg")
    compare.add_argument("--repeats", type=int, default=3)
    compare.add_argument("--seed", type=int, default=42)
    compare.add_argument("--test-size", type=float, default=0.3)
    compare.add_argument("--ratio", type=float, default=1.0)
    compare.add_argument("--epochs", type=int, help="CTGAN / TVAE training epochs")
    _add_type_option(compare)
    _privacy_options(compare)
    compare.add_argument("--out", required=True)
    _max_work_option(compare)
    _margin_option(compare)
    _parallel_options(compare)
    _drift_command(commands)
    _bundle_commands(commands)
    _methods_command(commands)
    _sweep_command(commands)
    return parser


def _max_work_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--max-work", type=int, default=MAX_WORK, metavar="N",
                         help=f"most row-fits (repeats x rows x methods) a run may ask for (default {MAX_WORK:,})")


def _parallel_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--n-jobs", type=int, default=None, help="worker processes (default: all cores)")
    command.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (runs there)")


def _margin_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--margin", type=float, default=0.0,
                         help="minority F1 a generator must lead the best strategy without synthetic rows by "
                              "before it is recommended (default 0: the highest mean wins)")


def _run_method(text: str) -> str:
    if text not in METHOD_NAMES and text not in NO_GENERATION:
        raise CliError(f"Unknown method '{text}'; choose from {', '.join((*NO_GENERATION, *METHOD_NAMES))}.")
    return text


def _shared_generation_options(command: argparse.ArgumentParser, required: bool = True,
                               no_generation: bool = False) -> None:
    command.add_argument("--data", required=required)
    command.add_argument("--target", required=required)
    if no_generation:  # run also takes the race's two strategies without synthetic rows
        command.add_argument("--method", required=required, type=_run_method, metavar="NAME")
    else:
        command.add_argument("--method", required=required, choices=METHOD_NAMES, metavar="NAME")
    amount = command.add_mutually_exclusive_group()
    amount.add_argument("--ratio", type=float, help="minority:majority after augmentation (default 1.0)")
    amount.add_argument("--count", type=int, help="synthetic rows per smaller class")
    command.add_argument("--seed", type=int, default=42)
    command.add_argument("--test-size", type=float, default=0.3)
    command.add_argument("--epochs", type=int, help="CTGAN / TVAE training epochs")
    command.add_argument("--missing", choices=MISSING_STRATEGIES, default="none")
    command.add_argument("--rule", action="append", default=[], help="row rule, e.g. 'age >= 18' (repeatable)")
    command.add_argument("--bound", action="append", default=[], metavar="COL=LOW:HIGH",
                         help="a number column's range, e.g. 'age=18:75' (repeatable); under differential privacy "
                              "the ranges you declare are public and the others are read from the rows (not covered)")
    command.add_argument("--levels", action="append", default=[], metavar="COL=a,b,c",
                         help="a category column's levels, e.g. 'housing=own,rent,free' (repeatable); under "
                              "differential privacy the levels you declare are public and the others are read from "
                              "the rows (not covered)")
    _add_type_option(command)
    _privacy_options(command)
    _merge_labels_option(command)


def _merge_labels_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--merge-similar-labels", action="store_true",
                         help="merge target labels that differ only by case or spaces (never done unasked)")


def _read_for_target(args):
    """The table at --data, with look-alike target labels merged when --merge-similar-labels asks for it."""
    table = read_path(args.data)
    if getattr(args, "merge_similar_labels", False):
        merged = merge_similar_labels(table, args.target)
        if merged is not table:
            print(f"note: {merged.notes[-1]}", file=sys.stderr)
        return merged
    return table


def _bounds(args) -> list[ColumnBound]:
    """The --bound COL=LOW:HIGH ranges as ColumnBounds; a malformed one is a usage error."""
    bounds = []
    for item in getattr(args, "bound", None) or []:
        column, sep, span = item.rpartition("=")
        low, colon, high = span.partition(":")
        try:
            if not (sep and column.strip() and colon):
                raise ValueError
            bounds.append(parse_bound(column.strip(), float(low), float(high)))
        except ValueError:
            raise CliError(f"--bound needs COL=LOW:HIGH with two numbers, got '{item}'.") from None
    for item in getattr(args, "levels", None) or []:
        column, sep, levels = item.partition("=")
        if not sep:
            raise CliError(f"--levels needs COL=a,b,c, got '{item}'.")
        bounds.append(parse_levels(column, levels))
    return bounds


def _add_type_option(command: argparse.ArgumentParser) -> None:
    """--type COL=KIND (repeatable): override a column's inferred kind; the run config stores the overrides."""
    command.add_argument("--type", action="append", default=[], metavar="COL=KIND", dest="types",
                         help=f"set a column's type, KIND one of {', '.join(COLUMN_KINDS)} (repeatable)")


def _types(args) -> dict[str, str]:
    """The --type overrides as {column: kind}; a malformed one or an unknown kind is a usage error."""
    types = {}
    for item in getattr(args, "types", None) or []:
        column, sep, kind = item.rpartition("=")
        column, kind = column.strip(), kind.strip().lower()
        if not sep or not column:
            raise CliError(f"--type needs COL=KIND, got '{item}'.")
        if kind not in COLUMN_KINDS:
            raise CliError(f"--type {column}: unknown kind '{kind}'; choose one of {', '.join(COLUMN_KINDS)}.")
        types[column] = kind
    return types


def _privacy_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--epsilon", type=float, help="privacy budget of a differentially private method (e.g. 1.0)")
    command.add_argument("--delta", type=float, help="its delta, the chance the guarantee fails (default "
                                                     "min(1/n^1.1, 1e-6), n the rows it trains on)")
    command.add_argument("--accountant", choices=ACCOUNTANTS, help="opacus' privacy accountant (default prv)")


def _methods_command(commands) -> None:
    methods = commands.add_parser("methods", help="list every generator: family, inputs, parameters, privacy")
    methods.add_argument("--json", action="store_true", help="print JSON instead of text")


def _sweep_command(commands) -> None:
    sweep = commands.add_parser("sweep", help="privacy-utility dial: a private generator at several epsilons")
    sweep.add_argument("--data", required=True)
    sweep.add_argument("--target", required=True)
    sweep.add_argument("--method", default="dp_vae", choices=METHOD_NAMES, metavar="NAME")
    sweep.add_argument("--epsilons", default="0.5,1,2,4,8", help="comma-separated, e.g. 0.5,1,2,4,8")
    sweep.add_argument("--delta", type=float, help="delta at every epsilon (default min(1/n^1.1, 1e-6))")
    sweep.add_argument("--accountant", choices=ACCOUNTANTS, help="opacus' privacy accountant (default prv)")
    sweep.add_argument("--epochs", type=int, help="training epochs of the private generator")
    sweep.add_argument("--classifier", choices=list(CLASSIFIERS), default="logreg")
    sweep.add_argument("--repeats", type=int, default=3, help="repeated stratified splits per epsilon (1 to 30)")
    sweep.add_argument("--utility", choices=list(UTILITY_METRICS), default="minority_f1",
                       help="the gain judged against the target")
    sweep.add_argument("--target-gain", type=float, default=0.0,
                       help="gain wanted over the best arm without synthetic rows (default 0: no loss)")
    sweep.add_argument("--no-reference", action="store_true", help="skip the point without privacy")
    sweep.add_argument("--seed", type=int, default=42)
    sweep.add_argument("--test-size", type=float, default=0.3)
    sweep.add_argument("--ratio", type=float, default=1.0)
    sweep.add_argument("--out", required=True)
    _parallel_options(sweep)


def _analyze(args) -> int:
    dataset = validate_dataset(_read_for_target(args), args.target, _types(args))
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


def _advise(args) -> int:
    dataset = validate_dataset(read_path(args.data), args.target, _types(args))
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


def _generate(args) -> int:
    prepared = prepare(validate_dataset(_read_for_target(args), args.target, _types(args)), args.test_size, args.seed,
                       CleaningPlan(missing=args.missing))
    constraints = build_constraints(list(prepared.dataset.frame.columns), args.rule, _bounds(args))
    result = synthesize(prepared, args.method, _amount(args), _params(args), args.seed, constraints)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kinds = prepared.dataset.column_types
    (out / "synthetic.csv").write_text(to_csv_text(result.rows, kinds))
    (out / "augmented_train.csv").write_text(to_csv_text(augmented(prepared, result), kinds))
    for warning in result.warnings:
        print(f"note: {warning}", file=sys.stderr)
    print(f"{result.n_synthetic:,} synthetic rows ({result.method_used}, {result.seconds:.2f} s) -> {out}")
    return 0


def _amount(args) -> Amount:
    return Amount("count", args.count) if args.count is not None else Amount("ratio", args.ratio or 1.0)


def _params(args) -> dict:
    params = {"epochs": args.epochs} if args.epochs is not None and args.method in ("ctgan", "tvae") else {}
    return {**params, **_private_params(args.method, args)}


def _private_params(method: str, args) -> dict:
    """epochs, epsilon and delta for a differentially private method; --epsilon/--delta elsewhere is refused."""
    private = method not in NO_GENERATION and get_info(method).differentially_private
    if not private:
        if args.epsilon is not None or args.delta is not None or args.accountant is not None:
            raise CliError(f"--epsilon, --delta and --accountant apply to differentially private methods "
                           f"({', '.join(m for m in METHOD_NAMES if get_info(m).differentially_private)}); "
                           f"'{method}' is not one.")
        return {}
    params = {"epochs": args.epochs} if args.epochs is not None else {}
    params.update({name: getattr(args, name) for name in ("epsilon", "delta", "accountant")
                   if getattr(args, name) is not None})
    return params


def _config_from_args(args, table) -> RunConfig:
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
                            column_types=_types(args), cleaning=CleaningPlan(missing=args.missing),
                            test_size=args.test_size, seed=args.seed, amount=_amount(args), params=_params(args),
                            rules=tuple(args.rule), bounds=_bounds(args), classifier=args.classifier,
                            repeats=args.repeats,
                            targets=Targets(args.target_gain), validation=not args.no_validation)


def _replayed(args):
    """(table, config) from --config: the data is --data, else the config's `data` as a path relative to the
    config's folder (no absolute path, no `..`); its SHA-256 must be in the config and match the file."""
    config_path = Path(args.config)
    if not config_path.is_file():
        raise CliError(f"No config file at '{config_path}'.")
    config = read_config(config_path.read_text())
    if args.data:
        data_path = Path(args.data)
    else:
        data_path = config_path.parent / _relative_data_path(config.data)
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


def _relative_data_path(name: str) -> PurePosixPath:
    """The config's data file as a path inside the config's folder; absolute paths and `..` are refused."""
    text = str(name).replace("\\", "/")
    relative = PurePosixPath(text)
    if not text or relative.is_absolute() or PureWindowsPath(str(name)).drive or ".." in relative.parts:
        raise CliError(f"The config's data path '{name}' must be a file name relative to the config's folder "
                       "(no absolute path, no '..'); or pass the file with --data.")
    return relative


def _run(args) -> int:
    if args.config:
        table, config = _replayed(args)
        if _types(args):  # --type on a replay adds to (or overrides) the config's stored types
            config = replace(config, column_types={**config.column_types, **_types(args)})
    else:
        table = _read_for_target(args) if args.data and args.target else read_path(args.data)
        config = _config_from_args(args, table)
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


def _compare(args) -> int:
    table = read_path(args.data)
    types = _types(args)
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
        _private_params(m, args) if m in private else params if m in ("ctgan", "tvae") else {}),
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


def _drift_command(commands) -> None:
    """`drift`: a new batch against the reference data a run was built on; writes drift.json and the charts."""
    drift = commands.add_parser("drift", help="drift of a new batch against the reference; write drift.json")
    drift.add_argument("--reference", help="the data the run was built on (default: the config's data file)")
    drift.add_argument("--new", required=True, help="the new batch (CSV)")
    drift.add_argument("--target", help="target column (default: the config's)")
    drift.add_argument("--config", help="config.json of the run: its training part is the reference")
    drift.add_argument("--label-free", action="store_true", help="ignore the target even if the batch has it")
    drift.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                       help="change a drift threshold, e.g. psi_rerun=0.3 (repeatable)")
    drift.add_argument("--bundle", help="a model bundle's folder (python -m core export): check the deployed model "
                       "on the batch (performance without labels, minority share, multivariate drift)")
    chunking = drift.add_mutually_exclusive_group()
    chunking.add_argument("--chunk-size", type=int, help="with --bundle: rows a chunk (default: a tenth of the batch)")
    chunking.add_argument("--date-column", help="with --bundle: chunk by period of this date column")
    drift.add_argument("--period", default="M", help="with --date-column: pandas period, e.g. M (month), W, D")
    drift.add_argument("--json", action="store_true", help="print drift.json instead of text")
    drift.add_argument("--out", required=True)


def _drift_bundle(args, thresholds) -> int:
    """`drift --bundle`: the deployed model on a new batch, chunk by chunk, plus today's per-feature drift against
    the bundle's reference rows; one drift.json with both."""
    from core.drift import drift_dict
    from core.monitor import monitor_batch, monitor_dict
    from core.plots import drift_charts_html
    if args.config or args.reference:
        raise CliError("drift takes --bundle, or --config / --reference, not both.")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise CliError(f"--chunk-size must be at least 1, not {args.chunk_size}.")
    bundle_path = Path(args.bundle)
    if not bundle_path.is_dir():
        raise CliError(f"No bundle folder at '{bundle_path}'.")
    try:
        from core.bundle import load_bundle
    except ImportError:
        raise CliError("This build has no bundle loader (core.bundle); export and load need it.") from None
    bundle = load_bundle(bundle_path)
    new = read_path(args.new)
    name = Path(args.new).name
    monitored = monitor_batch(bundle, new.frame, name, args.chunk_size, args.date_column, args.period,
                              batch_sha256=new.sha256, thresholds=thresholds, label_free=args.label_free)
    result = monitored.per_feature
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {**drift_dict(result), **monitor_dict(monitored)}
    (out / "drift.json").write_text(json.dumps(report, indent=2))
    (out / "drift_charts.html").write_text(drift_charts_html(result))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for warning in monitored.bundle_warnings:
        print(f"warning: {warning}")
    print(f"verdict on {result.about} (per feature): {result.verdict.value}")
    if monitored.f1 is None:
        print(monitored.refused)
    else:
        f1 = monitored.f1
        print(f"estimated minority F1 per chunk ({monitored.chunking}; reference band {f1.band_low:.3f}-"
              f"{f1.band_high:.3f}):")
        for c, m in zip(f1.chunks, monitored.multivariate.chunks):
            realised = "" if c.realised is None else f", realised {c.realised:.3f}"
            print(f"- {c.chunk.label}: {c.estimate:.3f} ({c.ci_low:.3f}-{c.ci_high:.3f}){realised}; "
                  f"domain AUC {m.auc:.2f}{' FLAGGED' if m.flagged or c.outside_band else ''}")
    print(monitored.prevalence.sentence)
    print(f"drift -> {out / 'drift.json'}")
    return 0


def _drift(args) -> int:
    from core.drift import check_drift, drift_dict, thresholds_from_pairs
    from core.plots import drift_charts_html
    thresholds = thresholds_from_pairs(args.threshold)
    if args.bundle:
        return _drift_bundle(args, thresholds)
    if args.chunk_size is not None or args.date_column:
        raise CliError("--chunk-size and --date-column chunk a batch checked against a --bundle.")
    config = None
    if args.config:
        config_path = Path(args.config)
        if not config_path.is_file():
            raise CliError(f"No config file at '{config_path}'.")
        config = read_config(config_path.read_text())
        candidates = ([Path(args.reference)] if args.reference
                      else [config_path.parent / _relative_data_path(config.data)])
        reference_path = next((p for p in candidates if p.is_file()), None)
        if reference_path is None:
            raise CliError(f"The config's data file '{config.data}' was not found; pass it with --reference.")
    elif not (args.reference and args.target):
        raise CliError("drift needs --reference FILE and --target COL, or --config FILE")
    else:
        reference_path = Path(args.reference)
    table = read_path(reference_path)
    if config is not None:
        table = table_for_config(table, config.target, config.data_sha256)
        if table is None:
            raise CliError(f"'{reference_path}' is not the file the config was made from (SHA-256 differs).")
    target = args.target or config.target
    reference = validate_dataset(table, target, config.column_types if config else None)
    new = read_path(args.new)
    result = check_drift(reference, new.frame, config, thresholds, label_free=args.label_free,
                         config_path=args.config or "config.json", batch=Path(args.new).name,
                         batch_sha256=new.sha256)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = drift_dict(result)
    (out / "drift.json").write_text(json.dumps(report, indent=2))
    (out / "drift_charts.html").write_text(drift_charts_html(result))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"verdict on {result.about}: {result.verdict.value}")
    for reason in result.reasons:
        print(f"- {reason}")
    for message in result.schema.messages:
        print(f"schema: {message}")
    print(f"next: {result.next_step}")
    print(f"drift -> {out / 'drift.json'}")
    return 0


def _bundle_commands(commands) -> None:
    """`export`: a run's kept model as a bundle; `predict`: score a table with a bundle (trust checked first)."""
    export = commands.add_parser("export", help="write the run's kept model as a bundle (model.skops, manifest, ...)")
    export.add_argument("--run", required=True, help="the folder `run --out` wrote (config.json, results.json)")
    export.add_argument("--data", help="the run's data file (default: the config's file name in the run folder)")
    export.add_argument("--out", required=True, help="a new or empty folder for the bundle")
    predict = commands.add_parser("predict", help="score a table with a bundle; write scored.csv")
    predict.add_argument("--bundle", required=True, help="the bundle's folder (or its .zip)")
    predict.add_argument("--data", required=True, help="the rows to score (CSV or Parquet)")
    predict.add_argument("--out", required=True, help="the scored CSV to write")
    predict.add_argument("--allow-version-drift", action="store_true",
                         help="load a bundle made with other library versions (a warning goes with every output)")
    predict.add_argument("--engine", choices=("sklearn", "onnx"), default="sklearn")


def _export(args) -> int:
    from core.bundle_export import export_run
    out = export_run(args.run, args.out, args.data)
    print(f"bundle -> {out}")
    return 0


def _predict(args) -> int:
    from core.bundle import load_bundle_path, scored_table
    bundle = load_bundle_path(args.bundle, args.allow_version_drift)  # a zip's size is checked before reading
    if args.engine == "onnx":
        raise CliError(f"This bundle holds no model.onnx: {bundle.manifest.get('onnx', {}).get('why', 'none')}.")
    table = read_path(args.data)
    scored = bundle.score(table.frame)
    frame = scored_table(table.frame, scored)  # a version drift warning travels in the file too
    Path(args.out).write_text(to_csv_text(frame, table.column_types))
    for line in scored.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in scored.schema.messages:
        print(f"schema: {line}", file=sys.stderr)
    print(f"{len(frame):,} rows scored, {int(scored.decision.sum()):,} flagged '{bundle.minority}' -> {args.out}")
    return 0


def _methods(args) -> int:
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


def _sweep(args) -> int:
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


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"analyze": _analyze, "advise": _advise, "generate": _generate, "run": _run, "compare": _compare,
                    "drift": _drift, "export": _export, "predict": _predict, "methods": _methods, "sweep": _sweep}
        with one_client_per_command(getattr(args, "scheduler", None)):  # a malformed address: refused first
            return commands[args.command](args)
    except SynthBalanceError as exc:
        for problem in getattr(exc, "problems", None) or [str(exc)]:  # a config's bad fields: one line each
            print(f"error: {' '.join(problem.split())}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
