"""Baseline vs augmented, judged on the untouched test part, against strong references.

Arms (identical classifier and hyperparameters, preprocessing fitted on each arm's own training rows):
baseline (training rows), class_weighted (balanced class weights), threshold_tuned (baseline model with the
decision threshold chosen on a stratified validation part of the training rows), augmented (training +
synthetic rows) and tstr (real majority + synthetic minority: train on synthetic, test on real).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm
from sklearn.model_selection import train_test_split

from core.errors import DataError
from core.models import fit_classifier, make_classifier, predict_proba
from core.split import ensure_not_held_out

ARMS = ("baseline", "class_weighted", "threshold_tuned", "augmented", "tstr")
METRICS = ("minority_f1", "minority_precision", "minority_recall", "majority_f1", "majority_precision",
           "majority_recall", "accuracy", "balanced_accuracy", "mcc", "g_mean", "roc_auc", "pr_auc")
HEADLINE = ("minority_f1", "minority_precision", "minority_recall", "roc_auc", "pr_auc", "balanced_accuracy", "mcc")
COMPARED = ("baseline", "class_weighted", "threshold_tuned")
VALIDATION_SHARE = 0.25
THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)


@dataclass(frozen=True)
class ArmRun:
    """One arm on one split: metrics on the test rows, the confusion matrix (true rows x predicted columns),
    the decision threshold on P(minority) (binary; None for argmax), the minority scores, and seconds."""
    arm: str
    metrics: dict[str, float]
    confusion: pd.DataFrame
    threshold: float | None
    scores: np.ndarray
    predictions: np.ndarray
    seconds: float


@dataclass(frozen=True)
class Summary:
    """Mean over repeats with a 95% t-interval (equal to the mean for one repeat), and the per-repeat values."""
    mean: float
    ci_low: float
    ci_high: float
    values: list[float]


@dataclass(frozen=True)
class Difference:
    """Paired difference augmented minus another arm: mean, 95% t-interval, Wilcoxon signed-rank p-value
    (None for fewer than 2 repeats; 1.0 when every difference is zero)."""
    mean: float
    ci_low: float
    ci_high: float
    p_value: float | None


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


def decide(proba: pd.DataFrame, minority: list[str], threshold: float | None) -> np.ndarray:
    """Predicted labels: argmax, or (binary) the minority when P(minority) >= threshold."""
    if threshold is None or len(proba.columns) != 2:
        return proba.idxmax(axis=1).to_numpy()
    other = next(c for c in proba.columns if c != minority[0])
    return np.where(proba[minority[0]].to_numpy() >= threshold, minority[0], other)


def tune_threshold(train: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str], classifier: str,
                   minority: list[str], seed: int) -> float | None:
    """The threshold on P(minority) that maximises minority F1 on a stratified 25% validation part of the
    training rows (model fitted on the other 75%). None for multi-class targets (argmax is kept)."""
    ensure_not_held_out(train)
    if train[target].nunique() != 2:
        return None
    fit_part, check_part = train_test_split(train, test_size=VALIDATION_SHARE, random_state=seed,
                                            stratify=train[target])
    model = fit_classifier(make_classifier(classifier, features, kinds, seed), fit_part, target, features, kinds)
    score = predict_proba(model, check_part, features, kinds)[minority[0]].to_numpy()
    truth = check_part[target].astype(str).to_numpy() == minority[0]
    return float(THRESHOLDS[int(np.argmax(scores_by_threshold(truth, score)["f1"].to_numpy()))])


def scores_by_threshold(truth_is_minority: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """Minority precision, recall and F1 at every threshold 0.01..0.99 on P(minority), all thresholds at once
    (a row is flagged when its score >= threshold; 0 where a ratio is undefined, as zero_division=0)."""
    truth = np.asarray(truth_is_minority, dtype=bool)
    flagged = np.asarray(scores)[None, :] >= THRESHOLDS[:, None]
    true_positive = (flagged & truth[None, :]).sum(axis=1).astype(float)
    flagged_count, positives = flagged.sum(axis=1).astype(float), float(truth.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(flagged_count > 0, true_positive / flagged_count, 0.0)
        recall = np.full_like(precision, 0.0) if positives == 0 else true_positive / positives
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return pd.DataFrame({"threshold": THRESHOLDS.astype(float), "precision": precision, "recall": recall, "f1": f1})


def _arm(arm: str, model, test: pd.DataFrame, target: str, features: list[str], kinds: dict[str, str],
         minority: list[str], majority: str, threshold: float | None, started: float) -> ArmRun:
    proba = predict_proba(model, test, features, kinds)
    for label in [*minority, majority]:
        if label not in proba.columns:
            proba[label] = 0.0
    predicted = decide(proba, minority, threshold)
    truth = test[target].astype(str).to_numpy()
    labels = list(proba.columns)
    counts = pd.DataFrame(confusion(truth, predicted, labels), index=labels, columns=labels)
    return ArmRun(arm=arm, metrics=metric_values(truth, predicted, proba, minority, majority), confusion=counts,
                  threshold=threshold, scores=proba[minority[0]].to_numpy(), predictions=predicted,
                  seconds=time.perf_counter() - started)


def run_arms(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame, target: str, features: list[str],
             kinds: dict[str, str], minority: list[str], majority: str, classifier: str = "logreg",
             seed: int = 42) -> dict[str, ArmRun]:
    """Fit every arm on its training rows and score it on the test rows (which no arm ever fits on)."""
    ensure_not_held_out(train)
    # Synthetic rows get negative index labels, so no fitted row can be mistaken for a real (or test) row.
    synthetic = synthetic.drop(columns=["is_synthetic"], errors="ignore").set_axis(pd.RangeIndex(-len(synthetic), 0))
    real_without_minority = train.loc[~train[target].astype(str).isin(set(synthetic[target].astype(str)))]
    arms_training = {"baseline": (train, None), "class_weighted": (train, "balanced"),
                     "augmented": (pd.concat([train, synthetic]), None),
                     "tstr": (pd.concat([real_without_minority, synthetic]), None)}
    runs, baseline_model = {}, None
    for arm, (rows, weight) in arms_training.items():
        if rows[target].nunique() < 2:
            raise DataError(f"The {arm} arm has a single class to learn from; generate rows for the minority.")
        started = time.perf_counter()
        model = fit_classifier(make_classifier(classifier, features, kinds, seed, weight), rows, target, features,
                               kinds)
        baseline_model = model if arm == "baseline" else baseline_model
        runs[arm] = _arm(arm, model, test, target, features, kinds, minority, majority, None, started)
    started = time.perf_counter()
    threshold = tune_threshold(train, target, features, kinds, classifier, minority, seed)
    runs["threshold_tuned"] = _arm("threshold_tuned", baseline_model, test, target, features, kinds, minority,
                                   majority, threshold, started)
    return {arm: runs[arm] for arm in ARMS}


def summarise(values: list[float]) -> Summary:
    """Mean and 95% Student-t interval over repeats."""
    array = np.asarray(values, dtype=float)
    mean = float(np.nanmean(array)) if array.size else float("nan")
    if array.size < 2 or np.nanstd(array) == 0:
        return Summary(mean, mean, mean, [float(v) for v in array])
    half = float(stats.t.ppf(0.975, array.size - 1) * np.nanstd(array, ddof=1) / np.sqrt(array.size))
    return Summary(mean, mean - half, mean + half, [float(v) for v in array])


def paired_difference(a: list[float], b: list[float]) -> Difference:
    """a - b per repeat: mean, 95% t-interval and the Wilcoxon signed-rank p-value."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    summary = summarise(list(diff))
    if diff.size < 2:
        p_value = None
    elif np.allclose(diff, 0):
        p_value = 1.0
    else:
        p_value = float(stats.wilcoxon(diff, zero_method="zsplit").pvalue)
    return Difference(summary.mean, summary.ci_low, summary.ci_high, p_value)


