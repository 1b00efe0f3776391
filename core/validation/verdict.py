"""The decision on synthetic rows: approved, not fully measured, requires refinement, or rejected, each failed
check named. A check that could not be measured (None, NaN, too few rows) is "not measured" and never a pass.

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

import math
from dataclasses import dataclass, fields
from enum import Enum


class Decision(str, Enum):
    """The verdict on synthetic rows. A str enum, so it serialises as its value; pages pick colours from it."""
    APPROVED = "approved"
    INCOMPLETE = "not_fully_measured"  # no measured check failed, but some could not be measured
    REFINE = "requires_refinement"
    REJECTED = "rejected"

    @property
    def text(self) -> str:
        return {"approved": "Approved", "not_fully_measured": "Not fully measured",
                "requires_refinement": "Requires refinement", "rejected": "Rejected"}[self.value]


class Outcome(str, Enum):
    """One check's outcome. NOT_MEASURED (None, NaN, too few rows) is never a pass."""
    PASS = "pass"
    REFINE = "refine"
    REJECT = "reject"
    NOT_MEASURED = "not_measured"

    @property
    def text(self) -> str:
        return {"pass": "pass", "refine": "refine", "reject": "reject", "not_measured": "not measured"}[self.value]


APPROVED, INCOMPLETE, REFINE, REJECTED = Decision.APPROVED, Decision.INCOMPLETE, Decision.REFINE, Decision.REJECTED
# The decision's words and colours, one copy: the pages (pages/_palette.py) and the Summary card read them.
VALIDATION_LABELS = {APPROVED: "Approved", INCOMPLETE: "Not fully measured", REFINE: "Requires refinement",
                     REJECTED: "Rejected"}
VALIDATION_COLOURS = {APPROVED: "#2e7d4f", INCOMPLETE: "#5b7083", REFINE: "#d08a1e", REJECTED: "#c0392b"}


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

    def to_dict(self) -> dict[str, list[float]]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}


def thresholds_from_dict(data: dict | None) -> Thresholds:
    """Thresholds from their JSON form (lists become tuples); missing checks keep their defaults."""
    return Thresholds(**{k: tuple(float(x) for x in v) for k, v in (data or {}).items()})


LOWER_IS_BETTER = {"detection_auc", "exact_copy_share", "near_copy_share", "dcr_share_vs_holdout"}
NAMES = {"quality_score": "quality score", "detection_auc": "detection AUC", "exact_copy_share": "exact copies",
         "near_copy_share": "near copies", "dcr_share_vs_holdout": "DCR share vs holdout",
         "precision": "precision (realism)", "class_representation": "class representation"}


@dataclass(frozen=True)
class Check:
    """One check's value, limits and outcome; value is None when it could not be measured."""
    name: str
    value: float | None
    refine_at: float
    reject_at: float
    outcome: Outcome
    message: str


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    checks: tuple[Check, ...]

    @property
    def failed_checks(self) -> list[str]:
        """Checks that refine or reject (unmeasured ones are listed apart, in `unmeasured_checks`)."""
        return [c.name for c in self.checks if c.outcome in (Outcome.REFINE, Outcome.REJECT)]

    @property
    def unmeasured_checks(self) -> list[str]:
        return [c.name for c in self.checks if c.outcome is Outcome.NOT_MEASURED]

    @property
    def text(self) -> str:
        """One sentence: the decision, then every failed check, then what was not measured."""
        failed = [c.message for c in self.checks if c.outcome in (Outcome.REFINE, Outcome.REJECT)]
        unmeasured = [NAMES.get(c.name, c.name) for c in self.checks if c.outcome is Outcome.NOT_MEASURED]
        parts = ["; ".join(failed) + "." if failed else ("Every check is within its limits." if not unmeasured
                                                         else "Every measured check is within its limits.")]
        if unmeasured:
            parts.append(f"Not measured (not counted as passed): {', '.join(unmeasured)}.")
        return f"Verdict: {self.decision.text}. " + " ".join(parts)


def _measured(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def judge(values: dict[str, float | None], thresholds: Thresholds = Thresholds()) -> Verdict:
    """Apply the thresholds to the measured values. A value that is None or NaN is 'not measured': it never
    passes, and a verdict with no failed check but an unmeasured one is INCOMPLETE, not APPROVED."""
    checks = []
    for field in fields(thresholds):
        refine_at, reject_at = getattr(thresholds, field.name)
        value = values.get(field.name)
        label = NAMES[field.name]
        if not _measured(value):
            checks.append(Check(field.name, None, refine_at, reject_at, Outcome.NOT_MEASURED,
                                f"{label}: not measured"))
            continue
        worse = (lambda v, t: v > t) if field.name in LOWER_IS_BETTER else (lambda v, t: v < t)
        outcome = (Outcome.REJECT if worse(value, reject_at) else Outcome.REFINE if worse(value, refine_at)
                   else Outcome.PASS)
        side = "above" if field.name in LOWER_IS_BETTER else "below"
        limit = reject_at if outcome is Outcome.REJECT else refine_at
        message = (f"{label} {value:.3g} is {side} {limit:g}" if outcome is not Outcome.PASS
                   else f"{label} {value:.3g} is within limits")
        checks.append(Check(field.name, float(value), refine_at, reject_at, outcome, message))
    outcomes = {c.outcome for c in checks}
    decision = (REJECTED if Outcome.REJECT in outcomes else REFINE if Outcome.REFINE in outcomes
                else INCOMPLETE if Outcome.NOT_MEASURED in outcomes else APPROVED)
    return Verdict(decision, tuple(checks))
