"""Export: the decision record's kept strategy fitted once on the whole training part, with out-of-fold
calibration and threshold on the training part, as the files of a bundle (core.bundle reads them back).

The test part is used for nothing but the reference rows' scores: every fit (the folds' models, the final model,
the recalibration) and every choice (the recalibration kept, the threshold) reads training rows only.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier, StratifiedKFold
from sklearn.pipeline import Pipeline

from core.bundle_checks import (
    CALIBRATION_INTERCEPT_LIMIT,
    CALIBRATION_SLOPE_RANGE,
    RECORDED_PACKAGES,
    calibration_passes,
)
from core.bundle_files import (
    CARD,
    CARD_HTML,
    FORMAT,
    FORMAT_VERSION,
    GOLDEN,
    MANIFEST,
    MODEL,
    REFERENCE,
    SUMMARY,
    golden_csv,
    parquet_bytes,
    reference_table,
    sealed,
    write_bundle,
)
from core.bundle_schema import input_schema
from core.calibration import CalibratedModel, CalibrationChoice, choose_recalibration
from core.config import RunConfig, read_config, versions
from core.constraints import build_constraints
from core.data import Dataset, table_for_config, validate_dataset
from core.errors import ConfigError, DataError, SynthBalanceError
from core.models import fit_strategy, make_strategy, strategy_proba
from core.pipeline import Prepared, prepare, sampler_for_config, synthesize
from core.reading import read_path
from core.split import ensure_not_held_out
from core.strategies import ARMS
from core.thresholds import DEFAULT_THRESHOLD, THRESHOLD_FOLDS, best_threshold
from core.validation.validate import copy_mask, without_rows

# the monitored arm of the decision record -> (class weight, synthetic rows, threshold tuned), from the one vocabulary
ARM_SETUP = {name: ("balanced" if name.startswith("class_weighted") else None, arm.synthetic, arm.tuned)
             for name, arm in ARMS.items() if name != "tstr"}
NO_ONNX = ("no ONNX file: this release ships the scikit-learn model only (skl2onnx does not convert the "
           "project's own column steps, ModelFrame and MedianImputer, without custom converters)")


@dataclass(frozen=True)
class ThresholdRecord:
    """The decision threshold on the shipped P(minority): value, how it was set, the folds it was tuned on, and
    its spread over them (each fold's own best threshold)."""
    value: float
    how: str
    folds: int
    per_fold: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        spread = np.asarray(self.per_fold, dtype=float)
        return {"value": self.value, "how": self.how, "folds": self.folds, "per_fold": list(self.per_fold),
                "spread": None if not len(spread) else {"min": float(spread.min()), "max": float(spread.max()),
                                                          "sd": float(spread.std(ddof=1)) if len(spread) > 1 else 0.0}}


@dataclass(frozen=True)
class BundleFiles:
    """An exported bundle: its files (name -> bytes, manifest.json included), the manifest, the calibration
    before / after and the threshold."""
    files: dict[str, bytes] = field(repr=False)
    manifest: dict = field(repr=False)
    calibration: CalibrationChoice = field(repr=False)
    threshold: ThresholdRecord


def out_of_fold_scores(strategy, train: pd.DataFrame, target: str, features: list[str], minority: str,
                       folds: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Raw P(minority) of every training row from a clone of `strategy` fitted on the other folds (a resampling
    strategy makes its synthetic rows inside each fold), and each fold's row positions. The same folds as
    core.evaluation.choose_threshold (seed, K), so the raw threshold is the run's."""
    ensure_not_held_out(train)
    labels = train[target].astype(str)
    scores, fold_rows = np.full(len(train), np.nan), []
    for fit_rows, check_rows in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(
            np.zeros(len(train)), labels):
        model = fit_strategy(clone(strategy), train.iloc[fit_rows], target, features)
        proba = strategy_proba(model, train.iloc[check_rows], features)
        scores[check_rows] = proba[minority].to_numpy() if minority in proba.columns else 0.0
        fold_rows.append(check_rows)
    return scores, fold_rows


def choose_bundle_threshold(truth: np.ndarray, choice: CalibrationChoice, fold_rows: list[np.ndarray],
                            tuned: bool) -> ThresholdRecord:
    """Tuned arms: the F1-best threshold on the shipped scale's out-of-fold scores (calibrated when a
    recalibration was kept), spread = each fold's own best. Untuned arms keep the strategy's 0.5 on the model's
    own scores, carried through the (monotone) recalibration so the decisions stay the strategy's."""
    scores = choice.scores
    scale = "calibrated" if choice.improved else "the model's own"
    if not tuned:
        value = float(choice.recalibration.apply(np.array([DEFAULT_THRESHOLD]))[0])
        return ThresholdRecord(value, f"not tuned: the strategy's default {DEFAULT_THRESHOLD} on the model's own "
                                      f"scores{', carried onto the calibrated scale' if choice.improved else ''}", 0)
    if any(np.ptp(scores[rows]) == 0 for rows in fold_rows):
        return ThresholdRecord(DEFAULT_THRESHOLD, "not tuned: the scores were constant on a fold", 0)
    return ThresholdRecord(best_threshold(truth, scores),
                           f"tuned for minority F1 on out-of-fold {scale} probabilities over {len(fold_rows)} folds "
                           "of the training part", len(fold_rows),
                           tuple(best_threshold(truth[rows], scores[rows]) for rows in fold_rows))


def _synthetic_rows(prepared: Prepared, config: RunConfig, dataset: Dataset):
    """Repeat 0's synthetic rows: made from the whole training part with the run's seed and settings."""
    constraints = build_constraints(list(dataset.frame.columns), list(config.rules), config.bounds)
    synthetic = synthesize(prepared, config.method, config.amount, config.params, config.seed, constraints,
                           config.density)
    if config.drop_copies and len(synthetic.rows):
        synthetic = without_rows(synthetic, copy_mask(prepared.train, synthetic.rows, dataset.target,
                                                      dataset.features, dataset.column_types, config.seed),
                                 dataset.target)
    return synthetic


def _provenance(config: RunConfig, synthetic) -> dict | None:
    if synthetic is None:
        return None
    privacy = synthetic.privacy
    return {"generator": synthetic.method, "generator_used": synthetic.method_used,
            "amount": {"rule": config.amount.rule, "value": config.amount.value}, "rows": int(synthetic.n_synthetic),
            "seed": config.seed, "epsilon": None if privacy is None else privacy.to_dict().get("epsilon"),
            "release_covered": None if privacy is None else bool(privacy.release_covered)}


def decision_hash(decision: dict) -> str:
    return hashlib.sha256(json.dumps(decision, sort_keys=True, separators=(",", ":"), default=str).encode()
                          ).hexdigest()


def build_bundle(dataset: Dataset, config: RunConfig, decision: dict,
                 documents: dict[str, bytes] | None = None) -> BundleFiles:
    """The bundle of the decision record's kept model (its `kept.monitored_arm`) on this dataset and config.

    decision: results.json's `decision` section (core.decision.DecisionRecord.to_dict). documents: the model
    card (Markdown, HTML) and Summary to ship; the calibration and threshold section is added to the card."""
    from core.card_bundle import bundle_card_section, with_bundle_section_html
    arm = (decision.get("kept") or {}).get("monitored_arm")
    if arm not in ARM_SETUP:
        raise ConfigError(f"The decision record's kept model ('{arm}') cannot be exported as a bundle.")
    weight, uses_synthetic, tuned = ARM_SETUP[arm]
    target, features, kinds = dataset.target, dataset.features, dataset.column_types
    prepared = prepare(dataset, config.test_size, config.seed, config.cleaning)
    train = prepared.train
    classes = sorted(train[target].astype(str).unique())
    if len(classes) != 2:
        raise DataError(f"A bundle is made for two-class targets; '{target}' has {len(classes)} classes.")
    minority = prepared.profile.minority_class
    truth = train[target].astype(str).to_numpy() == minority
    folds = min(THRESHOLD_FOLDS, int(truth.sum()), int((~truth).sum()))
    if folds < 2:
        raise DataError("The minority has too few training rows for out-of-fold calibration (2 are needed).")
    synthetic = sampler = None
    if uses_synthetic:
        synthetic = _synthetic_rows(prepared, config, dataset)
        sampler = sampler_for_config(config, dataset, config.seed)
    strategy = make_strategy(config.classifier, features, kinds, config.seed, weight, sampler)
    scores, fold_rows = out_of_fold_scores(strategy, train, target, features, minority, folds, config.seed)
    choice = choose_recalibration(truth, scores, folds, config.seed)
    threshold = choose_bundle_threshold(truth, choice, fold_rows, tuned)
    rows = train
    if synthetic is not None:  # synthetic rows get negative labels (never a real or test row's)
        made = synthetic.rows.drop(columns=["is_synthetic"], errors="ignore")
        rows = pd.concat([train, made.set_axis(pd.RangeIndex(-len(made), 0))])
    fitted = fit_strategy(make_strategy(config.classifier, features, kinds, config.seed, weight), rows, target,
                          features)
    base = Pipeline([(name, step) for name, step in fitted.steps])  # no sampler: a plain scikit-learn pipeline
    model = base
    if choice.improved:
        r = choice.recalibration
        model = CalibratedModel(base, minority, r.method, r.intercept, r.slope, np.asarray(r.knots_x),
                                np.asarray(r.knots_y)).fit(None)
    final = FixedThresholdClassifier(FrozenEstimator(model), threshold=threshold.value, pos_label=minority,
                                     response_method="predict_proba").fit(train[features], train[target].astype(str))
    # the reference holds the test rows as they arrive (prepared.test has missing values filled by the run's
    # cleaning; a deployed model gets raw rows and fills them with its own imputers, fitted on training rows)
    raw_test = prepared.split.test
    proba = np.asarray(final.predict_proba(raw_test[features]), dtype=float)[:, list(final.classes_).index(minority)]
    reference = reference_table(raw_test, features, target, proba, proba >= threshold.value)
    import skops.io as sio
    judged = (decision.get("judged") or {}).get("minority_f1") or {}
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "versions": versions(RECORDED_PACKAGES),
        "schema": {"columns": input_schema(train, features, kinds), "target": target},
        "target": target, "classes": [str(c) for c in final.classes_], "minority": minority,
        "strategy": {"name": decision["kept"].get("monitored"), "arm": arm, "label": decision["kept"].get("label"),
                     "classifier": config.classifier, "class_weight": weight, "seed": config.seed,
                     "synthetic": _provenance(config, synthetic), "predict_path": "no sampler"},
        "training_data_sha256": dataset.sha256, "training_rows": int(len(train)),
        "missing_values": "filled by the model's own median / most-frequent imputers, fitted on the training part"
                          + ("" if config.cleaning.missing == "none" else f" (the run's cleaning, "
                             f"'{config.cleaning.missing}', is not part of the predict path)"),
        "test_share": config.test_size,
        "headline_gain": {k: judged.get(k) for k in ("mean", "ci_low", "ci_high", "verdict", "words", "repeats")}
        | {"metric": "minority_f1", "reference": (decision.get("judged") or {}).get("reference")},
        "calibration": {**choice.to_dict(), "measured_on": f"out-of-fold scores of the {len(train)} training rows "
                                                            f"({folds} folds)",
                        "check": {"passed": calibration_passes(choice.after.to_dict()),
                                  "slope_range": list(CALIBRATION_SLOPE_RANGE),
                                  "intercept_limit": CALIBRATION_INTERCEPT_LIMIT}},
        "threshold": threshold.to_dict(),
        "decision_record_sha256": decision_hash(decision), "decision_key": decision.get("key"),
        "reference": {"rows": int(len(reference)), "minority_rows": int((reference["truth"] == minority).sum())},
        "onnx": {"present": False, "why": NO_ONNX},
    }
    documents = dict(documents or {})
    card = documents.get(CARD, b"# Model card\n").decode()
    documents[CARD] = (card.rstrip() + "\n\n" + bundle_card_section(manifest)).encode()
    if CARD_HTML in documents:
        documents[CARD_HTML] = with_bundle_section_html(documents[CARD_HTML].decode(), manifest).encode()
    files = {MODEL: sio.dumps(final), REFERENCE: parquet_bytes(reference),
             GOLDEN: golden_csv(reference, features, kinds, config.seed), **documents}
    files[MANIFEST] = sealed(manifest, files)
    return BundleFiles(files, json.loads(files[MANIFEST]), choice, threshold)


def _data_beside(run_dir: Path, name: str) -> Path:
    text = str(name).replace("\\", "/")
    relative = PurePosixPath(text)
    if not text or relative.is_absolute() or ".." in relative.parts:
        raise ConfigError(f"The config's data path '{name}' is not a file name in the run's folder; pass the data "
                          "with --data.")
    return run_dir / relative


def export_run(run_dir: str | Path, out: str | Path, data: str | Path | None = None) -> Path:
    """The bundle of the run in run_dir (config.json and results.json as `run --out` writes them), refitted from
    the config's data (`data`, else the config's file name in run_dir; its SHA-256 must be the config's)."""
    run = Path(run_dir)
    for name in ("config.json", "results.json"):
        if not (run / name).is_file():
            raise SynthBalanceError(f"'{run}' has no {name}: pass the folder `run --out` wrote.")
    config = read_config((run / "config.json").read_text())
    try:
        decision = json.loads((run / "results.json").read_text())["decision"]
    except (ValueError, KeyError, TypeError):
        raise SynthBalanceError(f"'{run / 'results.json'}' has no decision record; run it again with this "
                                "version.") from None
    path = Path(data) if data else _data_beside(run, config.data)
    if not path.is_file():
        raise SynthBalanceError(f"The run's data file '{config.data}' was not found in '{run}'; pass it with --data.")
    table = table_for_config(read_path(path), config.target, config.data_sha256)
    if table is None:
        raise SynthBalanceError(f"'{path}' is not the file this run was made from (SHA-256 differs).")
    dataset = validate_dataset(table, config.target, config.column_types)
    documents = {name: (run / name).read_bytes() for name in (CARD, CARD_HTML, SUMMARY) if (run / name).is_file()}
    return write_bundle(build_bundle(dataset, config, decision, documents).files, out)