@dataclass(frozen=True)
class Comparison:
    """Per arm and metric the Summary; per reference arm and metric the paired Difference; the verdict."""
    classifier: str
    repeats: int
    arms: dict[str, dict[str, Summary]]
    differences: dict[str, dict[str, Difference]]
    verdict: str
    targets: Targets


def compare(runs: list[dict[str, ArmRun]], classifier: str, targets: Targets = Targets()) -> Comparison:
    """Summaries over repeats and paired differences of augmented against each reference arm."""
    arms = {arm: {m: summarise([r[arm].metrics[m] for r in runs]) for m in METRICS} for arm in ARMS}
    differences = {f"augmented_vs_{ref}": {m: paired_difference(arms["augmented"][m].values, arms[ref][m].values)
                                           for m in METRICS} for ref in COMPARED}
    return Comparison(classifier=classifier, repeats=len(runs), arms=arms, differences=differences,
                      verdict=verdict_text(arms, differences, len(runs), targets), targets=targets)


def conservative_gain(comparison: Comparison, metric: str) -> Difference:
    """Augmented minus the best arm without synthetic rows on `metric`: of the paired differences against
    every reference arm (baseline, class weights, tuned threshold), the one with the smallest mean gain."""
    return min((d[metric] for d in comparison.differences.values()), key=lambda d: d.mean)


