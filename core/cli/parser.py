"""The command line's parser: every command of `python -m core`, its options, their defaults and help.

A usage mistake (unknown option, missing argument, a value of the wrong form) raises CliError instead of argparse's
usage text, so `main` prints it as one line `error: ...` and exits 2. The commands themselves are in
core.cli.explore (analyze, advise, methods), core.cli.experiment (generate, run, compare, sweep) and core.cli.deploy
(export, predict, drift).
"""
from __future__ import annotations

import argparse

from core.cleaning import MISSING_STRATEGIES
from core.config import MAX_WORK
from core.data import COLUMN_KINDS
from core.errors import SynthBalanceError
from core.estimates import MAX_RUN_HOURS
from core.generators.dp_guarantee import ACCOUNTANTS
from core.generators.registry import METHOD_NAMES
from core.models import CLASSIFIERS
from core.race import DEFAULT_BUDGET_S, DEFAULT_FOLDS
from core.strategies import NO_GENERATION
from core.sweep import UTILITY_METRICS


class CliError(SynthBalanceError):
    """A command-line usage mistake (unknown option, missing argument)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage over several lines; we want one clear line
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
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


def _add_type_option(command: argparse.ArgumentParser) -> None:
    """--type COL=KIND (repeatable): override a column's inferred kind; the run config stores the overrides."""
    command.add_argument("--type", action="append", default=[], metavar="COL=KIND", dest="types",
                         help=f"set a column's type, KIND one of {', '.join(COLUMN_KINDS)} (repeatable)")


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
