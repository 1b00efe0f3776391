"""The decision on synthetic rows: approved, requires refinement, or rejected, each failed check named.

Each check has a 'refine' and a 'reject' threshold. Defaults and why:
- quality score below 0.8 refine / 0.6 reject: SDMetrics reports read 0.8+ as good shape and pair fidelity.
- detection AUC above 0.80 refine / 0.95 reject: a simple model that almost always spots synthetic rows
  means they sit off the real distribution.
- exact copies above 5% refine / 50% reject: copies add no information and leak real records.
- near copies above 20% refine / 50% reject: closer to a training row than 95% of real rows are to theirs.
- DCR share vs holdout above 0.65 refine / 0.80 reject: 0.5 means synthetic rows are no closer to training
  rows than to unseen rows; near 1 is memorization.
- precision below 0.5 refine / 0.2 reject: most synthetic rows should fall inside the real minority's region.
- class representation below 0.5 refine / 0.2 reject: the real-data model should see them as the class.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

APPROVED, REFINE, REJECTED = "approved", "requires_refinement", "rejected"


@dataclass(frozen=True)
class Thresholds:
    """(refine, reject) limits per check; 'max' checks fail above, 'min' checks below."""
    quality_score: tuple[float, float] = (0.8, 0.6)
    detection_auc: tuple[float, float] = (0.80, 0.95)
    exact_copy_share: tuple[float, float] = (0.05, 0.5)
    near_copy_share: tuple[float, float] = (0.20, 0.5)
    dcr_share_vs_holdout: tuple[float, float] = (0.65, 0.80)
    precision: tuple[float, float] = (0.5, 0.2)
    class_representation: tuple[float, float] = (0.5, 0.2)


LOWER_IS_BETTER = {"detection_auc", "exact_copy_share", "near_copy_share", "dcr_share_vs_holdout"}
NAMES = {"quality_score": "quality score", "detection_auc": "detection AUC", "exact_copy_share": "exact copies",
         "near_copy_share": "near copies", "dcr_share_vs_holdout": "DCR share vs holdout",
         "precision": "precision (realism)", "class_representation": "class representation"}


@dataclass(frozen=True)
class Check:
    """One check's value, limits and outcome ('pass', 'refine' or 'reject')."""
    name: str
    value: float | None
    refine_at: float
    reject_at: float
    outcome: str
    message: str


@dataclass(frozen=True)
class Verdict:
    decision: str
    checks: tuple[Check, ...]

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if c.outcome != "pass"]


def judge(values: dict[str, float | None], thresholds: Thresholds = Thresholds()) -> Verdict:
    """Apply the thresholds to the measured values (a None value is skipped and passes)."""
    checks = []
    for field in fields(thresholds):
        refine_at, reject_at = getattr(thresholds, field.name)
        value = values.get(field.name)
        label = NAMES[field.name]
        if value is None:
            checks.append(Check(field.name, None, refine_at, reject_at, "pass", f"{label}: not measured"))
            continue
        worse = (lambda v, t: v > t) if field.name in LOWER_IS_BETTER else (lambda v, t: v < t)
        outcome = "reject" if worse(value, reject_at) else "refine" if worse(value, refine_at) else "pass"
        side = "above" if field.name in LOWER_IS_BETTER else "below"
        limit = reject_at if outcome == "reject" else refine_at
        message = (f"{label} {value:.3g} is {side} {limit:g}" if outcome != "pass"
                   else f"{label} {value:.3g} is within limits")
        checks.append(Check(field.name, value, refine_at, reject_at, outcome, message))
    outcomes = {c.outcome for c in checks}
    decision = REJECTED if "reject" in outcomes else REFINE if "refine" in outcomes else APPROVED
    return Verdict(decision, tuple(checks))
