"""Domain constraints on synthetic rows: per-column bounds and categories, and row rules like `T3 <= TT4`.

Rules are parsed into a small expression tree from Python's `ast` (parsing executes nothing) and
evaluated over columns with numpy; only column names, numbers, strings, comparisons, + - * /, and/or/not
are allowed: no calls, no attribute access, no other names. Column names that are not identifiers are
written in backticks: `credit amount` > 0.

Cost is bounded by construction: a rule is at most MAX_RULE_LENGTH characters, a text literal at most
MAX_LITERAL_LENGTH, a number finite, and the tree at most MAX_RULE_NODES nodes, each one vectorised numpy
operation over the rows; arithmetic (+ - * / and unary minus) takes numbers only, so no operation can build
a string longer than one literal (`sex == 'ab' * 500000000` is refused before anything is evaluated).
"""
from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.numbers import to_numbers

MAX_RULE_LENGTH = 500
MAX_LITERAL_LENGTH = 100  # characters of one quoted text value
MAX_RULE_NODES = 64  # names, values and operators in one rule: its evaluation cost in passes over the rows
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_BACKTICK = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class ColumnBound:
    """Allowed values of one column: a numeric range and/or a set of categories (None: no limit)."""
    column: str
    low: float | None = None
    high: float | None = None
    allowed: tuple | None = None


@dataclass(frozen=True)
class RowRule:
    """A parsed rule: the text as written and its checked expression tree."""
    text: str
    tree: ast.AST = field(repr=False, compare=False)
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Constraints:
    """Everything a synthetic row must satisfy beyond the observed ranges."""
    bounds: tuple[ColumnBound, ...] = ()
    rules: tuple[RowRule, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.bounds and not self.rules

    def to_dict(self) -> dict:
        return {"bounds": [{"column": b.column, "low": b.low, "high": b.high,
                            "allowed": list(b.allowed) if b.allowed is not None else None} for b in self.bounds],
                "rules": [r.text for r in self.rules]}


def parse_rule(text: str, columns: list[str]) -> RowRule:
    """Parse one rule over the given columns; ConfigError says what is not allowed."""
    text = text.strip()
    if not text:
        raise ConfigError("A rule is empty. Write a comparison such as `age >= 18`.")
    if len(text) > MAX_RULE_LENGTH:
        raise ConfigError(f"A rule is longer than {MAX_RULE_LENGTH} characters; split it into simpler rules.")
    aliases: dict[str, str] = {}

    def alias(match: re.Match) -> str:
        name = match.group(1)
        key = f"__column_{len(aliases)}__"
        aliases[key] = name
        return key

    source = _BACKTICK.sub(alias, text)
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: null bytes; deep nesting
        raise ConfigError(f"The rule '{text}' is not a valid comparison. Example: `duration_months <= 72`.") from None
    n_nodes = sum(1 for _ in ast.walk(tree))
    if n_nodes > MAX_RULE_NODES:
        raise ConfigError(f"The rule '{text}' has {n_nodes} parts, over the {MAX_RULE_NODES} allowed; "
                          "split it into simpler rules.")
    used: set[str] = set()
    _check_node(tree, text, set(columns), aliases, used)
    if not isinstance(tree, (ast.Compare, ast.BoolOp)) and not (
            isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not)):
        raise ConfigError(f"The rule '{text}' must be a comparison (<, <=, >, >=, ==, !=), e.g. `T3 <= TT4`.")
    return RowRule(text=text, tree=_rename(tree, aliases), columns=tuple(sorted(used)))


def _check_node(node: ast.AST, text: str, columns: set[str], aliases: dict[str, str], used: set[str]) -> None:
    if isinstance(node, ast.Name):
        name = aliases.get(node.id, node.id)
        if name not in columns:
            raise ConfigError(f"The rule '{text}' names '{name}', which is not a column. "
                              "Write column names exactly, in `backticks` if they contain spaces.")
        used.add(name)
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str)) or isinstance(node.value, bool):
            raise ConfigError(f"The rule '{text}' uses a value that is not a number or text.")
        if isinstance(node.value, str) and len(node.value) > MAX_LITERAL_LENGTH:
            raise ConfigError(f"The rule '{text[:60]}...' quotes a text longer than {MAX_LITERAL_LENGTH} characters.")
        if not isinstance(node.value, str) and not _finite(node.value):
            raise ConfigError(f"The rule '{text[:60]}' uses a number too large to compare.")
        return
    if isinstance(node, ast.Compare):
        if not all(type(op) in _COMPARE for op in node.ops):
            raise ConfigError(f"The rule '{text}' uses a comparison other than < <= > >= == !=.")
        children = [node.left, *node.comparators]
    elif isinstance(node, ast.BoolOp):
        children = node.values
    elif isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        children = [node.left, node.right]
        _numbers_only(children, text)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        children = [node.operand]
        if isinstance(node.op, ast.USub):
            _numbers_only(children, text)
    else:
        raise ConfigError(f"The rule '{text}' uses '{type(node).__name__}', which rules do not allow: only column "
                          "names, numbers, comparisons, + - * / and `and`/`or`/`not`.")
    for child in children:
        _check_node(child, text, columns, aliases, used)


def _finite(value: int | float) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except OverflowError:
        return False


