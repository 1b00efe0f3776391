"""Text to numbers without reaching the pinned pandas' crashing C float parser.

pandas 2.3.3's C parser (xstrtod / precise_xstrtod in pandas/_libs/src/parser/tokenizer.c) accumulates a
scientific exponent in a signed 32-bit int: a text such as '8e2569614270' (an exponent in [2**31, 2**32), e.g. a
hash-like ID '8e2569614270f3d8b9e7038efac9f116') kills the whole process with SIGSEGV in `pd.to_numeric` and
`pd.read_csv`; no exception can catch it. Every conversion of user text to numbers in core goes through
`to_numbers`, and core.reading scans raw bytes with RISKY_BYTES before `pd.read_csv`. The pattern is generous: any
e/E, an optional sign and 10 or more digits (every exponent from 2**31 up has 10 digits; leading zeros count, as in
'1e002569614270', which crashes too), with or without a mantissa. Reference: pandas-dev/pandas#62617 and #63650,
PriorLabs/TabPFN#1202 and its fix #1203.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

RISKY = r"[eE][+-]?[0-9]{10}"  # an exponent of 10 or more digits: pandas' int exponent may overflow
RISKY_TEXT = re.compile(RISKY)
RISKY_BYTES = re.compile(RISKY.encode("ascii"))
# UTF-16 and UTF-32 text: a NUL byte may sit beside every ASCII character
RISKY_WIDE_BYTES = re.compile(rb"[eE]\x00{0,3}(?:\x00{0,3}[+-]\x00{0,3})?(?:\x00{0,3}[0-9]\x00{0,3}){10}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_SPACE = " \t\n\r\f\v"


def is_risky(cell: object) -> bool:
    """True when pandas' C parser must not see this cell (a str or bytes holding RISKY)."""
    if isinstance(cell, str):
        return RISKY_TEXT.search(cell) is not None
    if isinstance(cell, bytes | bytearray):
        return RISKY_BYTES.search(cell) is not None
    return False


def _float_of(cell: object) -> float:
    """Python's reading of a risky cell: float() of the whole text when it is one plain ASCII number in
    scientific notation (inf, -inf, 0.0 or a finite value), else NaN (as pandas' coerce gives for any other text)."""
    text = cell.decode("ascii", errors="replace") if isinstance(cell, bytes | bytearray) else str(cell)
    text = text.strip(_SPACE)
    return float(text) if _NUMBER.fullmatch(text) else np.nan


def _safe_text(cell: object) -> str:
    """The risky cell as a text pandas parses safely to float()'s answer: repr of the float (its exponent has at
    most 3 digits; 'inf', '-inf') or, when float() refuses it, a text pandas coerces to NaN like any other word."""
    number = _float_of(cell)
    return "not a number" if np.isnan(number) else repr(number)


def _text_hits(values: pd.Series) -> np.ndarray:
    """RISKY per cell of a column of texts (and missing values), by Arrow's RE2 (one C++ pass; about twice as fast
    as Series.str.contains, which calls Python's re once per cell)."""
    try:
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # lone surrogates and the like: Python's own regex
        return values.str.contains(RISKY, regex=True, na=False).to_numpy(dtype=bool)
    return pc.match_substring_regex(array, RISKY).fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def holds_risky_bytes(raw: bytes, wide: bool = False) -> bool:
    """Whether raw file bytes hold RISKY anywhere (wide: UTF-16 or UTF-32, a NUL byte beside each ASCII one).
    Arrow's RE2 over the bytes without copying them: 44 MB in 0.06 s where Python's re took 0.55 s."""
    if wide:
        return RISKY_WIDE_BYTES.search(raw) is not None
    offsets = pa.py_buffer(np.array([0, len(raw)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(raw)])
    return bool(pc.any(pc.match_substring_regex(whole, RISKY)).as_py())


def risky_mask(values: pd.Series) -> pd.Series | None:
    """Boolean mask of the cells that would crash pandas' C parser, or None when there are none (vectorised:
    `Series.str.contains` on text; a per-cell look only where the column mixes in bytes or other objects)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(object)
    elif not (pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)):
        return None  # numbers, booleans, datetimes: nothing is parsed from text
    if len(values) == 0:
        return None
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty"):
        mask = pd.Series(_text_hits(values), index=values.index)
    elif kind in ("integer", "floating", "mixed-integer-float", "boolean", "decimal", "complex"):
        return None
    else:
        mask = values.map(is_risky).astype(bool)
    return mask if bool(mask.any()) else None


def to_numbers(values: pd.Series | pd.Index | np.ndarray | list) -> pd.Series:
    """`pd.to_numeric(values, errors="coerce")`, without the crash: the exact pandas result for every input that
    does not crash it; cells holding RISKY (see the module docstring) get Python's float() of their text (inf, -inf,
    0.0, or NaN when float() refuses the whole text) and never reach pandas' C parser. Nothing risky: the
    plain pandas call, unchanged.
    """
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    mask = risky_mask(values)
    if mask is None:
        return pd.to_numeric(values, errors="coerce")
    safe = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values.copy()
    safe[mask] = [_safe_text(cell) for cell in safe[mask]]  # texts in a text column: pandas' dtype rules unchanged
    return pd.to_numeric(safe, errors="coerce")
