"""Row rules are parsed safely and evaluated over columns; bounds and categories are checked."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.constraints import build_constraints, parse_bound, parse_rule, rule_mask, satisfied
from core.errors import ConfigError

FRAME = pd.DataFrame({"age": [17, 18, 40, np.nan], "T3": [1.0, 5.0, 2.0, 1.0], "TT4": [2.0, 4.0, 3.0, 0.5],
                      "credit amount": [1, -1, 5, 2], "sex": ["M", "F", "M", "F"]})
COLUMNS = list(FRAME.columns)


@pytest.mark.parametrize("rule,expected", [
    ("age >= 18", [False, True, True, True]),          # a gap cannot break a rule
    ("T3 <= TT4", [True, False, True, False]),
    ("`credit amount` > 0 and sex == 'M'", [True, False, True, False]),
    ("18 <= age <= 30 or T3 > 4", [False, True, False, True]),
    ("not (T3 * 2 > TT4 + 1)", [True, False, True, False]),
    ("-T3 < 0", [True, True, True, True]),
])
def test_rules_evaluate_over_columns(rule, expected):
    assert rule_mask(parse_rule(rule, COLUMNS), FRAME).tolist() == expected


@pytest.mark.parametrize("rule,message", [
    ("__import__('os').system('ls')", "Call"),
    ("age.real > 1", "Attribute"),
    ("(lambda: 1)() > 0", "Call"),
    ("[1][0] > 0", "Subscript"),
    ("salary > 1", "not a column"),
    ("age >", "not a valid comparison"),
    ("age + 1", "must be a comparison"),
    ("age in (1, 2)", "comparison other than"),
    ("x" * 501, "longer than 500"),
])
def test_unsafe_or_malformed_rules_are_refused(rule, message):
    with pytest.raises(ConfigError, match=message):
        parse_rule(rule, COLUMNS)


def test_bounds_and_allowed_categories():
    constraints = build_constraints(COLUMNS, ["T3 <= TT4"], [parse_bound("age", 18, 65),
                                                             parse_bound("sex", allowed=["M"])])
    assert satisfied(FRAME, constraints).tolist() == [False, False, True, False]
    with pytest.raises(ConfigError, match="above the maximum"):
        parse_bound("age", 70, 18)
    with pytest.raises(ConfigError, match="not a column"):
        build_constraints(COLUMNS, [], [parse_bound("height", 1, 2)])
