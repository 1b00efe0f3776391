"""core.numbers: pd.to_numeric without the pinned pandas' SIGSEGV on exponents of 10+ digits.

The crashing cases run in a subprocess: a segfault would kill the pytest worker, and exit 139 is the failure."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.numbers import RISKY_BYTES, RISKY_TEXT, RISKY_WIDE_BYTES, is_risky, to_numbers

ROOT = Path(__file__).parents[1]
HASH_ID = "8e2569614270f3d8b9e7038efac9f116"
CRASHING = ["8e2569614270", "1e002569614270", ".5e2569614270", "8,1e2569614270", "1E+2569614270", HASH_ID]


def run_python(code: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_every_crashing_text_is_caught_by_the_patterns():
    for text in CRASHING:
        assert is_risky(text) and RISKY_TEXT.search(text) and RISKY_BYTES.search(text.encode())
        assert RISKY_WIDE_BYTES.search(text.encode("utf-16"))
    # every exponent from 2**31 up has at least 10 digits: the pattern needs no upper bound
    assert len(str(2**31)) == 10 and is_risky(f"1e{2**31}") and is_risky(f"1e-{2**32 - 1}")
    assert not is_risky("1e999999999") and not is_risky("12345678901") and not is_risky(1e300)


def test_to_numbers_gives_floats_answer_on_crashing_cells_without_crashing():
    result = run_python(f"""
        import pandas as pd
        from core.numbers import to_numbers
        cells = ["8e2569614270", "-8e2569614270", "1e-2569614270", " 1E+2569614270 ", "{HASH_ID}", "1_0e2569614270",
                 b"8e2569614270", "3", None]
        print(to_numbers(pd.Series(cells, dtype=object)).tolist())
        print(to_numbers(pd.Series(["8e2569614270", "2"], dtype="string[pyarrow]")).tolist())
        print(to_numbers(pd.Series(["{HASH_ID}", "2"], dtype="category")).tolist())
        print(pd.DataFrame({{"a": ["1e2569614270", "1"]}}).apply(to_numbers)["a"].tolist())
    """)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    lines = result.stdout.splitlines()
    assert lines[0] == "[inf, -inf, 0.0, inf, nan, nan, inf, 3.0, nan]"
    assert lines[1] == "[inf, 2.0]"
    assert lines[2] == "[nan, 2.0]"
    assert lines[3] == "[inf, 1.0]"


def test_unguarded_pandas_crashes_on_these_texts():
    """The hazard is real on the pinned pandas (if this fails, pandas was fixed and the guard is belt only)."""
    result = run_python('import pandas as pd; pd.to_numeric(pd.Series(["8e2569614270"]), errors="coerce")')
    assert result.returncode == -11


SAFE_TEXT = st.one_of(
    st.text(alphabet="0123456789eE+-. ,abcx_infa", max_size=14),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
).filter(lambda t: not is_risky(t))
CELL = st.one_of(SAFE_TEXT, st.none(), st.just(np.nan), st.floats(), st.integers(-10**12, 10**12), st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CELL, max_size=12), st.sampled_from(["object", "text", "string", "pyarrow"]))
def test_to_numbers_is_pandas_on_every_safe_input(cells, flavour):
    if flavour == "object":
        values = pd.Series(cells, dtype=object)
    else:
        texts = [c for c in cells if isinstance(c, str) or c is None]
        values = pd.Series(texts, dtype={"text": object, "string": "string",
                                         "pyarrow": "string[pyarrow]"}[flavour])
    try:
        expected = pd.to_numeric(values, errors="coerce")
    except (TypeError, ValueError) as exc:  # pandas refuses some mixes: to_numbers must refuse them alike
        with pytest.raises(type(exc)):
            to_numbers(values)
        return
    pd.testing.assert_series_equal(to_numbers(values), expected)


def test_numeric_and_empty_inputs_take_the_plain_path():
    for values in (pd.Series([1.0, np.inf]), pd.Series([], dtype=object), pd.Series([True, False]),
                   pd.Series(pd.to_datetime(["2020-01-01"]))):
        pd.testing.assert_series_equal(to_numbers(values), pd.to_numeric(values, errors="coerce"))


def test_the_raw_byte_scan_finds_the_token_in_every_encoding_the_reader_uses():
    from core.numbers import holds_risky_bytes
    for text in CRASHING:
        assert holds_risky_bytes(f"caf\xe9,{text}\n".encode("latin-1"))
        assert holds_risky_bytes(b"\xff\xfe\xe9," + text.encode() + b"\n")  # invalid UTF-8 around it
        assert holds_risky_bytes(f"x,{text}\n".encode("utf-16"), wide=True)
        assert holds_risky_bytes(f"x,{text}\n".encode("utf-16-be"), wide=True)
    assert not holds_risky_bytes(b"") and not holds_risky_bytes(b"a,b\n1e999999999,12345678901\n")
