"""The command line's arguments read into core's terms: the table at --data, --type, --bound / --levels, the amount,
a generator's parameters (the privacy options only for a differentially private one), and a config's data path.

A malformed value is a CliError naming the option (one line `error: ...`, exit 2).
"""
from __future__ import annotations

import sys
from pathlib import PurePosixPath, PureWindowsPath

from core.cli.parser import CliError
from core.config import parse_levels
from core.constraints import ColumnBound, parse_bound
from core.data import COLUMN_KINDS, merge_similar_labels
from core.generators.amount import Amount
from core.generators.registry import METHOD_NAMES, get_info
from core.reading import read_path
from core.strategies import NO_GENERATION


def read_for_target(args):
    """The table at --data, with look-alike target labels merged when --merge-similar-labels asks for it."""
    table = read_path(args.data)
    if getattr(args, "merge_similar_labels", False):
        merged = merge_similar_labels(table, args.target)
        if merged is not table:
            print(f"note: {merged.notes[-1]}", file=sys.stderr)
        return merged
    return table


def column_bounds(args) -> list[ColumnBound]:
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


def column_types(args) -> dict[str, str]:
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


def synthetic_amount(args) -> Amount:
    return Amount("count", args.count) if args.count is not None else Amount("ratio", args.ratio or 1.0)


def generation_params(args) -> dict:
    params = {"epochs": args.epochs} if args.epochs is not None and args.method in ("ctgan", "tvae") else {}
    return {**params, **private_params(args.method, args)}


def private_params(method: str, args) -> dict:
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


def relative_data_path(name: str) -> PurePosixPath:
    """The config's data file as a path inside the config's folder; absolute paths and `..` are refused."""
    text = str(name).replace("\\", "/")
    relative = PurePosixPath(text)
    if not text or relative.is_absolute() or PureWindowsPath(str(name)).drive or ".." in relative.parts:
        raise CliError(f"The config's data path '{name}' must be a file name relative to the config's folder "
                       "(no absolute path, no '..'); or pass the file with --data.")
    return relative
