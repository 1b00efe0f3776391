"""The checks a bundle must pass before it is trusted, each refusing with the name of its check: hashes, manifest
(the fields the loader reads have the shape it reads), versions, allow-list (skops with OUR list of types, never one
read from the bundle; model.skops' declared unpacked size bounded before skops opens it), consistency, reference,
golden rows (re-scored to 1e-9); and the calibration check a label-free estimate relies on. core.bundle runs them,
in that order.
"""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import skops.io as sio

from core.bundle_files import (
    FORMAT,
    GOLDEN,
    GOLDEN_ROWS,
    MANIFEST,
    MAX_FILE_BYTES,
    ZIP_ERRORS,
    BundleRefused,
    manifest_hash,
)
from core.bundle_schema import conform
from core.config import versions
from core.data import sha256_of
from core.errors import SynthBalanceError
from core.export import is_formula
from core.numbers import to_numbers
from core.reading import read_table

MAX_MANIFEST_DEPTH = 16  # ours nests 4 deep; a deeper one is refused before anything walks it
# model.skops is a zip: its entries' declared unpacked sizes together (zipfile never unpacks past an entry's
# declared size, so this bounds what skops can read, whatever the compression ratio) and its entry count
MAX_MODEL_UNPACKED_BYTES = 2 * MAX_FILE_BYTES  # arrays barely compress: a real model unpacks to about its size
MAX_MODEL_SCHEMA_BYTES = 64 * 1024 * 1024  # skops' schema.json, parsed whole (ours: 0.1 MB)
MAX_MODEL_ENTRIES = 100_000
REFERENCE_COLUMNS = ("truth", "minority_probability", "decision")
GOLDEN_TOLERANCE = 1e-9
# Packages whose version changes what a loaded model computes: another version refuses the bundle (unless the
# caller allows the drift); the others are recorded and a difference is a warning.
MODEL_PACKAGES = ("scikit-learn", "imbalanced-learn", "skops")
RECORDED_PACKAGES = ("scikit-learn", "imbalanced-learn", "numpy", "pandas", "scipy", "skops")
# The types a bundle's model.skops may hold beyond skops' own defaults: the loader's constant, never read from a
# bundle. Everything our export writes, and nothing else.
ALLOWED_TYPES = (
    "core.calibration.CalibratedModel",
    "core.encoding.MedianImputer",
    "core.models.ModelFrame",
    "numpy.dtype",
)
# The calibration check Monitor's label-free estimate relies on (out-of-fold, after recalibration).
CALIBRATION_SLOPE_RANGE = (0.8, 1.2)
CALIBRATION_INTERCEPT_LIMIT = 0.2