def _numbers_only(operands: list[ast.AST], text: str) -> None:
    """Arithmetic takes numbers (number literals, columns, other arithmetic), never text or comparisons."""
    for operand in operands:
        if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
            raise ConfigError(f"The rule '{text[:60]}' does arithmetic with text; + - * / take numbers only.")
        if isinstance(operand, (ast.Compare, ast.BoolOp)) or (
                isinstance(operand, ast.UnaryOp) and isinstance(operand.op, ast.Not)):
            raise ConfigError(f"The rule '{text[:60]}' does arithmetic with a comparison; + - * / take numbers "
                              "only.")


def _rename(node: ast.AST, aliases: dict[str, str]) -> ast.AST:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id in aliases:
            child.id = aliases[child.id]
    return node


def _number_operand(node: ast.AST, frame: pd.DataFrame):
    """An arithmetic operand as float numbers; a text column is refused (it would repeat or join strings)."""
    if isinstance(node, ast.Name):
        values = frame[node.id]
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            raise ConfigError(f"Column '{node.id}' holds text or dates; + - * / take numbers only.")
        return values.to_numpy(dtype=float, na_value=np.nan)
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    return _evaluate(node, frame)


def _evaluate(node: ast.AST, frame: pd.DataFrame):
    if isinstance(node, ast.Name):
        return frame[node.id].to_numpy()
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return np.logical_not(_evaluate(node.operand, frame))
        return -_number_operand(node.operand, frame)
    if isinstance(node, ast.BinOp):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _ARITHMETIC[type(node.op)](_number_operand(node.left, frame), _number_operand(node.right, frame))
    if isinstance(node, ast.BoolOp):
        values = [np.asarray(_evaluate(v, frame), dtype=bool) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    left = _evaluate(node.left, frame)
    result = np.ones(len(frame), dtype=bool)
    for op, right_node in zip(node.ops, node.comparators):
        right = _evaluate(right_node, frame)
        unknown = np.asarray(pd.isna(left)) | np.asarray(pd.isna(right))  # a gap cannot break a rule
        with np.errstate(invalid="ignore"):
            result &= np.asarray(_COMPARE[type(op)](left, right), dtype=bool) | unknown
        left = right
    return result


def rule_mask(rule: RowRule, frame: pd.DataFrame) -> np.ndarray:
    """True for rows that satisfy the rule (a comparison with a missing value counts as satisfied)."""
    try:
        value = np.asarray(_evaluate(rule.tree, frame), dtype=bool)
    except TypeError:
        raise ConfigError(f"The rule '{rule.text}' compares text with numbers; compare like with like.") from None
    return np.broadcast_to(value, (len(frame),)).copy()


def parse_bound(column: str, low=None, high=None, allowed=None) -> ColumnBound:
    """A checked bound: low <= high when both are given."""
    if low is not None and high is not None and float(low) > float(high):
        raise ConfigError(f"For '{column}' the minimum {low} is above the maximum {high}.")
    return ColumnBound(column=column, low=None if low is None else float(low),
                       high=None if high is None else float(high),
                       allowed=None if allowed is None else tuple(allowed))


def limit_bounds(limits: list[tuple[str, float, float, float, float]], public: bool) -> list[ColumnBound]:
    """The Generation page's limits table as bounds. limits: (column, min, max, observed min, observed max) rows.

    A column gets a bound when a range was narrowed, or every column when the analyst confirmed the ranges as
    public. Only a bound with both ends counts as a range declared public under differential privacy
    (registry.declared_ranges), so without that confirmation a narrowed range is kept as two one-sided bounds:
    the same filter on the rows, but neither its typed ends nor the observed ones become public facts.
    """
    bounds = []
    for column, low, high, observed_low, observed_high in limits:
        if public:
            bounds.append(parse_bound(column, low, high))
        elif low > observed_low or high < observed_high:
            parse_bound(column, low, high)  # min above max: the same clear error
            bounds += [parse_bound(column, low=low)] if low > observed_low else []
            bounds += [parse_bound(column, high=high)] if high < observed_high else []
    return bounds


def build_constraints(columns: list[str], rules: list[str] | tuple[str, ...] = (),
                      bounds: list[ColumnBound] | tuple[ColumnBound, ...] = ()) -> Constraints:
    """Parse rule texts and check bound columns against the table's columns."""
    for bound in bounds:
        if bound.column not in columns:
            raise ConfigError(f"A limit names '{bound.column}', which is not a column.")
    return Constraints(bounds=tuple(bounds), rules=tuple(parse_rule(r, columns) for r in rules if r.strip()))


def satisfied(frame: pd.DataFrame, constraints: Constraints) -> np.ndarray:
    """True for rows that meet every bound and rule."""
    ok = np.ones(len(frame), dtype=bool)
    for bound in constraints.bounds:
        values = frame[bound.column]
        if bound.allowed is not None:
            ok &= values.astype(str).isin([str(a) for a in bound.allowed]).to_numpy()
        if bound.low is not None or bound.high is not None:
            numbers = to_numbers(values).to_numpy(dtype=float)
            if bound.low is not None:
                ok &= numbers >= bound.low
            if bound.high is not None:
                ok &= numbers <= bound.high
    for rule in constraints.rules:
        ok &= rule_mask(rule, frame)
    return ok