def survives(difference: Difference, repeats: int) -> bool:
    """A gain that holds up: the 95% interval above 0 over repeats, or above +0.01 on a single split."""
    return difference.ci_low > 0 if repeats > 1 else difference.mean > 0.01


def _ci(d: Difference) -> str:
    return f"95% CI {d.ci_low:+.3f} to {d.ci_high:+.3f}" if d.ci_low != d.ci_high else "one split, no interval"


def verdict_text(arms: dict, differences: dict, repeats: int, targets: Targets) -> str:
    """Plain English: target met or not, whether the gain survives class weighting and threshold tuning."""
    gain = differences["augmented_vs_baseline"]["minority_f1"]
    vs_weighted = differences["augmented_vs_class_weighted"]["minority_f1"]
    vs_tuned = differences["augmented_vs_threshold_tuned"]["minority_f1"]
    pr = differences["augmented_vs_baseline"]["pr_auc"]
    aug_f1 = arms["augmented"]["minority_f1"].mean
    tuned_f1 = arms["threshold_tuned"]["minority_f1"].mean
    met = gain.mean >= targets.minority_f1_gain
    lines = [f"Minority F1 moved by {gain.mean:+.3f} over the baseline ({_ci(gain)}): the target of "
             f"{targets.minority_f1_gain:+.2f} is {'met' if met else 'not met'}."]
    survives_weights, survives_tuning = survives(vs_weighted, repeats), survives(vs_tuned, repeats)
    if gain.mean > 0 and not survives_tuning:
        lines.append(f"Most of the gain is a threshold shift: the baseline with a tuned threshold reaches "
                     f"{tuned_f1:.3f} against {aug_f1:.3f} for the augmented model ({vs_tuned.mean:+.3f}).")
    elif gain.mean > 0:
        lines.append(f"The gain survives threshold tuning ({vs_tuned.mean:+.3f}, {_ci(vs_tuned)})"
                     f"{' and class weighting' if survives_weights else ', but not class weighting'} "
                     f"({vs_weighted.mean:+.3f}).")
    pr_noise = pr.ci_low <= 0 <= pr.ci_high if repeats > 1 else abs(pr.mean) < 0.01
    lines.append(f"PR-AUC, which no threshold can move, changed by {pr.mean:+.3f} ({_ci(pr)})"
                 f"{', inside split noise' if pr_noise else ''}.")
    if met and survives_tuning and survives_weights and not pr_noise and pr.mean > 0:
        lines.append("Verdict: the synthetic rows earned their place.")
    elif gain.mean < 0 and (repeats == 1 or gain.ci_high < 0):
        lines.append("Verdict: the synthetic rows made the model worse; do not use them.")
    else:
        lines.append("Verdict: the synthetic rows did not earn their place; class weights or a tuned threshold "
                     "give the same result without synthetic data.")
    if repeats == 1:
        lines.append("This is one split: run 5 or more repeats before deciding.")
    return " ".join(lines)


