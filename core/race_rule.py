"""The race's rule, from the candidates' fold figures: the highest mean minority F1 wins (the analyst's margin in
favour of no synthetic rows aside), the runner-up and what the folds could detect, and which candidates to stop
after a repeat. Every difference is paired fold by fold and judged with the race's corrected interval
(Bouckaert & Frank 2004, `core/intervals.py`)."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.errors import ConfigError, DataError
from core.intervals import Difference, corrected_interval, detectable_difference, paired_difference, repeated_cv_ratio
from core.race_results import CandidateResult
from core.strategies import NO_GENERATION, display_order

F1_BOUNDS = (0.0, 1.0)
DIFFERENCE_BOUNDS = (-1.0, 1.0)


def best_candidate(candidates: list[CandidateResult]) -> CandidateResult:
    """The highest mean minority F1 (a tie goes to the earlier one in display order)."""
    return max(candidates, key=lambda c: (c.minority_f1.mean, -display_order(c.name)))


def paired_folds(a: CandidateResult, b: CandidateResult, ratio: float) -> Difference:
    """a minus b, fold by fold, over the folds both ran (a stopped candidate ran the first repeats only)."""
    shared = min(len(a.minority_f1.values), len(b.minority_f1.values))
    return paired_difference(a.minority_f1.values[:shared], b.minority_f1.values[:shared], ratio, DIFFERENCE_BOUNDS)


@dataclass(frozen=True)
class RunnerUp:
    """The closest other candidate that ran every repeat: the recommendation minus it (minority F1, corrected
    interval) and the smallest difference these folds could tell from 0."""
    name: str
    label: str
    difference: Difference
    detectable: float

    @property
    def separated(self) -> bool:
        return self.difference.ci_low > 0 or self.difference.ci_high < 0


def runner_up(chosen: str, candidates: list[CandidateResult], folds: int) -> RunnerUp | None:
    """The runner-up of `chosen` among the candidates that ran every repeat (None when there is none)."""
    by_name = {c.name: c for c in candidates}
    others = [c for c in candidates if c.ran and not c.stopped and c.name != chosen]
    if not others:
        return None
    runner, pick, ratio = best_candidate(others), by_name[chosen], repeated_cv_ratio(folds)
    differences = list(np.subtract(pick.minority_f1.values, runner.minority_f1.values))
    return RunnerUp(runner.name, runner.label, paired_folds(pick, runner, ratio),
                    detectable_difference(differences, ratio))


def _leader(fold_f1: dict[str, list[float]]) -> str:
    """The highest mean over these folds (a tie goes to the earlier one in display order, as `best_candidate`)."""
    return max(fold_f1, key=lambda n: (float(np.mean(fold_f1[n])), -display_order(n)))


def clearly_behind(fold_f1: dict[str, list[float]], folds: int, level: float = 0.95) -> list[str]:
    """The candidates to stop after a repeat: those whose corrected interval for the difference to the leader
    (the highest mean over the same folds) lies wholly below 0.

    fold_f1: {candidate: minority F1 per fold, in fold order, the completed repeats only (K x j values)}. The
    interval is Bouckaert & Frank's corrected repeated k-fold one (variance x (1/(K j) + 1/(K - 1)), K j - 1
    degrees of freedom), the race's own. Only completed repeats enter, so the result does not depend on which
    fold finished first: the same folds give the same stops for any n_jobs or on a cluster.
    """
    if len(fold_f1) < 2:
        return []
    ratio = repeated_cv_ratio(folds)
    leader = _leader(fold_f1)
    behind = []
    for name, values in fold_f1.items():
        if name == leader:
            continue
        _, _, high, _ = corrected_interval(list(np.subtract(values, fold_f1[leader])), ratio, level)
        if high < 0:
            behind.append(name)
    return sorted(behind, key=display_order)


def recommend(candidates: list[CandidateResult], folds: int, margin: float = 0.0,
              test_train_ratio: float | None = None) -> tuple[str, list[CandidateResult]]:
    """(the recommendation, candidates with `vs_best` filled).

    The rule: the highest mean minority F1 over the folds wins, generators and strategies without synthetic rows
    alike, among the candidates still running at the end (a candidate stopped as clearly behind does not win).
    With a margin (the analyst's setting, in minority F1, default 0) the best strategy without synthetic
    rows is kept unless the best generator leads it by more than the margin. Intervals do not decide: "could not
    tell apart" is not "as good".
    """
    ran = [c for c in candidates if c.ran]
    if not ran:
        raise DataError("No candidate strategy could be measured on these rows; see each candidate's error.")
    if margin < 0:
        raise ConfigError(f"The margin is a minority F1 difference of 0 or more; got {margin}.")
    ratio = repeated_cv_ratio(folds) if test_train_ratio is None else test_train_ratio
    finished = [c for c in ran if not c.stopped]
    best = best_candidate(finished)
    filled = []
    for c in candidates:
        if c.ran and c.name != best.name:
            c = replace(c, vs_best=paired_folds(c, best, ratio))
        filled.append(c)
    chosen = best
    plain = [c for c in finished if c.name in NO_GENERATION]
    generators = [c for c in finished if c.name not in NO_GENERATION]
    if margin > 0 and plain and generators and best.name not in NO_GENERATION:
        kept = best_candidate(plain)
        if best.minority_f1.mean - kept.minority_f1.mean <= margin:
            chosen = kept
    return chosen.name, filled
