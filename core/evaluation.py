"""Baseline vs augmented, judged on the untouched test part, against strong references.

Arms (identical classifier and hyperparameters, preprocessing fitted on each arm's own training rows), each also
at a decision threshold tuned on out-of-fold probabilities over K folds of its own training part (never on test
rows), since that is the operating point a careful analyst would use: baseline / threshold_tuned (training rows),
class_weighted / class_weighted_tuned (balanced class weights), augmented / augmented_tuned (training + synthetic
rows; each inner fold's model makes its synthetic rows from that fold's fit rows only) and tstr (real majority +
synthetic minority rows; the key keeps the results.json contract's name). Intervals over repeated splits use the
corrected resampled t-test (Nadeau & Bengio 2003; `core/intervals.py`); thresholds are tuned by
`core/thresholds.py`; the page's curves, errors and fairness are in `core/diagnostics.py`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from core.errors import DataError, SynthBalanceError
from core.intervals import (
    CORRECTION,
    Difference,
    Summary,
    detectable_difference,
    metric_bounds,
    paired_difference,
    summarise,
)
from core.judgement import MIN_REPEATS, Judgement, Verdict, judge_gain, no_interval_text
from core.models import fit_strategy, make_strategy, strategy_proba
from core.split import ensure_not_held_out
from core.strategies import ARM_LABELS, REFERENCE_WORDS
from core.thresholds import ThresholdChoice, choose_threshold, decide

ARMS = ("baseline", "threshold_tuned", "class_weighted", "class_weighted_tuned", "augmented", "augmented_tuned",
        "tstr")
NO_SYNTHETIC_ARMS = ("baseline", "threshold_tuned", "class_weighted", "class_weighted_tuned")
TUNED_OF = {"baseline": "threshold_tuned", "class_weighted": "class_weighted_tuned", "augmented": "augmented_tuned"}
METRICS = ("minority_f1", "minority_precision", "minority_recall", "majority_f1", "majority_precision",
           "majority_recall", "accuracy", "balanced_accuracy", "mcc", "g_mean", "roc_auc", "pr_auc")
HEADLINE = ("minority_f1", "minority_precision", "minority_recall", "roc_auc", "pr_auc", "balanced_accuracy", "mcc")


@dataclass(frozen=True)
class ArmRun:
    """One arm on one split: metrics on the test rows, the confusion matrix (true rows x predicted columns),
    the decision threshold on P(minority) (binary; None for argmax), the minority scores, the class
    probabilities (test rows x classes), and seconds."""
    arm: str
    metrics: dict[str, float]
    confusion: pd.DataFrame
    threshold: float | None
    scores: np.ndarray
    predictions: np.ndarray
    seconds: float
    proba: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    threshold_fallback: str = ""  # why a tuned arm kept the default threshold ('' when it was tuned)


@dataclass(frozen=True)
class Targets:
    """The analyst's goal: minority F1 gain over the baseline (absolute)."""
    minority_f1_gain: float = 0.05


def confusion(truth: np.ndarray, predicted: np.ndarray, labels: list[str]) -> np.ndarray:
    """Counts (true rows x predicted columns, in `labels` order) by integer codes: sklearn's
    confusion_matrix on string labels spends most of its time sorting strings."""
    k = len(labels)
    true_codes = pd.Categorical(np.asarray(truth).astype(str), categories=labels).codes.astype(np.int64)
    predicted_codes = pd.Categorical(np.asarray(predicted).astype(str), categories=labels).codes.astype(np.int64)
    keep = (true_codes >= 0) & (predicted_codes >= 0)
    return np.bincount(true_codes[keep] * k + predicted_codes[keep], minlength=k * k).reshape(k, k)


