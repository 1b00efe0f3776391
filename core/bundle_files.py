"""A bundle's files: their names and layout, reading a folder or a zip of them within size bounds (every read is
bounded before it is made; no path is ever extracted to disk), and writing them (the sealed manifest, the zip, a
new or empty folder, reference.parquet and golden.csv). What the files must hold is checked in core.bundle_checks,
in the order core.bundle gives.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import sha256_of
from core.errors import SynthBalanceError
from core.export import to_csv_text

FORMAT = "synthbalance-bundle"
FORMAT_VERSION = 1
MODEL, MANIFEST, REFERENCE, GOLDEN = "model.skops", "manifest.json", "reference.parquet", "golden.csv"
CARD, CARD_HTML, SUMMARY, ONNX = "model_card.md", "model_card.html", "summary.html", "model.onnx"
REQUIRED_FILES = (MODEL, MANIFEST, REFERENCE, GOLDEN, CARD)
OPTIONAL_FILES = (CARD_HTML, SUMMARY, ONNX)
MAX_FILE_BYTES = 200 * 1024 * 1024  # one file of a bundle, unpacked
MAX_BUNDLE_BYTES = 400 * 1024 * 1024  # all of them together
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# what zipfile raises for a damaged or crafted archive (NotImplementedError: a zip version or method it lacks)
ZIP_ERRORS = (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error)
GOLDEN_ROWS = 20
MAX_REFUSAL_CHARS = 400


class BundleRefused(SynthBalanceError):
    """A bundle failed one of the loader's checks; `check` names it."""

    def __init__(self, check: str, message: str):
        if len(message) > MAX_REFUSAL_CHARS:  # text quoted from a crafted file stays one readable line
            message = message[:MAX_REFUSAL_CHARS] + " ..."
        super().__init__(f"The model bundle was refused ({check} check): {message}")
        self.check = check


def manifest_hash(manifest: dict) -> str:
    """SHA-256 of the manifest's canonical JSON without its own `manifest_sha256` field."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return sha256_of(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())


def sealed(manifest: dict, files: dict[str, bytes]) -> bytes:
    """manifest.json's bytes: the SHA-256 of every other file, then the manifest's own hash."""
    manifest = {**manifest, "files": {name: sha256_of(raw) for name, raw in sorted(files.items())
                                      if name != MANIFEST}}
    manifest["manifest_sha256"] = manifest_hash(manifest)
    return json.dumps(manifest, indent=2, sort_keys=True).encode()


def read_folder(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        raise BundleRefused("files", f"'{directory}' is not a folder.")
    present = {p.name: p for p in directory.iterdir()}
    unexpected = sorted(n for n in present if n not in REQUIRED_FILES + OPTIONAL_FILES)
    missing = [n for n in REQUIRED_FILES if n not in present]
    if missing or unexpected:
        raise BundleRefused("files", (f"missing {', '.join(missing)}" if missing else "") +
                            ("; " if missing and unexpected else "") +
                            (f"unexpected {', '.join(map(repr, unexpected))}" if unexpected else ""))
    files = {}
    for name, path in present.items():
        if not path.is_file() or path.is_symlink():
            raise BundleRefused("files", f"'{name}' is not a plain file.")
        if path.stat().st_size > (MAX_MANIFEST_BYTES if name == MANIFEST else MAX_FILE_BYTES):
            raise BundleRefused("files", f"'{name}' is larger than a bundle file may be.")
        with path.open("rb") as handle:  # never more than the limit, even if the file grew since stat
            files[name] = handle.read(MAX_FILE_BYTES + 1)
        if len(files[name]) > (MAX_MANIFEST_BYTES if name == MANIFEST else MAX_FILE_BYTES):
            raise BundleRefused("files", f"'{name}' is larger than a bundle file may be.")
    return files


def read_zip(data: bytes) -> dict[str, bytes]:
    """A zipped bundle's files: only the expected file names, at the top level, within the size limits, are read
    (no path is ever extracted to disk)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except ZIP_ERRORS:
        raise BundleRefused("files", "this is not a zip file.") from None
    names = [e.filename for e in entries]
    unexpected = [n for n in names if n not in REQUIRED_FILES + OPTIONAL_FILES]
    if unexpected or len(set(names)) != len(names):
        raise BundleRefused("files", f"the zip holds unexpected or repeated entries "
                                     f"({', '.join(map(repr, unexpected[:3])) or 'repeated names'}).")
    missing = [n for n in REQUIRED_FILES if n not in names]
    if missing:
        raise BundleRefused("files", f"missing {', '.join(missing)}")
    files, total = {}, 0
    for entry in entries:
        limit = MAX_MANIFEST_BYTES if entry.filename == MANIFEST else MAX_FILE_BYTES
        try:
            with archive.open(entry) as handle:
                raw = handle.read(limit + 1)  # never more than the limit, whatever the header claims
        except ZIP_ERRORS as exc:
            raise BundleRefused("files", f"'{entry.filename}' could not be unpacked ({exc}).") from None
        total += len(raw)
        if len(raw) > limit or total > MAX_BUNDLE_BYTES:
            raise BundleRefused("files", f"'{entry.filename}' unpacks larger than a bundle file may be.")
        files[entry.filename] = raw
    return files


def zip_within_bounds(source: Path) -> bytes:
    """A bundle zip's bytes, its size checked before it is read (a zip holds at most MAX_BUNDLE_BYTES of files,
    plus its own headers)."""
    if source.stat().st_size > MAX_BUNDLE_BYTES + 1024 * 1024:
        raise BundleRefused("files", f"'{source.name}' is larger than a bundle may be "
                                     f"({MAX_BUNDLE_BYTES / 1024 ** 2:,.0f} MB).")
    return source.read_bytes()


def bundle_zip(files: dict[str, bytes]) -> bytes:
    """The bundle's files as one zip (flat, deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name],
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def write_bundle(files: dict[str, bytes], directory: str | Path) -> Path:
    """Write the files into a new or empty folder (never over another folder's files)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    clash = [p.name for p in out.iterdir() if p.name not in files]
    if clash:
        raise SynthBalanceError(f"'{out}' already holds other files ({', '.join(clash[:3])}); choose an empty "
                                "folder for the bundle.")
    for name, raw in files.items():
        (out / name).write_bytes(raw)
    return out


def reference_table(test: pd.DataFrame, features: list[str], target: str, probability: np.ndarray,
                    decision: np.ndarray) -> pd.DataFrame:
    """reference.parquet's rows: the real test part's features, then truth, minority_probability, decision."""
    table = test[features].reset_index(drop=True).copy()
    table["truth"] = test[target].astype(str).to_numpy()
    table["minority_probability"] = np.asarray(probability, dtype=float)
    table["decision"] = np.asarray(decision, dtype=bool)
    table.attrs = {}  # the split's held-out mark stays in this process; the file holds the rows only
    return table


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def golden_csv(reference: pd.DataFrame, features: list[str], kinds: dict[str, str], seed: int) -> bytes:
    """GOLDEN_ROWS reference rows (seeded choice) with the probability they must get back, as a formula-safe CSV."""
    rows = reference.sample(n=min(GOLDEN_ROWS, len(reference)), random_state=seed).sort_index()
    return to_csv_text(rows[[*features, "minority_probability"]], kinds).encode()
