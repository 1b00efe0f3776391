"""A table file's column names from its head alone (the header line and what core.data sniffs after it, or a
Parquet file's schema), so that `predict` refuses a file lacking the model's columns before reading its rows.

It belongs in core/data.py beside the readers it reuses (read_csv_bytes, _head_end, detect_encoding); it lives
here while core/data.py is being split. The full read (core.data.read_path) stays the judge: this module only
answers where its answer is the full read's, and returns None otherwise (then the full read decides, in its own
words).
"""
from __future__ import annotations

from pathlib import Path

from core.data import MAX_HEADER_BYTES, SNIFF_BYTES, _head_end, check_size, detect_encoding, read_csv_bytes
from core.errors import DataError

HEAD_BYTES = MAX_HEADER_BYTES + 1 + SNIFF_BYTES + 1  # at least what _head_end takes from any file (4.06 MB)


def head_columns(path: str | Path) -> list[str] | None:
    """The column names the full read of this file would give, read from at most HEAD_BYTES of it; None when the
    file is small enough to read whole anyway, is missing, or its head alone cannot say (a UTF-16 or non-ASCII
    header, whose decoding depends on the whole file; a head that does not parse). The refusals that depend on
    the head only (a header line over MAX_HEADER_BYTES, binary bytes in the head) are raised here, in core.data's
    words, as the full read would raise them."""
    path = Path(path)
    if not path.is_file():
        return None
    size = path.stat().st_size
    check_size(size)
    if size <= HEAD_BYTES:
        return None
    with path.open("rb") as handle:
        prefix = handle.read(HEAD_BYTES)
    if prefix[:4] == b"PAR1":
        return _parquet_columns(path)
    if prefix.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    head_end = _head_end(prefix)  # equals the full file's: the header line ends inside the prefix, or is too long
    if b"\x00" in prefix[:head_end]:
        detect_encoding(prefix[:head_end])  # the full read's binary refusal, raised from the same bytes
    header_end = prefix.find(b"\n") + 1
    last_line_end = prefix.rfind(b"\n", 0, head_end) + 1
    if not prefix[:header_end].isascii():  # UTF-8 or Latin-1 is decided over the whole file
        return None
    try:
        frame, _ = read_csv_bytes(prefix[:last_line_end])
    except DataError:
        return None
    return [str(c) for c in frame.columns]


def _parquet_columns(path: Path) -> list[str] | None:
    """A Parquet file's column names from its footer (the schema), without decoding a row."""
    import pyarrow.parquet as pq
    try:
        return [str(name) for name in pq.read_schema(path).names]
    except Exception:  # pyarrow raises several types for corrupt files: the full read says which
        return None
