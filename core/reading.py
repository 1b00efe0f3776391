"""Read a table from a file's bytes (CSV or Parquet) within bounds: the size, row, column, header and decoded-size
limits are checked before or while reading, never after; the encoding, delimiter and decimal mark are sniffed from
the head. The columns' kinds are then inferred (core.column_kinds) into a LoadedTable.

Every problem with the file becomes a DataError whose message tells the analyst what to change.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.column_kinds import find_mixed_columns, infer_column_types, looks_like_levels, text_values
from core.data import CATEGORICAL, NUMERIC, LoadedTable, sha256_of
from core.errors import DataError
from core.numbers import holds_risky_bytes, risky_mask, to_numbers

MAX_UPLOAD_MB = 200  # matches server.maxUploadSize in the app config (config.toml)
MAX_ROWS = 2_000_000  # CSV and Parquet alike; Parquet is checked from its metadata before loading
SNIFF_BYTES = 64 * 1024  # the head decoded to sniff the delimiter and decimal mark (after the whole header line)
MAX_COLUMNS = 10_000  # CSV and Parquet alike, checked from the header or the schema before the rows are read
MAX_HEADER_BYTES = 4 * 1024 * 1024  # a header line longer than this is refused before it is parsed
DELIMITERS = (",", ";", "\t", "|")
MISSING_MARKERS = ["", "?", "NA"]
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def check_size(n_bytes: int, limit_mb: float = MAX_UPLOAD_MB) -> None:
    """Refuse files over the upload limit before reading them."""
    if n_bytes > limit_mb * 1024 * 1024:
        raise DataError(f"The file is {n_bytes / 1024 / 1024:,.0f} MB, over the {limit_mb:,.0f} MB limit. "
                        "Upload a stratified sample of it, or a Parquet file, which is smaller.")


def _head_end(raw: bytes) -> int:
    """Where the sniffed head ends: the whole first line (the header, however long) and SNIFF_BYTES after it. A
    header longer than MAX_HEADER_BYTES is refused in one line (it would name tens of thousands of columns)."""
    end_of_header = raw.find(b"\n", 0, MAX_HEADER_BYTES + 1)
    if end_of_header < 0:
        if len(raw) > MAX_HEADER_BYTES:
            raise DataError(f"The first line (the header) is longer than {MAX_HEADER_BYTES // 1024 // 1024} MB. The "
                            f"table may have at most {MAX_COLUMNS:,} columns: upload the columns you need.")
        end_of_header = len(raw)
    return max(SNIFF_BYTES, end_of_header + 1 + SNIFF_BYTES)


def detect_encoding(raw: bytes) -> tuple[str, str]:
    """The encoding of CSV bytes and the decoded head used for sniffing: (encoding, head text).

    UTF-16 by its byte-order mark, else UTF-8 (checked over the whole file in 1 MB steps, without keeping a
    decoded copy), else Latin-1. Only the head (the whole header line and SNIFF_BYTES after it) is decoded and
    kept: a header cut at a fixed length read a cut-off name as a second copy of another.
    """
    head_bytes = raw[:_head_end(raw)]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", head_bytes[:len(head_bytes) // 2 * 2].decode("utf-16", errors="ignore")
    if b"\x00" in head_bytes:
        raise DataError("The file holds binary bytes and is not a text CSV. "
                        "Export the table as CSV (UTF-8) or Parquet and upload that.")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(raw), 1 << 20):
            decoder.decode(raw[start:start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        head = head_bytes.decode("latin-1")
        control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\r\n\t")
        if control > 0.01 * len(head):
            raise DataError("The file's bytes could not be decoded as text (tried UTF-8 and Latin-1). "
                            "Save it as CSV with UTF-8 encoding and upload it again.") from None
        return "latin-1", head
    return "utf-8-sig", head_bytes.decode("utf-8-sig", errors="ignore")


def _head_lines(head: str, complete: bool, n: int = 51) -> list[str]:
    """The first n non-blank lines of the head; a line cut off by the head's end is left out."""
    lines = head.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]
    return [ln for ln in lines[:n] if ln.strip()]


def sniff_delimiter(head: str) -> str:
    """Pick the delimiter among , ; tab | that splits the first lines into the most, equally many, fields."""
    lines = _head_lines(head, complete=True, n=50)
    best, best_fields = ",", 1
    for delim in DELIMITERS:
        if lines and delim not in lines[0]:  # cannot split the header: and one long header field would be a csv.Error
            continue
        widths = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not widths:
            continue
        width = widths[0]
        consistent = sum(w == width for w in widths) / len(widths)
        if width > best_fields and consistent >= 0.9:
            best, best_fields = delim, width
    return best


def _header_fields(head: str, delimiter: str) -> list[str]:
    first = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    return [name.strip() for name in first]


