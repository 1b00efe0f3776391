"""results.json: the run's figures as plain JSON values (class labels as strings, no NaN)."""
from __future__ import annotations

import json
import math

import numpy as np

from core.decision import decision_record
from core.evaluation import HEADLINE, METRICS, headline_gain
from core.pipeline import ExperimentResult


def clean(value):
    """JSON-safe copy: numpy scalars to Python, NaN and infinity to None, keys to strings."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _arm_summary(summary) -> dict:
    """An arm's figures for results.json. Under 3 repeats there is no interval (`interval: false`); the contract's
    ci_low and ci_high then both hold the mean (a point, as for one split before), never a made-up width."""
    out = dict(vars(summary))
    has_interval = math.isfinite(summary.ci_low) and math.isfinite(summary.ci_high)
    if not has_interval:
        out["ci_low"] = out["ci_high"] = summary.mean
    out["interval"] = has_interval
    return out


def results_dict(result: ExperimentResult) -> dict:
    """The contract's keys (dataset, split, generation, evaluation, validation) plus config and timings."""
    profile, prepared, synthetic, comparison = result.profile, result.prepared, result.synthetic, result.comparison
    produced = synthetic.produced if synthetic is not None else {}
    after = {label: n + produced.get(label, 0) for label, n in prepared.train_class_counts.items()}
    out = {
        "dataset": {"name": prepared.dataset.name, "sha256": prepared.dataset.sha256, "rows": profile.n_rows,
                    "target": profile.target, "class_counts": profile.class_counts,
                    "minority_class": profile.minority_class, "minority_classes": profile.minority_classes,
                    "imbalance_ratio": profile.imbalance_ratio, "dropped_missing_labels":
                        prepared.dataset.dropped_missing_labels},
        "split": {"seed": prepared.split.seed, "test_size": prepared.split.test_size,
                  "repeats": comparison.repeats, "train_class_counts": prepared.split.train_class_counts,
                  "test_class_counts": prepared.split.test_class_counts,
                  "train_class_counts_after_cleaning": prepared.train_class_counts},
        "evaluation": {
            "classifier": comparison.classifier, "repeats": comparison.repeats,
            "arms": {arm: {m: _arm_summary(s) for m, s in metrics.items()} for arm, metrics in comparison.arms.items()},
            "differences": {name: {m: vars(d) for m, d in metrics.items()}
                            for name, metrics in comparison.differences.items()},
            "thresholds": [run["threshold_tuned"].threshold for run in result.runs],
            "tuned_thresholds": {arm: [run[arm].threshold for run in result.runs]
                                 for arm in result.runs[0] if arm.endswith("_tuned")},
            "subject": comparison.subject, "decision": comparison.decision.value,
            "interval": f"95%, {comparison.correction}, n_test/n_train = {comparison.test_train_ratio:.4f}",
            "confusion_matrices": {arm: run.confusion.to_dict(orient="index")
                                   for arm, run in result.runs[0].items()},
            "headline_metrics": list(HEADLINE), "metrics": list(METRICS),
            "target_minority_f1_gain": comparison.targets.minority_f1_gain,
            "headline_gain": headline_gain(comparison).to_dict(),  # the gain the pages and the card quote
            "verdict": comparison.verdict},
        "config": result.config.to_dict(),
        "seconds": result.seconds,
    }
    if synthetic is not None:
        out["generation"] = {
            "method": synthetic.method, "method_used": synthetic.method_used, "params": synthetic.params,
            "n_synthetic": synthetic.n_synthetic, "seconds": synthetic.seconds, "requested": synthetic.requested,
            "train_class_counts_after": after, "rejected_by_constraints": synthetic.rejected_by_constraints,
            "dropped_by_density": synthetic.dropped_by_density, "warnings": list(synthetic.warnings),
            "rules": list(result.config.rules),
            "privacy": synthetic.privacy.to_dict() if synthetic.privacy is not None else None}
    if result.validation is not None:
        out["validation"] = result.validation.to_dict()
    out["decision"] = decision_record(result).to_dict()  # the one record the card, Summary and Monitor render
    return clean(out)


def write_results(result: ExperimentResult, path) -> None:
    with open(path, "w") as handle:
        json.dump(results_dict(result), handle, indent=2)