def metric_values(y_true: np.ndarray, predicted: np.ndarray, proba: pd.DataFrame, minority: list[str],
                  majority: str) -> dict[str, float]:
    """Every metric of METRICS on one prediction set, equal to scikit-learn's (tested). Binary: the minority
    is the positive class; multi-class: minority_* are macro averages over the minority classes, roc_auc is
    one-vs-rest macro, pr_auc the mean average precision over the minority classes. Count-based metrics come
    from one confusion matrix C: precision_c = C[c,c] / column sum, recall_c = C[c,c] / row sum,
    MCC = (trace * n - sum(rows * columns)) / sqrt((n^2 - sum(columns^2)) (n^2 - sum(rows^2))),
    G-mean = geometric mean of the recalls of the classes present."""
    y_true = np.asarray(y_true).astype(str)
    labels = list(proba.columns)
    matrix = confusion(y_true, predicted, labels).astype(float)
    rows, columns, hits, n = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix), matrix.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(columns > 0, hits / columns, 0.0)
        recall = np.where(rows > 0, hits / rows, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    out = {}
    for side, classes in (("minority", minority), ("majority", [majority])):
        index = [labels.index(c) for c in classes]
        out[f"{side}_precision"] = float(precision[index].mean())
        out[f"{side}_recall"] = float(recall[index].mean())
        out[f"{side}_f1"] = float(f1[index].mean())
    present = rows > 0
    out["accuracy"] = float(hits.sum() / n)
    out["balanced_accuracy"] = float(recall[present].mean())
    denominator = np.sqrt((n ** 2 - (columns ** 2).sum()) * (n ** 2 - (rows ** 2).sum()))
    out["mcc"] = float((hits.sum() * n - (rows * columns).sum()) / denominator) if denominator > 0 else 0.0
    out["g_mean"] = float(np.prod(recall[present]) ** (1 / present.sum()))
    if len(labels) == 2:
        out["roc_auc"] = float(skm.roc_auc_score(y_true == minority[0], proba[minority[0]]))
    else:
        out["roc_auc"] = float(skm.roc_auc_score(y_true, proba[labels].to_numpy(), multi_class="ovr",
                                                 average="macro", labels=labels)) if present.all() else float("nan")
    out["pr_auc"] = float(np.mean([skm.average_precision_score(y_true == c, proba[c]) for c in minority]))
    return out


def scored(proba: pd.DataFrame, truth: np.ndarray, minority: list[str], majority: str,
           threshold: float | None) -> tuple[pd.DataFrame, np.ndarray, dict[str, float]]:
    """(probabilities with a 0 column for any class the model never saw, predicted labels at the threshold,
    METRICS) for one set of rows: what an arm on the test rows and a race candidate on a fold both report."""
    proba = proba.copy()
    for label in [*minority, majority]:
        if label not in proba.columns:
            proba[label] = 0.0
    predicted = decide(proba, minority, threshold)
    return proba, predicted, metric_values(truth, predicted, proba, minority, majority)


def _arm(arm: str, proba: pd.DataFrame, test: pd.DataFrame, target: str, minority: list[str], majority: str,
         threshold: float | None, seconds: float) -> ArmRun:
    truth = test[target].astype(str).to_numpy()
    proba, predicted, values = scored(proba, truth, minority, majority, threshold)
    labels = list(proba.columns)
    counts = pd.DataFrame(confusion(truth, predicted, labels), index=labels, columns=labels)
    return ArmRun(arm=arm, metrics=values, confusion=counts, threshold=threshold,
                  scores=proba[minority[0]].to_numpy(), predictions=predicted, seconds=seconds, proba=proba)


def run_arms(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame | None, target: str,
             features: list[str], kinds: dict[str, str], minority: list[str], majority: str,
             classifier: str = "logreg", seed: int = 42, sampler=None) -> dict[str, ArmRun]:
    """Fit every arm on its training rows and score it on the test rows (which no arm ever fits on).

    synthetic: the synthetic rows (None for a run without generation: only the four arms without synthetic rows).
    sampler: the GeneratorSampler that made them, configured as for the run; the augmented arm's threshold is
    tuned on out-of-fold probabilities of models that make their synthetic rows inside each inner fold. Without a
    sampler the augmented arm keeps argmax / 0.5 (no tuned threshold is claimed).
    """
    ensure_not_held_out(train, test)
    real = {"baseline": (train, None), "class_weighted": (train, "balanced")}
    training = dict(real)
    if synthetic is not None:
        # Synthetic rows get negative index labels, so no fitted row can be mistaken for a real (or test) row.
        synthetic = synthetic.drop(columns=["is_synthetic"], errors="ignore").set_axis(
            pd.RangeIndex(-len(synthetic), 0))
        made = set(synthetic[target].astype(str))
        real_without_minority = train.loc[~train[target].astype(str).isin(made)]
        training["augmented"] = (pd.concat([train, synthetic]), None)
        training["tstr"] = (pd.concat([real_without_minority, synthetic]), None)
    runs = {}
    for arm, (rows, weight) in training.items():
        if rows[target].nunique() < 2:
            raise DataError(f"The model '{ARM_LABELS[arm]}' has a single class to learn from; generate rows for "
                            "the minority.")
        started = time.perf_counter()
        model = fit_strategy(make_strategy(classifier, features, kinds, seed, weight), rows, target, features)
        proba = strategy_proba(model, test, features)
        runs[arm] = _arm(arm, proba, test, target, minority, majority, None, time.perf_counter() - started)
        if arm not in TUNED_OF:
            continue
        started = time.perf_counter()
        if arm == "augmented":
            choice = ThresholdChoice(None)
            if sampler is not None:
                try:
                    choice = choose_threshold(make_strategy(classifier, features, kinds, seed, None, sampler),
                                              train, target, features, minority, seed)
                except SynthBalanceError:  # e.g. the generator needs more rows than an inner fold holds
                    choice = ThresholdChoice(None)  # the tuned arm keeps 0.5 / argmax, and the verdict says so
        else:
            choice = choose_threshold(make_strategy(classifier, features, kinds, seed, weight), train, target,
                                      features, minority, seed)
        tuned_run = _arm(TUNED_OF[arm], proba, test, target, minority, majority, choice.threshold,
                         runs[arm].seconds + time.perf_counter() - started)
        runs[TUNED_OF[arm]] = replace(tuned_run, threshold_fallback=choice.fallback)
    order = ARMS if synthetic is not None else NO_SYNTHETIC_ARMS
    return {arm: runs[arm] for arm in order}


class Decision(str, Enum):
    """The comparison's decision (the verdict of `core.judgement` on the headline gain, or no generation); pages
    choose colours from it, the text comes with it."""
    EARNED = "earned"
    CANNOT_TELL = "cannot_tell"
    NOT_EARNED = "cannot_tell"  # the old name of CANNOT_TELL (an alias: the same member)
    WORSE = "worse"
    NO_GENERATION = "no_generation"

    @property
    def words(self) -> str:
        return "no synthetic rows" if self is Decision.NO_GENERATION else Verdict(self.value).words


@dataclass(frozen=True)
class Comparison:
    """Per arm and metric the Summary; per compared pair ('<arm>_vs_<reference>') and metric the paired
    Difference; the decision and its text. subject: the arm being judged (augmented_tuned for a generator,
    threshold_tuned or class_weighted_tuned for a run without generation). test_train_ratio: n_test / n_train of
    the repeated splits, the correction's factor. Intervals are cut to each metric's scale (`metric_bounds`) and
    absent (nan) under MIN_REPEATS repeats."""
    classifier: str
    repeats: int
    arms: dict[str, dict[str, Summary]]
    differences: dict[str, dict[str, Difference]]
    verdict: str
    targets: Targets
    decision: Decision = Decision.CANNOT_TELL
    subject: str = "augmented_tuned"
    test_train_ratio: float = 0.0
    correction: str = CORRECTION

    @property
    def primary(self) -> tuple[str, ...]:
        """The differences a reference is chosen from: the subject against each arm without synthetic rows at
        its tuned threshold."""
        return tuple(name for name in self.differences if name.startswith(f"{self.subject}_vs_")
                     and name.endswith("_tuned"))


def pairs_for(subject: str) -> list[tuple[str, str]]:
    """(arm, reference) pairs compared: the subject against every arm without synthetic rows (at tuned
    thresholds first), then, for a generator, the untuned secondary view."""
    if subject == "augmented_tuned":
        return [("augmented_tuned", "threshold_tuned"), ("augmented_tuned", "class_weighted_tuned"),
                ("augmented", "baseline"), ("augmented", "class_weighted"), ("augmented", "threshold_tuned"),
                ("augmented_tuned", "baseline"), ("augmented_tuned", "class_weighted")]
    tuned_first = ("threshold_tuned", "class_weighted_tuned", "baseline", "class_weighted")
    return [(subject, reference) for reference in tuned_first if reference != subject]


def _without_interval(summary, repeats: int):
    """The same summary or difference with no interval (nan) under MIN_REPEATS repeats."""
    if repeats >= MIN_REPEATS:
        return summary
    changes = {"ci_low": float("nan"), "ci_high": float("nan"), "clipped": False}
    if isinstance(summary, Difference):
        changes["p_value"] = None
    return replace(summary, **changes)


def compare(runs: list[dict[str, ArmRun]], classifier: str, targets: Targets = Targets(),
            test_train_ratio: float = 0.0, subject: str = "augmented_tuned") -> Comparison:
    """Summaries over repeats and paired differences of the subject against each reference arm, with the
    corrected resampled t-test for splits whose test part is `test_train_ratio` x the training part; intervals
    cut to the metric's scale, none under MIN_REPEATS repeats."""
    present = [arm for arm in ARMS if arm in runs[0]]
    repeats = len(runs)
    arms = {arm: {m: _without_interval(summarise([r[arm].metrics[m] for r in runs], test_train_ratio,
                                                 metric_bounds(m)), repeats) for m in METRICS}
            for arm in present}
    differences = {f"{a}_vs_{b}": {m: _without_interval(paired_difference(
        [r[a].metrics[m] for r in runs], [r[b].metrics[m] for r in runs], test_train_ratio,
        metric_bounds(m, difference=True)), repeats) for m in METRICS}
        for a, b in pairs_for(subject) if a in runs[0] and b in runs[0]}
    decision, text = judge(arms, differences, repeats, targets, subject, test_train_ratio)
    binary = any(r["threshold_tuned"].threshold is not None for r in runs)
    untuned = sum(1 for r in runs if "augmented_tuned" in r and r["augmented_tuned"].threshold is None)
    if binary and untuned:
        text += (f" On {untuned} of {len(runs)} split(s) the augmented model's threshold could not be tuned (the "
                 "generator could not run on an inner fold of the training rows), so its 'tuned' figures "
                 "there use 0.5.")
    fallbacks = sorted({(arm, r[arm].threshold_fallback) for r in runs for arm in r if r[arm].threshold_fallback})
    for arm, why in fallbacks:
        count = sum(1 for r in runs if arm in r and r[arm].threshold_fallback == why)
        text += f" On {count} of {len(runs)} split(s) '{ARM_LABELS[arm]}' kept the default threshold 0.5: {why}."
    return Comparison(classifier=classifier, repeats=repeats, arms=arms, differences=differences, verdict=text,
                      targets=targets, decision=decision, subject=subject, test_train_ratio=test_train_ratio)


def pair_arms(name: str) -> tuple[str, str]:
    """(arm, reference) of a difference's key in Comparison.differences ('<arm>_vs_<reference>')."""
    arm, _, reference = name.partition("_vs_")
    return arm, reference


def best_reference(arms: dict, subject: str) -> str:
    """The reference every verdict is judged against: the arm without synthetic rows, at its tuned threshold,
    with the highest test-part mean minority F1 (the first in NO_SYNTHETIC_ARMS order on a tie), other than the
    subject itself. For the untuned baseline as subject, the tuned arms."""
    candidates = [a for a in NO_SYNTHETIC_ARMS if a.endswith("_tuned") and a != subject and a in arms]
    return max(candidates, key=lambda a: (arms[a]["minority_f1"].mean, -candidates.index(a)))


def reference_difference(comparison: Comparison, metric: str, reference: str | None = None) -> Difference:
    """The subject's difference on `metric` against `reference` (default: `best_reference`, the one reference
    every figure is quoted against)."""
    reference = reference or best_reference(comparison.arms, comparison.subject)
    return comparison.differences[f"{comparison.subject}_vs_{reference}"][metric]


def conservative_gain(comparison: Comparison, metric: str) -> Difference:
    """The subject's gain on `metric` over the best option without synthetic rows (`best_reference`)."""
    return reference_difference(comparison, metric)


def judgement_of(difference: Difference, target: float, repeats: int, per_repeat: list[float] | None = None,
                 test_train_ratio: float = 0.0) -> Judgement:
    """`core.judgement.judge_gain` on a Difference (the smallest detectable difference from its per-repeat
    values when given)."""
    detectable = (detectable_difference(per_repeat, test_train_ratio) if per_repeat is not None
                  and len(per_repeat) >= MIN_REPEATS else None)
    low, high = (None, None) if np.isnan(difference.ci_low) else (difference.ci_low, difference.ci_high)
    return judge_gain(difference.mean, low, high, target, repeats, detectable, difference.clipped)


@dataclass(frozen=True)
class HeadlineGain:
    """The one minority-F1 gain every page, the model card and results.json quote: the subject at its tuned
    threshold against the best option without synthetic rows (`best_reference`), with its verdict by the one
    rule (`core.judgement.judge_gain`)."""
    subject: str
    reference: str
    gain: Difference
    target: float
    repeats: int
    judgement: Judgement

    @property
    def met(self) -> bool:
        """The verdict is earned."""
        return self.judgement.earned

    @property
    def verdict(self) -> Verdict:
        return self.judgement.verdict

    @property
    def reference_words(self) -> str:
        """e.g. 'class weights with a tuned threshold, the best option without synthetic rows'."""
        best = "the best option" if self.subject == "augmented_tuned" else "the best other option"
        return f"{REFERENCE_WORDS.get(self.reference, self.reference)}, {best} without synthetic rows"

    @property
    def text(self) -> str:
        """'+0.012 against class weights ..., the best option without synthetic rows (corrected 95% CI ...)'."""
        return f"{self.gain.mean:+.3f} against {self.reference_words} ({self.judgement.interval_text})"

    def to_dict(self) -> dict:
        return {"subject": self.subject, "reference": self.reference, "reference_words": self.reference_words,
                "gain": self.gain.mean, "ci_low": self.gain.ci_low, "ci_high": self.gain.ci_high,
                "target": self.target, "met": self.met, "verdict": self.verdict.value,
                "verdict_words": self.verdict.words, "judgement": self.judgement.to_dict()}


def _headline(arms: dict, differences: dict, subject: str, repeats: int, target: float,
              test_train_ratio: float = 0.0) -> HeadlineGain:
    reference = best_reference(arms, subject)
    gain = differences[f"{subject}_vs_{reference}"]["minority_f1"]
    per_repeat = list(np.subtract(arms[subject]["minority_f1"].values, arms[reference]["minority_f1"].values))
    return HeadlineGain(subject, reference, gain, target, repeats,
                        judgement_of(gain, target, repeats, per_repeat, test_train_ratio))


def headline_gain(comparison: Comparison) -> HeadlineGain:
    """The comparison's headline gain (computed here once; pages, card and results.json quote it)."""
    return _headline(comparison.arms, comparison.differences, comparison.subject, comparison.repeats,
                     comparison.targets.minority_f1_gain, comparison.test_train_ratio)


def secondary_judgements(comparison: Comparison) -> list[tuple[str, Judgement]]:
    """(reference, verdict) of the subject's minority-F1 difference against every other arm without synthetic
    rows, in the same words as the headline (the secondary lines)."""
    headline = headline_gain(comparison)
    out = []
    for name, metrics in comparison.differences.items():
        arm, reference = pair_arms(name)
        if arm != comparison.subject or reference == headline.reference or reference not in NO_SYNTHETIC_ARMS:
            continue
        per_repeat = list(np.subtract(comparison.arms[arm]["minority_f1"].values,
                                      comparison.arms[reference]["minority_f1"].values))
        out.append((reference, judgement_of(metrics["minority_f1"], comparison.targets.minority_f1_gain,
                                            comparison.repeats, per_repeat, comparison.test_train_ratio)))
    return out


def real_gain(difference: Difference, repeats: int) -> bool:
    """A gain that holds up: at least MIN_REPEATS repeats and the corrected 95% interval lies above 0."""
    return repeats >= MIN_REPEATS and not np.isnan(difference.ci_low) and difference.ci_low > 0


def interval_text(summary, repeats: int) -> str:
    """'corrected 95% CI +0.1 to +0.3' (noting a cut to the scale), or why there is no interval."""
    if repeats < MIN_REPEATS or np.isnan(summary.ci_low):
        return no_interval_text(repeats)
    cut = ", cut to the metric's scale" if summary.clipped else ""
    return f"corrected 95% CI {summary.ci_low:+.3f} to {summary.ci_high:+.3f}{cut}"


def _ci(d: Difference, repeats: int = MIN_REPEATS) -> str:
    return interval_text(d, repeats) if not np.isnan(d.ci_low) else f"no interval under {MIN_REPEATS} repeats"


def judge(arms: dict, differences: dict, repeats: int, targets: Targets, subject: str = "augmented_tuned",
          test_train_ratio: float = 0.0) -> tuple[Decision, str]:
    """The decision and its plain-English text, by the one rule (`core.judgement.judge_gain`) on the headline
    gain: the subject at its tuned threshold against the best option without synthetic rows (`best_reference`).
    The other references are secondary lines in the same words; PR-AUC is quoted against the same reference.
    "Most of the gain is a threshold shift" only when the untuned gain is real and the tuned one is not earned.
    """
    headline = _headline(arms, differences, subject, repeats, targets.minority_f1_gain, test_train_ratio)
    judgement = headline.judgement
    subject_f1 = arms[subject]["minority_f1"].mean
    reference_f1 = arms[headline.reference]["minority_f1"].mean
    pr = differences[f"{subject}_vs_{headline.reference}"]["pr_auc"]
    generated = subject == "augmented_tuned"
    if generated:
        lines = [f"At each model's own tuned threshold, minority F1 is {subject_f1:.3f} with synthetic rows against "
                 f"{reference_f1:.3f} with {headline.reference_words}: a gain of {headline.gain.mean:+.3f} "
                 f"({judgement.interval_text}). The target of {targets.minority_f1_gain:+.2f} is "
                 f"{'met' if judgement.earned else 'not met'}."]
    else:
        lines = [f"No synthetic rows: {ARM_LABELS[subject]} reaches minority F1 {subject_f1:.3f} against "
                 f"{reference_f1:.3f} with {headline.reference_words}: {headline.gain.mean:+.3f} "
                 f"({judgement.interval_text}): {judgement.verdict.words} ({judgement.reason})."]
    if generated:
        raw = differences["augmented_vs_baseline"]["minority_f1"]
        if real_gain(raw, repeats) and raw.mean > 0 and not judgement.earned:
            lines.append(f"Most of the gain is a threshold shift: untuned, the synthetic rows lift minority F1 by "
                         f"{raw.mean:+.3f} ({_ci(raw)}), but at tuned thresholds the gain is not earned.")
    lines.append(f"PR-AUC, which no threshold can move, changed by {pr.mean:+.3f} against the same reference "
                 f"({_ci(pr)}).")
    comparison_stub = Comparison(classifier="", repeats=repeats, arms=arms, differences=differences, verdict="",
                                 targets=targets, subject=subject, test_train_ratio=test_train_ratio)
    for reference, other in secondary_judgements(comparison_stub):
        lines.append(f"Also against {REFERENCE_WORDS.get(reference, reference)}: {other.mean:+.3f}"
                     + (f" ({other.interval_text})" if other.has_interval else "") + f": {other.verdict.words}.")
    if generated:
        decision = Decision(judgement.verdict.value)
        lines.append(f"Verdict: {judgement.verdict.words}: {judgement.reason}.")
    else:
        decision = Decision.NO_GENERATION
    if repeats < MIN_REPEATS:
        lines.append(f"{no_interval_text(repeats)} Run {MIN_REPEATS} or more repeats (5 recommended) before "
                     "deciding.")
    return decision, " ".join(lines)


