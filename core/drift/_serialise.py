"""drift.json: a DriftResult as plain JSON values (enums as their value, NaN as None)."""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np

from core.drift._results import DriftResult, FeatureDrift, Verdict
from core.drift._thresholds import REASONS


def drift_dict(result: DriftResult) -> dict:
    """The drift.json content: plain JSON values (enums as their value, NaN as None)."""
    def plain(value):
        if isinstance(value, Verdict):
            return value.value
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, (np.generic,)):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    def feature(f: FeatureDrift) -> dict:
        return {"column": f.column, "kind": f.kind, "psi": f.psi, "statistic": f.statistic_name,
                "value": f.statistic, "p_value": f.p_value, "p_adjusted": f.p_adjusted, "status": f.status,
                "status_text": f.status_text, "missing_reference": f.reference_missing, "missing_new": f.new_missing,
                "missing_p_value": f.missing_p_value, "missing_p_adjusted": f.missing_p_adjusted,
                "missing_status": f.missing_status, "unconfirmed": f.unconfirmed,
                "reference_rows": f.reference_rows, "new_rows": f.new_rows}
    schema = result.schema
    out = {
        "verdict": result.verdict, "batch": result.batch, "batch_sha256": result.batch_sha256,
        "reasons": list(result.reasons),
        "next_step": result.next_step, "reference": result.reference, "correction": result.correction,
        "reference_rows": result.reference_rows, "new_rows": result.new_rows,
        "label_free": result.label_free, "tests": result.tests, "per_test_alpha": result.per_test_alpha,
        "thresholds": {**asdict(result.thresholds)},
        "threshold_reasons": REASONS,
        "schema": {"missing_columns": list(schema.missing_columns), "extra_columns": list(schema.extra_columns),
                   "retyped": schema.retyped, "unseen_categories": schema.unseen_categories,
                   "target_present": schema.target_present, "messages": schema.messages,
                   "unchecked": schema.unchecked},
        "features": [feature(f) for f in result.features],
        "minority_features": [feature(f) for f in result.minority_features],
        "prior_shift": None if result.prior is None else asdict(result.prior),
        "concept": None if result.concept is None else {
            "model": result.concept.model, "test_rows": result.concept.test_rows,
            "new_rows": result.concept.new_rows, "threshold": result.concept.threshold,
            "decision": result.concept.decision, "metrics": [asdict(m) for m in result.concept.metrics]},
    }
    return plain(out)