def _uses_decimal_comma(lines: list[str], delimiter: str) -> bool:
    if delimiter == ",":
        return False
    rows = list(csv.reader(lines[1:51], delimiter=delimiter))
    cells = [cell.strip() for row in rows for cell in row]
    return sum(bool(_DECIMAL_COMMA.match(c)) for c in cells) >= max(1, len(rows) // 2)


def read_csv_bytes(raw: bytes, row_limit: int = MAX_ROWS) -> tuple[pd.DataFrame, list[str]]:
    """Parse CSV bytes once, with delimiter and decimal mark sniffed from the head only.

    '', '?' and 'NA' are missing. Returns (frame, notes). Peak memory is pandas' own parse of at most
    row_limit + 1 rows (reading stops there: a 100 MB file of short lines once peaked at 1.85 GB before its
    refusal) and of at most MAX_COLUMNS columns (counted in the header first); the file is never decoded into
    one Python string.
    """
    encoding, head = detect_encoding(raw)
    if not head.strip() and not raw.strip():
        raise DataError("The file is empty. Upload a CSV with a header row and at least a few data rows.")
    complete = len(raw) <= _head_end(raw)
    lines = _head_lines(head, complete)
    try:
        delimiter = sniff_delimiter("\n".join(lines))
        header = _header_fields(head, delimiter)
        decimal = "," if _uses_decimal_comma(lines, delimiter) else "."
    except csv.Error as exc:
        raise DataError(f"The CSV could not be parsed ({exc}). Check the quoting of the first rows, or save the "
                        "table again as CSV.") from None
    check_columns(len(header))
    if len(header) < 2:
        raise DataError(f"Only one column was found ('{header[0] if header else ''}'). The table needs feature "
                        "columns and a target column, separated by comma, semicolon, tab or |.")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise DataError(f"Column names appear more than once: {', '.join(map(repr, duplicated))}. "
                        "Rename them so every column has its own name.")
    notes = [] if encoding == "utf-8-sig" else [f"The file was decoded as {encoding}."]
    if decimal == ",":
        notes.append("Numbers with decimal commas (1,5) were read as decimals (1.5).")
    if delimiter != ",":
        notes.append(f"Columns are separated by {'tab' if delimiter == chr(9) else repr(delimiter)}.")
    options = dict(sep=delimiter, decimal=decimal, na_values=MISSING_MARKERS, keep_default_na=True,
                   skipinitialspace=True, low_memory=False, encoding=encoding, nrows=row_limit + 1)
    try:
        risky = _risky_columns(raw, encoding, options)
        frame = pd.read_csv(io.BytesIO(raw), dtype=risky, **options)
    except pd.errors.ParserError as exc:
        raise DataError(f"The CSV could not be parsed: {str(exc).strip().splitlines()[-1]}. "
                        "Check that every row has as many fields as the header.") from None
    except (UnicodeDecodeError, pd.errors.EmptyDataError):
        raise DataError("The CSV could not be parsed as text. Save it as CSV with UTF-8 encoding and upload it "
                        "again.") from None
    if len(frame) > row_limit:
        raise DataError(f"The table has more than {row_limit:,} rows, over the {row_limit:,}-row limit. "
                        "Upload a stratified sample of it.")
    for col in frame.columns if risky is str else risky or ():
        frame[col] = _numbers_if_all(frame[col], decimal)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, notes


def _risky_columns(raw: bytes, encoding: str, options: dict) -> dict[str, type] | type | None:
    """The columns to read as text because a cell holds an exponent that crashes pandas' C float parser
    (core.numbers.RISKY: the pinned pandas 2.3.3 dies with SIGSEGV on '8e2569614270'). None (today's read, the same
    figures) when the raw bytes hold no such token; else a first read with dtype=str, which parses no number,
    names the columns holding one. Type inference then sees text, and core.numbers.to_numbers converts it."""
    if not holds_risky_bytes(raw, wide=encoding not in ("utf-8-sig", "latin-1")):
        return None
    text = pd.read_csv(io.BytesIO(raw), dtype=str, **options)
    if not isinstance(text.index, pd.RangeIndex) and any(  # rows longer than the header: pandas parses their
            risky_mask(pd.Series(text.index.get_level_values(level), dtype=object)) is not None
            for level in range(text.index.nlevels)):  # leading fields as an index, which no column name reaches
        return str
    return {col: str for col in text.columns if risky_mask(text[col]) is not None} or None


def _numbers_if_all(cells: pd.Series, decimal: str) -> pd.Series:
    """A column read as text by _risky_columns, as pandas would have read it: numbers when every present cell is
    one ('1e2569614270' is then inf, as pandas reads '1e400' today), else the text as it is (a hash-like ID)."""
    present = cells.dropna()
    numbers = to_numbers(present.str.replace(",", ".", regex=False) if decimal == "," else present)
    if len(present) == 0 or numbers.isna().any():
        return cells
    return numbers.reindex(cells.index)


def check_columns(n_columns: int, limit: int = MAX_COLUMNS) -> None:
    """Refuse tables over the column limit (the same for CSV and Parquet), before their rows are read."""
    if n_columns > limit:
        raise DataError(f"The table has {n_columns:,} columns, over the {limit:,}-column limit. Upload the columns "
                        "you need.")


def check_rows(n_rows: int, limit: int = MAX_ROWS) -> None:
    """Refuse tables over the row limit (the same for CSV and Parquet)."""
    if n_rows > limit:
        raise DataError(f"The table has {n_rows:,} rows, over the {limit:,}-row limit. "
                        "Upload a stratified sample of it.")


MAX_DECODED_MB = 1024  # Parquet: the table once decoded (Arrow's plain layout), whatever its encoding
PARQUET_BATCH_ROWS = 65_536  # rows decoded at a time while the decoded size is counted


def _parquet_unreadable(exc: Exception) -> DataError:
    return DataError(f"The Parquet file could not be read ({type(exc).__name__}). Export it again or upload a CSV.")


def _decoded_over(decoded: float, limit_mb: float) -> DataError:
    return DataError(f"The Parquet file decodes to more than {decoded / 1024 / 1024:,.0f} MB of data, over the "
                     f"{limit_mb:,.0f} MB limit (its dictionary encoding repeats values that take little room "
                     "in the file). Upload a stratified sample of it, or a CSV.")


def _parquet_frame(raw: bytes, limit_mb: float, row_limit: int,
                   decoded_limit_mb: float = MAX_DECODED_MB) -> pd.DataFrame:
    """Read Parquet bytes with the decoded size capped, whatever the file's metadata or encoding says.

    Before decoding: the row count and the encoded size (metadata), nested columns (refused) and the fixed-width
    columns' decoded size (schema x rows). Then text and binary columns are read as dictionaries, batch by batch,
    and their decoded length (sum of each row's value length, plus 4-byte offsets) is counted from the
    dictionary's lengths without building the values: a 13 KB file whose one value repeats 2 million times is
    refused after reading its indices, never expanded.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    try:
        schema = pq.ParquetFile(io.BytesIO(raw)).schema_arrow
        text_columns = [f.name for f in schema if _is_text(f.type)]
        parquet = pq.ParquetFile(io.BytesIO(raw), read_dictionary=text_columns)
        meta = parquet.metadata
        encoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise _parquet_unreadable(exc) from None
    check_rows(meta.num_rows, row_limit)
    check_columns(len(schema))
    if encoded > limit_mb * 1024 * 1024:
        raise DataError(f"The Parquet file holds {encoded / 1024 / 1024:,.0f} MB of data once uncompressed, "
                        f"over the {limit_mb:,.0f} MB limit. Upload a stratified sample of it.")
    nested = [f.name for f in schema if _is_nested(f.type)]
    if nested:
        raise DataError(f"Column {', '.join(map(repr, nested[:3]))} holds lists or records, not one value per "
                        "cell. Flatten it into plain columns, or leave it out, and upload the table again.")
    unknown = [f for f in schema if not _is_known(f.type)]
    if unknown:  # every type read here has its decoded size counted below; others are refused before decoding
        raise DataError(f"Column '{unknown[0].name}' has the type {unknown[0].type}, which is not read here (numbers, "
                        "dates, booleans, text and binary are). Convert it to one of those and upload the table "
                        "again.")
    cap = decoded_limit_mb * 1024 * 1024
    fixed = sum(f.type.bit_width // 8 for f in schema if _is_fixed_width(f.type)) * meta.num_rows
    if fixed > cap:
        raise _decoded_over(fixed, decoded_limit_mb)
    decoded, batches = float(fixed), []
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, use_pandas_metadata=True):
            for values in batch.columns:
                if pa.types.is_dictionary(values.type) and _is_text(values.type.value_type):
                    lengths = pc.binary_length(values.dictionary).cast(pa.int64())
                    decoded += (pc.sum(pc.take(lengths, values.indices)).as_py() or 0) + 4 * len(values)
                elif _is_text(values.type):
                    decoded += values.nbytes
            if decoded > cap:
                raise _decoded_over(decoded, decoded_limit_mb)
            batches.append(batch)
        frame = pa.Table.from_batches(batches, schema=batches[0].schema if batches else None).to_pandas() \
            if batches else parquet.schema_arrow.empty_table().to_pandas()
    except DataError:
        raise
    except Exception as exc:
        raise _parquet_unreadable(exc) from None
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        raise DataError("Column names appear more than once. Rename them so every column has its own name.")
    return plain_dtypes(frame)


def _is_fixed_width(arrow_type) -> bool:
    """Numbers, dates and booleans; a dictionary of them counts its index width (its values are few)."""
    try:
        return arrow_type.bit_width > 0
    except ValueError:
        return False


def _is_text(arrow_type) -> bool:
    """Every variable-width text and binary type, views included: read as dictionaries, their decoded length is
    counted from the dictionary (a string_view column was once skipped: 3 KB loaded as a 1.9 GB frame)."""
    import pyarrow as pa
    return (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_binary(arrow_type)
            or pa.types.is_large_binary(arrow_type) or pa.types.is_string_view(arrow_type)
            or pa.types.is_binary_view(arrow_type))


def _is_nested(arrow_type) -> bool:
    """Lists (large, fixed-size, views), maps, structs, unions, and dictionaries of them."""
    import pyarrow as pa
    if pa.types.is_dictionary(arrow_type):
        return _is_nested(arrow_type.value_type)
    return pa.types.is_nested(arrow_type) or pa.types.is_list_view(arrow_type) or \
        pa.types.is_large_list_view(arrow_type)


def _is_known(arrow_type) -> bool:
    """A type whose decoded size _parquet_frame counts: fixed width (from the schema), text and binary (from the
    dictionary while reading), dictionaries of those, and all-null columns."""
    import pyarrow as pa
    if pa.types.is_dictionary(arrow_type):
        return _is_text(arrow_type.value_type) or _is_fixed_width(arrow_type.value_type)
    if isinstance(arrow_type, pa.BaseExtensionType):
        return False
    return pa.types.is_null(arrow_type) or _is_text(arrow_type) or _is_fixed_width(arrow_type)


def plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical and pandas-string columns as plain values (object text or numbers).

    A `category` column carries every declared level, used or not; grouping over several of them builds the
    product of all levels (a 14 KB Parquet file asked for 27 GiB). Plain values make every later groupby,
    pivot and value count depend on the rows only.
    """
    converted = {}
    for col in frame.columns:
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            levels = values.cat.categories.dtype
            if pd.api.types.is_numeric_dtype(levels) and not pd.api.types.is_bool_dtype(levels):
                converted[col] = values.astype("float64" if values.isna().any() else levels)
            else:
                converted[col] = values.astype(object).where(values.notna(), np.nan)
        elif isinstance(values.dtype, pd.StringDtype):
            converted[col] = values.astype(object).where(values.notna(), np.nan)
    return frame.assign(**converted) if converted else frame


def read_table(raw: bytes, name: str, limit_mb: float = MAX_UPLOAD_MB, row_limit: int = MAX_ROWS) -> LoadedTable:
    """Read CSV or Parquet bytes into a typed table; raises DataError with a fix for every bad input."""
    check_size(len(raw), limit_mb)
    notes: list[str] = []
    if raw[:4] == b"PAR1":
        frame = _parquet_frame(raw, limit_mb, row_limit)
    else:
        frame, notes = read_csv_bytes(raw, row_limit)
    if frame.shape[1] < 2:
        raise DataError("Only one column was found. The table needs feature columns and a target column.")
    if len(frame) == 0:
        raise DataError("The file has a header but no data rows. Upload the full table.")
    frame = frame.reset_index(drop=True)
    mixed = find_mixed_columns(frame)
    kinds = infer_column_types(frame)
    levels = [col for col in mixed if looks_like_levels(frame[col])]
    for col in levels:
        text = sorted(text_values(frame[col]).unique())
        notes.append(f"Column '{col}' mixes numbers with a few text levels ({', '.join(map(repr, text[:3]))}); "
                     "it was read as categorical. Set its type on the Data page if that is wrong.")
    mixed = [col for col in mixed if col not in levels]
    kinds.update({col: CATEGORICAL for col in levels})
    kinds.update({col: NUMERIC for col in mixed})  # meant as numbers: validation names the text cells
    return LoadedTable(frame=frame, name=name, sha256=sha256_of(raw), n_bytes=len(raw), column_types=kinds,
                       notes=tuple(notes), mixed_columns=tuple(mixed))


def read_path(path: str | Path, limit_mb: float = MAX_UPLOAD_MB) -> LoadedTable:
    """Read a table from disk (the CLI and the bundled samples); the size is checked before reading."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"No file at '{path}'. Check the path.")
    check_size(path.stat().st_size, limit_mb)
    return read_table(path.read_bytes(), path.name, limit_mb)


# A table file's column names from its head alone, so that `predict` refuses a file lacking the model's columns
# before reading its rows. The full read (read_path) stays the judge: head_columns answers only where its answer is
# the full read's, and returns None otherwise (then the full read decides, in its own words).
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
