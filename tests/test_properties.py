"""Properties checked on generated inputs (hypothesis): the reader, type inference, the rule parser, CSV export,
Markdown escaping and a generation round trip. Example counts are small so `make test` keeps its time."""
from __future__ import annotations

import ast
import csv
import io
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.column_kinds import find_mixed_columns, infer_column_kind
from core.constraints import parse_rule, rule_mask
from core.data import COLUMN_KINDS, validate_dataset
from core.errors import ConfigError, SynthBalanceError
from core.export import FORMULA_STARTS, is_formula, to_csv_text
from core.pipeline import prepare, synthesize
from core.reading import read_table
from core.text import escape_markdown

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERY_FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CSV_LIKE = st.lists(st.sampled_from([b"a", b"1", b"2.5", b",", b";", b"\t", b"|", b"\n", b"\r\n", b'"', b"?",
                                     b"NA", b"\xe9", b"\x00", b"PAR1", b"-", b"=", b" ", b"1,5", b"\xff\xfe"]),
                    max_size=60).map(b"".join)


@FEW
@given(raw=st.one_of(st.binary(max_size=400), CSV_LIKE, st.binary(max_size=200).map(lambda b: b"PAR1" + b)))
@example(raw=b"\r\x01")  # found by this property: a lone carriage return made the csv module raise
def test_any_bytes_raise_only_the_apps_own_error(raw):
    try:
        table = read_table(raw, "fuzz.csv")
    except SynthBalanceError:
        return
    assert table.frame.shape[1] >= 2 and len(table.frame) >= 1
    assert set(table.column_types.values()) <= set(COLUMN_KINDS)
    try:
        validate_dataset(table, table.frame.columns[-1])
    except SynthBalanceError:
        pass


CELLS = st.one_of(st.none(), st.text(max_size=8), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["", "NA", "?", "1", "2024-01-02"]))


@FEW
@given(values=st.lists(CELLS, max_size=40))
def test_type_inference_never_crashes(values):
    column = pd.Series(values, dtype=object)
    assert infer_column_kind(column, "x") in COLUMN_KINDS
    numbers = pd.to_numeric(column, errors="coerce")
    assert infer_column_kind(numbers, "x") in COLUMN_KINDS
    assert find_mixed_columns(pd.DataFrame({"x": column})) in ([], ["x"])


ALLOWED_NODES = (ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.And,
                 ast.Or, ast.Not, ast.USub, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
                 ast.Eq, ast.NotEq)
TOKENS = st.sampled_from(["age", "sex", "`credit amount`", "1", "2.5", "'M'", "'ab'", "<", "<=", ">", "==", "!=",
                          "+", "-", "*", "/", "**", "%", "and", "or", "not", "(", ")", "[", "]", ".", ",", "lambda",
                          "__import__", "'os'", "open", "x", "if", "else", ":", "1e999", "@", "~", "in", "is"])
FRAME = pd.DataFrame({"age": [17.0, 40.0, np.nan], "sex": ["M", "F", "M"], "credit amount": [1, -1, 5]})


@FEW
@given(tokens=st.lists(TOKENS, min_size=1, max_size=12))
def test_rule_parser_accepts_only_its_grammar(tokens):
    text = " ".join(tokens)
    try:
        rule = parse_rule(text, list(FRAME.columns))
    except ConfigError:
        return
    assert all(isinstance(node, ALLOWED_NODES) for node in ast.walk(rule.tree)), ast.dump(rule.tree)
    assert set(rule.columns) <= set(FRAME.columns)
    try:
        mask = rule_mask(rule, FRAME)
    except ConfigError:
        return
    assert mask.dtype == bool and mask.shape == (3,)


TEXT_DTYPES = st.sampled_from([object, "category", "string"])


@FEW
@given(cells=st.lists(st.text(alphabet=st.sampled_from(list("=+-@\t\r1.eE ab,\"'\n")), max_size=6), min_size=1,
                      max_size=12),
       dtype=TEXT_DTYPES)
def test_every_exported_cell_that_could_start_a_formula_is_neutralised(cells, dtype):
    frame = pd.DataFrame({"cell": pd.Series(cells, dtype=dtype), "n": range(len(cells))})
    rows = list(csv.reader(io.StringIO(to_csv_text(frame), newline="")))
    assert rows[0] == ["cell", "n"] and len(rows) == len(cells) + 1
    for original, (written, number) in zip(cells, rows[1:]):
        if is_formula(original):
            assert written == "'" + original
        else:
            assert written == original
        assert not written.startswith(FORMULA_STARTS) or re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?",
                                                                        written)
        assert int(number) >= 0


@FEW
@given(text=st.text(max_size=40))
def test_escaped_markdown_reads_back_as_the_text(text):
    escaped = escape_markdown(text)
    assert not re.search(r"[\[\]<>`*_~$|&\\]", re.sub(r"\\.", "", escaped))  # every active one escaped
    unescaped = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)  # CommonMark: backslash + ASCII punctuation
    assert unescaped == re.sub(r"[\r\n\u2028\u2029]+", " ", text)
    assert "\n" not in escaped and not re.search(r"(?<!\\)\]\(", escaped)


LEVELS = ["red", "green", "=blue", "a b", "[x](y)"]


@VERY_FEW
@given(seed=st.integers(0, 2**16), n_minority=st.integers(6, 15), method=st.sampled_from(["smotenc",
                                                                                          "random_oversampler"]))
def test_generation_round_trip_keeps_types_and_categories(seed, n_minority, method):
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({"colour": rng.choice(LEVELS, n), "count": rng.integers(0, 9, n),
                          "amount": rng.normal(10, 2, n).round(3),
                          "label": ["rare"] * n_minority + ["common"] * (n - n_minority)})
    dataset = validate_dataset(read_table(to_csv_text(frame).encode(), "round.csv"), "label")
    prepared = prepare(dataset, seed=seed)
    rows = synthesize(prepared, method, seed=seed).rows
    assert list(rows.columns) == list(prepared.train.columns)
    assert set(rows["colour"]) <= set(prepared.train["colour"])
    assert (rows["count"] == rows["count"].round()).all()
    assert rows["amount"].between(prepared.train["amount"].min(), prepared.train["amount"].max()).all()
    assert set(rows["label"]) == {"rare"}
    back = read_table(to_csv_text(rows, dataset.column_types).encode(), "back.csv")
    assert {c: back.column_types[c] for c in ("count", "amount")} == {"count": "integer", "amount": "numeric"}