def calibration_passes(figures: dict) -> bool:
    """The calibration check: slope within CALIBRATION_SLOPE_RANGE and |intercept| <= the limit."""
    slope, intercept = figures.get("slope"), figures.get("intercept")
    if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in (slope, intercept)):
        return False
    return CALIBRATION_SLOPE_RANGE[0] <= slope <= CALIBRATION_SLOPE_RANGE[1] and \
        abs(intercept) <= CALIBRATION_INTERCEPT_LIMIT


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a parsed JSON value (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_MANIFEST_DEPTH:
                stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def check_hashes(files: dict[str, bytes]) -> dict:
    try:
        manifest = json.loads(files[MANIFEST])
    except (ValueError, UnicodeDecodeError, RecursionError):  # a deeply nested one exhausts the parser's stack
        raise BundleRefused("hashes", "manifest.json is not valid JSON (or nests too deeply).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleRefused("hashes", "manifest.json is not a SynthBalance bundle manifest.")
    if _depth(manifest) > MAX_MANIFEST_DEPTH:
        raise BundleRefused("hashes", f"manifest.json nests deeper than {MAX_MANIFEST_DEPTH} levels.")
    if manifest.get("manifest_sha256") != manifest_hash(manifest):
        raise BundleRefused("hashes", "manifest.json was changed after it was written (its own SHA-256 differs).")
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise BundleRefused("hashes", "manifest.json lists no SHA-256 per file.")
    for name in sorted(set(files) - {MANIFEST} | set(listed)):
        if name not in files:
            raise BundleRefused("hashes", f"{name} is listed in the manifest but missing.")
        if listed.get(name) != sha256_of(files[name]):
            raise BundleRefused("hashes", f"{name} does not match its SHA-256 in the manifest (changed or not "
                                          "listed).")
    return manifest


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


def _schema_problem(columns: object) -> str | None:
    """What is wrong with the manifest's schema columns, or None: a non-empty list of {name (text, unique), kind
    (a column kind), missing_allowed (true/false), min/max (numbers or null; dates as text) or levels (list of text
    or 'many')}."""
    from core.data import COLUMN_KINDS, DATETIME
    if not isinstance(columns, list) or not columns or not all(isinstance(c, dict) for c in columns):
        return "schema.columns is not a list of columns"
    names = [c.get("name") for c in columns]
    if not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        return "a schema column has no name, or a repeated one"
    for column in columns:
        name, kind = column["name"], column.get("kind")
        if kind not in COLUMN_KINDS or not isinstance(column.get("missing_allowed"), bool):
            return f"schema column {name!r} has no valid kind or missing_allowed"
        bounds = [column.get("min"), column.get("max")]
        if kind == DATETIME and not all(b is None or isinstance(b, str) for b in bounds):
            return f"schema column {name!r} has a date range that is not text"
        if kind == DATETIME and all(isinstance(b, str) for b in bounds):
            try:
                [pd.Timestamp(b) for b in bounds]
            except (ValueError, TypeError):
                return f"schema column {name!r} has a date range that is not dates"
        elif kind != DATETIME and not all(b is None or _is_number(b) for b in bounds):
            return f"schema column {name!r} has a range that is not numbers"
        levels = column.get("levels")
        if levels is not None and levels != "many" and not (isinstance(levels, list) and
                                                             all(isinstance(v, str) for v in levels)):
            return f"schema column {name!r} has levels that are not a list of text"
    return None


def check_manifest(manifest: dict) -> None:
    """The fields the loader and the scorer read have the shape they read (a resealed manifest is still read by
    this code: a wrong shape is a refusal naming the field, never a traceback)."""
    def refuse(why: str):
        raise BundleRefused("manifest", f"manifest.json: {why}.")
    threshold, classes = manifest.get("threshold"), manifest.get("classes")
    if not isinstance(manifest.get("versions"), dict) or \
            not all(isinstance(v, str) for v in manifest["versions"].values()):
        refuse("versions is not a table of package versions")
    if not isinstance(manifest.get("schema"), dict):
        refuse("schema is missing")
    problem = _schema_problem(manifest["schema"].get("columns"))
    if problem:
        refuse(problem)
    if not isinstance(threshold, dict) or not _is_number(threshold.get("value")) or \
            not 0 <= threshold["value"] <= 1:
        refuse("threshold.value is not a number from 0 to 1")
    if not isinstance(classes, list) or len(classes) != 2 or not all(isinstance(c, str) for c in classes) or \
            manifest.get("minority") not in classes:
        refuse("classes are not two labels, one of them the minority")
    calibration = manifest.get("calibration")
    if not isinstance(calibration, dict) or not isinstance(calibration.get("after"), dict):
        refuse("calibration.after is missing")


def check_versions(manifest: dict, allow_version_drift: bool) -> tuple[str, ...]:
    made, here = manifest.get("versions") or {}, versions(RECORDED_PACKAGES)
    warnings = []
    for name in ("python", *RECORDED_PACKAGES):
        if made.get(name) == here.get(name):
            continue
        line = f"{name} {made.get(name, 'unrecorded')} made this bundle, {here.get(name)} is installed here"
        if name in MODEL_PACKAGES and not allow_version_drift:
            raise BundleRefused("versions", f"{line}; install {name}=={made.get(name)} or export the bundle again "
                                            "(or allow the drift, and its warning, explicitly).")
        warnings.append(f"version drift: {line}; its figures may differ from the bundle's.")
    return tuple(warnings)


def _check_model_size(raw: bytes) -> None:
    """model.skops is a zip that skops unpacks in memory: its entries' declared sizes are bounded first (a small
    file can declare gigabytes; zipfile never unpacks an entry past its declared size, so this bounds the read)."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except ZIP_ERRORS:
        raise BundleRefused("allow-list", "model.skops could not be read (not a skops file).") from None
    unpacked = sum(entry.file_size for entry in entries)
    schema = sum(entry.file_size for entry in entries if entry.filename == "schema.json")
    if len(entries) > MAX_MODEL_ENTRIES or unpacked > MAX_MODEL_UNPACKED_BYTES or schema > MAX_MODEL_SCHEMA_BYTES:
        raise BundleRefused("allow-list", f"model.skops declares {unpacked / 1024 ** 2:,.0f} MB unpacked in "
                                          f"{len(entries):,} entries ({schema / 1024 ** 2:,.0f} MB of schema); "
                                          f"the loader reads at most {MAX_MODEL_UNPACKED_BYTES / 1024 ** 2:,.0f} "
                                          f"MB, {MAX_MODEL_SCHEMA_BYTES / 1024 ** 2:,.0f} MB of schema.")


def load_model(raw: bytes):
    """model.skops, loaded only when every type it needs beyond skops' defaults is in ALLOWED_TYPES (and its
    unpacked size is within the loader's limit)."""
    _check_model_size(raw)
    try:
        needed = sio.get_untrusted_types(data=raw)
    except Exception as exc:  # a damaged or crafted file: skops' own error, in one line
        raise BundleRefused("allow-list", f"model.skops could not be read ({type(exc).__name__}).") from None
    outside = sorted(set(needed) - set(ALLOWED_TYPES))
    if outside:
        raise BundleRefused("allow-list", f"model.skops holds type(s) outside the loader's allow-list: "
                                          f"{', '.join(outside[:5])}.")
    try:
        return sio.loads(raw, trusted=list(needed))
    except Exception as exc:
        raise BundleRefused("allow-list", f"model.skops could not be loaded ({type(exc).__name__}).") from None


def check_consistency(model, manifest: dict) -> None:
    from sklearn.model_selection import FixedThresholdClassifier
    threshold = (manifest.get("threshold") or {}).get("value")
    if not isinstance(model, FixedThresholdClassifier):
        raise BundleRefused("consistency", "model.skops is not a thresholded classifier.")
    if getattr(model, "response_method", None) != "predict_proba":
        raise BundleRefused("consistency", "the model's threshold is not on predict_proba's probabilities.")
    # agreement is asked, not a difference: a NaN threshold differs from nothing by more than 1e-12
    if not _is_number(model.threshold) or not abs(float(model.threshold) - float(threshold)) <= 1e-12:
        raise BundleRefused("consistency", f"the model's threshold {model.threshold} is not the manifest's "
                                           f"{threshold}.")
    try:
        classes = [str(c) for c in model.classes_]
    except Exception:  # an unfitted estimator inside (AttributeError, NotFittedError): no classes to compare
        classes = None
    if str(model.pos_label) != manifest.get("minority") or classes != list(manifest.get("classes", [])):
        raise BundleRefused("consistency", "the model's classes are not the manifest's.")


def read_golden(raw: bytes) -> pd.DataFrame:
    """golden.csv as the app reads a table, with the formula guard's apostrophe taken off again."""
    frame = read_table(raw, GOLDEN).frame
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v[1:] if isinstance(v, str) and v.startswith("'")
                                        and is_formula(v[1:]) else v)
    return frame


def read_reference(raw: bytes, features: list[str], classes: list[str], threshold: float) -> pd.DataFrame:
    """reference.parquet, read within the app's Parquet limits (rows, decoded size: checked from the metadata
    before decoding), refused unless it holds exactly the features then REFERENCE_COLUMNS, with truth among the
    classes, probabilities in [0, 1] and each decision the threshold rule's."""
    from core.reading import MAX_ROWS, _parquet_frame
    try:
        reference = _parquet_frame(raw, MAX_FILE_BYTES / 1024 ** 2, MAX_ROWS)
    except SynthBalanceError as exc:  # the reader's first sentence (its advice is for an upload)
        raise BundleRefused("reference", f"reference.parquet: {str(exc).split('. ')[0].rstrip('.')}.") from None
    if [str(c) for c in reference.columns] != [*features, *REFERENCE_COLUMNS]:
        raise BundleRefused("reference", "reference.parquet does not hold the model's input columns followed by "
                                         f"{', '.join(REFERENCE_COLUMNS)}.")
    probability = to_numbers(reference["minority_probability"]).to_numpy(dtype=float)
    decision = reference["decision"]
    if not len(reference) or not pd.api.types.is_bool_dtype(decision) or \
            not np.all((probability >= 0) & (probability <= 1)) or \
            not reference["truth"].astype(str).isin(classes).all() or \
            not np.array_equal(decision.to_numpy(dtype=bool), probability >= threshold):
        raise BundleRefused("reference", "reference.parquet's rows are not truths among the classes, probabilities "
                                         "from 0 to 1 and the decisions the threshold gives.")
    return reference


def check_golden(bundle, raw: bytes) -> None:
    """golden.csv: min(GOLDEN_ROWS, reference rows) rows re-scored to GOLDEN_TOLERANCE by the bundle (a
    core.bundle.Bundle: its schema, reference and probabilities)."""
    try:
        golden = read_golden(raw)
        rows = conform(golden, bundle.schema)[0]
    except SynthBalanceError as exc:
        raise BundleRefused("golden rows", f"golden.csv: {exc}") from None
    expected_rows = min(GOLDEN_ROWS, len(bundle.reference))
    expected = to_numbers(golden.get("minority_probability", pd.Series(dtype=object)))
    if len(golden) != expected_rows or len(expected) != expected_rows or expected.isna().any():
        raise BundleRefused("golden rows", f"golden.csv does not hold {expected_rows} rows, each with its recorded "
                                           "minority_probability.")
    try:
        probability, _ = bundle.probabilities(rows)
    except Exception as exc:  # a crafted model of allowed types can still fail to score: refused, in one line
        raise BundleRefused("golden rows", f"the model could not score the golden rows ({type(exc).__name__}).") \
            from None
    worst = float(np.max(np.abs(probability - expected.to_numpy(dtype=float))))
    if not worst <= GOLDEN_TOLERANCE:
        raise BundleRefused("golden rows", f"re-scored, the golden rows differ from their recorded probabilities "
                                           f"by up to {worst:.3g} (allowed {GOLDEN_TOLERANCE:g}).")
