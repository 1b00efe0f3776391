"""The race in words: the explanation the Method page, `advise`, the card and Compare generators show, rendered from
the candidates' figures and the runner-up the race computed once (`core.race_rule.runner_up`)."""
from __future__ import annotations

from core.intervals import Difference, repeated_cv_ratio
from core.race_results import CandidateResult
from core.race_rule import RunnerUp, best_candidate, paired_folds
from core.strategies import NO_GENERATION, strategy_words


def _interval(low: float, high: float, clipped: bool, signed: bool) -> str:
    text = f"{low:+.3f} to {high:+.3f}" if signed else f"{low:.3f} to {high:.3f}"
    return f"corrected 95% CI {text}{', cut to the scale' if clipped else ''}"


def race_shape(folds: int, repeats: int) -> str:
    """'5 folds x 3 repeats', '5 folds x 1 repeat'."""
    return f"{folds} folds x {repeats} repeat{'' if repeats == 1 else 's'}"


def _versus(label: str, d: Difference) -> str:
    """'LABEL, +0.012 (corrected 95% CI ...)': the recommendation minus LABEL."""
    return f"{label}, {d.mean:+.3f} ({_interval(d.ci_low, d.ci_high, d.clipped, True)})"


def explain(chosen: str, candidates: list[CandidateResult], folds: int, train_rows: int,
            skipped: list[tuple[str, str]], repeats: int = 1, margin: float = 0.0,
            minority_rows: int | None = None, runner: RunnerUp | None = None) -> str:
    """The race in short sentences, rendered from the candidates' figures: what was measured, what was stopped,
    which mean was highest, why the recommendation is what it is, what a margin cost, and the runner-up (from
    `runner_up`, computed once by the race). One sign convention: every difference is the recommendation minus
    the other, in minority F1."""
    by_name = {c.name: c for c in candidates}
    ran = [c for c in candidates if c.ran]
    finished = [c for c in ran if not c.stopped]
    best, pick = best_candidate(finished), by_name[chosen]
    ratio = repeated_cv_ratio(folds)
    shape = race_shape(folds, repeats)
    text = [f"Measured on {shape} of your {train_rows:,} training rows. The test part was not touched.",
            f"{len(ran)} {'strategy' if len(ran) == 1 else 'strategies'} ran. Untuned ones use threshold 0.5. The "
            "others tune it on out-of-fold probabilities inside each fold's training rows."]
    stopped = [c for c in ran if c.stopped]
    if stopped:
        text.append(f"{len(stopped)} {'was' if len(stopped) == 1 else 'were'} stopped early, clearly behind the "
                    "leader (corrected interval of the difference wholly below 0): " + "; ".join(
                        f"{c.label} after repeat {c.stopped_after}" for c in stopped)
                    + ". Their figures cover the folds they ran.")
    text.append(f"Highest mean minority F1: {best.minority_f1.mean:.3f}, {best.label} "
                f"({_interval(best.minority_f1.ci_low, best.minority_f1.ci_high, best.minority_f1.clipped, False)}).")
    text.append(f"Recommended: {pick.label}. Rule: the highest mean minority F1 wins"
                + (f", with your margin of {margin:.3f} in favour of no synthetic rows." if margin > 0 else "."))
    if chosen != best.name:
        cost = best.minority_f1.mean - pick.minority_f1.mean
        text.append(f"{best.label} led by {cost:.3f}, within your margin. The margin cost {cost:.3f} minority F1 "
                    "on the folds.")
    if len(finished) > 1 or stopped:
        text.append("Differences below are the recommendation minus the other, in minority F1.")
    if runner is not None:
        text.append(f"Runner-up: {_versus(runner.label, runner.difference)}.")
        if runner.separated:
            text.append("The race separated the two.")
        else:
            rows = f"{minority_rows:,} minority rows and " if minority_rows else ""
            text.append(f"The race could not separate the two. With {rows}{shape}, the smallest difference it "
                        f"could detect is about {runner.detectable:.3f}.")
    generators_ran = [c for c in ran if c.name not in NO_GENERATION]
    plain_ran = [c for c in ran if c.name in NO_GENERATION]
    if chosen in NO_GENERATION and generators_ran:
        gen = best_candidate([c for c in generators_ran if not c.stopped] or generators_ran)
        d = paired_folds(pick, gen, ratio)
        text.append(f"Best generator: {_versus(gen.label, d)}.")
        text.append("It fell short beyond fold noise: do not generate." if d.ci_low > 0 else
                    "The race could not separate it. This is not evidence that generation cannot help.")
    elif chosen in NO_GENERATION:
        text.append("No generator was measured. This says nothing yet about synthetic rows.")
    elif plain_ran:
        plain = best_candidate([c for c in plain_ran if not c.stopped] or plain_ran)
        d = paired_folds(pick, plain, ratio)
        text.append(f"Best strategy without synthetic rows: {_versus(plain.label, d)}.")
        text.append("Generation leads beyond fold noise." if d.ci_low > 0 else
                    "The race could not separate this lead from fold noise.")
    if any(c.minority_f1.clipped for c in ran):
        text.append("Intervals are cut to the scale (F1 in [0, 1], differences in [-1, 1]).")
    fell_back = [c for c in ran if c.threshold_fallbacks]
    if fell_back:
        text.append("Kept the default threshold 0.5: " + "; ".join(
            f"{c.label} on {c.threshold_fallbacks} fold(s) ({c.threshold_fallback})" for c in fell_back) + ".")
    text.append(f"PR-AUC of the recommendation: {pick.pr_auc.mean:.3f}. Best: "
                f"{max(c.pr_auc.mean for c in finished):.3f}.")
    failed = [c for c in candidates if not c.ran]
    if failed:
        text.append("Could not run: " + "; ".join(f"{c.label} ({c.error})" for c in failed) + ".")
    if skipped:
        text.append("Left out: " + "; ".join(f"{strategy_words(n)} ({why})" for n, why in skipped) + ".")
    return " ".join(text)
