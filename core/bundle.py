"""The deliverable: a calibrated model bundle as loaded, the loader that decides whether to trust one, and scoring.

A bundle is a folder (or a zip of it): model.skops (a scikit-learn FixedThresholdClassifier around the fitted
pipeline, no sampler in the predict path; skops.io, never pickle), manifest.json (hashes, versions, input schema,
strategy and provenance, calibration, threshold), reference.parquet (the real test-part rows with their truth,
calibrated P(minority) and decision: what Monitor compares against), golden.csv (20 rows and the probabilities they
must get back), the model card and the Summary.

Loading decides trust, in this order, and each refusal names its check: files, hashes, manifest (the fields the
loader reads have the shape it reads), versions, allow-list (skops with OUR list of types, never one read from the
bundle: a crafted MLflow skops model once trusted anything that way; model.skops is itself a zip, and its declared
unpacked size is bounded before skops opens it), consistency, reference, golden rows (re-scored to 1e-9). Every
read is bounded in size before it is made. The order is `_from_files` below, in one place; the files are read
within bounds by core.bundle_files and each check is in core.bundle_checks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.bundle_checks import (
    calibration_passes,
    check_consistency,
    check_golden,
    check_hashes,
    check_manifest,
    check_versions,
    load_model,
    read_reference,
)
from core.bundle_files import GOLDEN, MODEL, REFERENCE, read_folder, read_zip, zip_within_bounds
from core.bundle_schema import SchemaNotes, conform
from core.errors import SynthBalanceError


@dataclass(frozen=True)
class Scored:
    """Rows scored by a bundle: P(minority) (n rows, calibrated when the bundle recalibrated), the decision
    (n rows, True = minority, P >= threshold), the schema notes, and the load's warnings (version drift)."""
    probability: np.ndarray
    decision: np.ndarray
    schema: SchemaNotes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bundle:
    """A bundle that passed every check. model: the FixedThresholdClassifier; threshold: on P(minority);
    features: model input columns in order, kinds: their kinds; reference: the real test-part rows (features,
    then truth (class label), minority_probability, decision); calibration_ok: the out-of-fold calibration after
    recalibration is within CALIBRATION_SLOPE_RANGE and CALIBRATION_INTERCEPT_LIMIT (what a label-free estimate
    needs); warnings: carried onto every output (version drift allowed by the caller)."""
    model: object = field(repr=False)
    manifest: dict = field(repr=False)
    threshold: float
    minority: str
    features: list[str]
    kinds: dict[str, str]
    reference: pd.DataFrame = field(repr=False)
    calibration_ok: bool
    warnings: tuple[str, ...] = ()

    @property
    def schema(self) -> list[dict]:
        return self.manifest["schema"]["columns"]

    def score(self, frame: pd.DataFrame) -> Scored:
        """Check the frame's schema (missing column or other type: SynthBalanceError), then score its rows."""
        rows, notes = conform(frame, self.schema)
        return Scored(*self.probabilities(rows), notes, self.warnings)

    def check_columns(self, columns: list[str]) -> None:
        """The schema's first check on a file's column names alone (its header, before its rows are read): a
        missing column is the same SynthBalanceError, in the same words, as score's."""
        if any(name not in columns for name in self.features):
            conform(pd.DataFrame(index=[0], columns=pd.Index(columns, dtype=object)), self.schema)

    def probabilities(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(P(minority), decision) of rows already conformed; one predict_proba, the model's own threshold rule
        (FixedThresholdClassifier: minority when P >= threshold). A value the fitted model cannot read (a tree
        model's float32: above 3.4e38) is one SynthBalanceError in scikit-learn's words."""
        try:
            proba = np.asarray(self.model.predict_proba(rows), dtype=float)
        except ValueError as exc:
            raise SynthBalanceError(f"The model could not score these rows: {str(exc).splitlines()[0]}") from None
        probability = proba[:, list(self.model.classes_).index(self.minority)]
        return probability, probability >= self.threshold


SCORED_WARNING = "bundle_warning"


def scored_table(frame: pd.DataFrame, scored: Scored) -> pd.DataFrame:
    """The rows as given plus minority_probability and decision (replacing columns of those names, as when a
    scored file is scored again); when the load carried warnings (version drift allowed by the caller), a
    SCORED_WARNING column repeats them on every row, so the file cannot travel without them."""
    table = frame.assign(minority_probability=scored.probability, decision=scored.decision)
    if scored.warnings:
        table[SCORED_WARNING] = " | ".join(scored.warnings)
    return table


def _from_files(files: dict[str, bytes], allow_version_drift: bool) -> Bundle:
    """The checks after the files were read within bounds, in the order that is the guarantee: hashes, manifest,
    versions, allow-list (load_model), consistency, reference, golden rows."""
    manifest = check_hashes(files)
    check_manifest(manifest)
    warnings = check_versions(manifest, allow_version_drift)
    model = load_model(files[MODEL])
    check_consistency(model, manifest)
    schema = manifest["schema"]["columns"]
    features = [c["name"] for c in schema]
    threshold = float(manifest["threshold"]["value"])
    reference = read_reference(files[REFERENCE], features, manifest["classes"], threshold)
    bundle = Bundle(model=model, manifest=manifest, threshold=threshold,
                    minority=str(manifest["minority"]), features=features,
                    kinds={c["name"]: c["kind"] for c in schema}, reference=reference,
                    calibration_ok=calibration_passes(manifest["calibration"]["after"]), warnings=warnings)
    check_golden(bundle, files[GOLDEN])
    return bundle


def load_bundle(directory: str | Path, allow_version_drift: bool = False) -> Bundle:
    """Load a bundle folder, checking files, hashes, versions, allow-list, consistency and golden rows in that
    order; BundleRefused (a SynthBalanceError) names the check that failed."""
    return _from_files(read_folder(Path(directory)), allow_version_drift)


def load_bundle_zip(data: bytes, allow_version_drift: bool = False) -> Bundle:
    """Load a zipped bundle: only the expected file names, at the top level, within the size limits, are read
    (no path is ever extracted to disk)."""
    return _from_files(read_zip(data), allow_version_drift)


def load_bundle_path(path: str | Path, allow_version_drift: bool = False) -> Bundle:
    """A bundle folder, or its zip (its size checked before it is read: a zip holds at most MAX_BUNDLE_BYTES of
    files, plus its own headers)."""
    source = Path(path)
    if not source.is_file():
        return load_bundle(source, allow_version_drift)
    return load_bundle_zip(zip_within_bounds(source), allow_version_drift)