def curves(truth_is_minority: np.ndarray, scores: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ROC (fpr, tpr) and precision-recall curves per arm, long format with an `arm` column."""
    roc, pr = [], []
    for arm, score in scores.items():
        fpr, tpr, _ = skm.roc_curve(truth_is_minority, score)
        roc.append(pd.DataFrame({"arm": arm, "fpr": fpr, "tpr": tpr}))
        precision, recall, _ = skm.precision_recall_curve(truth_is_minority, score)
        pr.append(pd.DataFrame({"arm": arm, "recall": recall, "precision": precision}))
    return pd.concat(roc, ignore_index=True), pd.concat(pr, ignore_index=True)


def error_analysis(test: pd.DataFrame, runs: dict[str, ArmRun], target: str,
                   minority: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(test minority rows the augmented model still misses, rows it newly flags as minority that the baseline
    did not and that are not minority)."""
    truth = test[target].astype(str).isin(minority).to_numpy()
    augmented = np.isin(runs["augmented"].predictions, minority)
    baseline = np.isin(runs["baseline"].predictions, minority)
    missed = test.loc[truth & ~augmented].assign(p_minority=runs["augmented"].scores[truth & ~augmented])
    new_false = test.loc[~truth & augmented & ~baseline].assign(
        p_minority=runs["augmented"].scores[~truth & augmented & ~baseline])
    return missed, new_false


def fairness(test: pd.DataFrame, runs: dict[str, ArmRun], target: str, minority: list[str],
             attribute: str) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Per group of `attribute` and arm (baseline, augmented): rows, minority recall / precision / F1 and the
    share predicted minority; plus per arm the demographic parity difference (max - min predicted-minority
    share across groups) and the equal opportunity difference (max - min recall)."""
    if attribute not in test.columns:
        raise DataError(f"The sensitive attribute '{attribute}' is not a column.")
    groups = test[attribute].astype(str).fillna("<missing>").to_numpy()
    truth = test[target].astype(str).isin(minority).to_numpy()
    rows, gaps = [], {}
    for arm in ("baseline", "augmented"):
        flagged = np.isin(runs[arm].predictions, minority)
        for group in sorted(set(groups)):
            inside = groups == group
            p, r, f, _ = skm.precision_recall_fscore_support(truth[inside], flagged[inside], average="binary",
                                                             zero_division=0)
            rows.append({"arm": arm, "group": group, "rows": int(inside.sum()), "recall": float(r),
                         "precision": float(p), "f1": float(f), "predicted_minority": float(flagged[inside].mean())})
        arm_rows = pd.DataFrame([r for r in rows if r["arm"] == arm])
        gaps[arm] = {"demographic_parity_difference": float(arm_rows["predicted_minority"].max()
                                                            - arm_rows["predicted_minority"].min()),
                     "equal_opportunity_difference": float(arm_rows["recall"].max() - arm_rows["recall"].min())}
    return pd.DataFrame(rows), gaps


@dataclass(frozen=True)
class EvaluationDetail:
    """Repeat 0's curves and errors for the page: ROC and PR per arm, threshold sweeps (baseline, augmented),
    the minority test rows still missed, the new false positives, and the fairness table when asked."""
    roc: pd.DataFrame
    pr: pd.DataFrame
    sweep: pd.DataFrame
    missed: pd.DataFrame
    new_false_positives: pd.DataFrame
    fairness: pd.DataFrame | None = None
    fairness_gaps: dict | None = None


def detail(test: pd.DataFrame, runs: dict[str, ArmRun], target: str, minority: list[str],
           sensitive_attribute: str | None = None) -> EvaluationDetail:
    """Everything the comparison page draws for one repeat, computed here so the page only draws."""
    truth = test[target].astype(str).isin(minority).to_numpy()
    roc, pr = curves(truth, {arm: runs[arm].scores for arm in ("baseline", "class_weighted", "augmented", "tstr")})
    sweep = pd.concat([scores_by_threshold(truth, runs[arm].scores).assign(arm=arm) for arm in ("baseline", "augmented")],
                      ignore_index=True)
    missed, new_false = error_analysis(test, runs, target, minority)
    table, gaps = fairness(test, runs, target, minority, sensitive_attribute) if sensitive_attribute else (None, None)
    return EvaluationDetail(roc=roc, pr=pr, sweep=sweep, missed=missed, new_false_positives=new_false,
                            fairness=table, fairness_gaps=gaps)
