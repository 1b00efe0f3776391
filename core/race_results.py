"""What the race returns: one fold's score, each candidate's figures over its folds, and the race as a whole
(serialised by `advise --json`, kept in the decision record). Plain frozen values, shared by the race, its rule
and its words."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.intervals import Difference, Summary
from core.strategies import UNTUNED


@dataclass(frozen=True)
class FoldScore:
    """One candidate on one fold: minority F1 and PR-AUC on the fold's validation rows at its threshold (0.5
    for an untuned candidate; tuned on the fold's training rows otherwise), and why a tuned one kept 0.5."""
    candidate: str
    fold: int
    minority_f1: float
    pr_auc: float
    threshold: float | None
    seconds: float
    error: str = ""
    threshold_fallback: str = ""


@dataclass(frozen=True)
class CandidateResult:
    """A candidate over the folds: Summaries with corrected intervals (F1 cut to [0, 1]), seconds spent (all
    folds), the thresholds per fold, its paired difference to the highest mean (minority F1, None for that
    candidate itself), the error that stopped it ('' when it ran), on how many folds a tuned threshold fell back to
    0.5 (with the first reason), and the repeat after which the adaptive race stopped it (0: it ran every repeat;
    a stopped candidate's figures cover the folds it ran, its `vs_best` those same folds)."""
    name: str
    label: str
    kind: str
    minority_f1: Summary | None
    pr_auc: Summary | None
    seconds: float
    thresholds: tuple[float | None, ...] = ()
    vs_best: Difference | None = None
    error: str = ""
    threshold_fallbacks: int = 0
    threshold_fallback: str = ""
    stopped_after: int = 0  # the repeat after which the adaptive race stopped it as clearly behind (0: not stopped)

    @property
    def ran(self) -> bool:
        return not self.error

    @property
    def stopped(self) -> bool:
        return bool(self.stopped_after)

    @property
    def note(self) -> str:
        """What the race table says beside the figures: the error, or when the candidate was stopped."""
        if self.error:
            return self.error
        if self.stopped:
            return (f"stopped after repeat {self.stopped_after}: clearly behind the leader; figures over "
                    f"{len(self.minority_f1.values)} folds")
        return ""

    @property
    def tuned(self) -> bool:
        return self.name not in UNTUNED


@dataclass(frozen=True)
class RaceResult:
    """The race: the recommended strategy, its kind ('no_generation' or 'generator'), every candidate, the
    candidates left out with the reason, the plain-English explanation (rendered from these fields), and the
    settings it ran under (folds x repeats). best: the highest mean; margin and margin_cost: the analyst's margin
    in favour of no synthetic rows and the minority F1 it cost on the folds (0 when it changed nothing);
    runner_up, vs_runner_up, separated: the closest other candidate that ran every repeat, the recommendation minus
    it, and whether its interval excludes 0; detectable_difference: the smallest difference these folds could tell
    from 0. adaptive: candidates clearly behind after a repeat were stopped (`clearly_behind`); `stopped` lists
    them with that repeat."""
    recommended: str
    kind: str
    candidates: tuple[CandidateResult, ...]
    skipped: tuple[tuple[str, str], ...]
    explanation: str
    classifier: str
    folds: int
    seed: int
    test_size: float
    train_rows: int
    seconds: float
    estimated_seconds: float
    correction: str = field(default="corrected repeated k-fold test (Bouckaert & Frank 2004)")
    repeats: int = 1
    best: str = ""
    margin: float = 0.0
    margin_cost: float = 0.0
    runner_up: str | None = None
    vs_runner_up: Difference | None = None
    separated: bool = False
    detectable_difference: float = float("nan")
    minority_rows: int = 0
    adaptive: bool = True

    @property
    def stopped(self) -> tuple[tuple[str, int], ...]:
        """(candidate, the repeat after which it was stopped as clearly behind) for each stopped candidate."""
        return tuple((c.name, c.stopped_after) for c in self.candidates if c.stopped)

    def to_dict(self) -> dict:
        """The `advise --json` schema."""
        def summary(s: Summary | None) -> dict | None:
            return None if s is None else {"mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high,
                                           "clipped": s.clipped}
        return {"recommended": self.recommended, "kind": self.kind,
                "candidates": [{"name": c.name, "label": c.label, "kind": c.kind, "tuned_threshold": c.tuned,
                                "minority_f1": summary(c.minority_f1), "pr_auc": summary(c.pr_auc),
                                "seconds": c.seconds, "threshold_fallbacks": c.threshold_fallbacks,
                                "stopped_after_repeat": c.stopped_after or None,
                                "folds_run": len(c.minority_f1.values) if c.ran else 0,
                                "error": c.error or None} for c in self.candidates],
                "skipped": [{"name": n, "reason": r} for n, r in self.skipped],
                "explanation": self.explanation, "classifier": self.classifier, "folds": self.folds,
                "repeats": self.repeats, "seed": self.seed, "test_size": self.test_size,
                "interval": self.correction, "adaptive": self.adaptive,
                "rule": "highest mean minority F1", "best": self.best,
                "margin": self.margin, "margin_cost": self.margin_cost, "runner_up": self.runner_up,
                "separated": self.separated, "detectable_difference": self.detectable_difference}
