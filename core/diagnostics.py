"""What the Comparison page shows beyond the verdict, for one repeat: ROC and precision-recall curves, a
descriptive threshold sweep on the test rows, the errors of the judged model, and fairness by a sensitive
attribute. Computed here so the page only draws."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from core.errors import DataError
from core.evaluation import ArmRun
from core.split import HELD_OUT_ROWS
from core.thresholds import scores_by_threshold


def curves(truth: np.ndarray, probas: dict[str, pd.DataFrame],
           classes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ROC (fpr, tpr) and precision-recall curves per arm and minority class, one-vs-rest (each class's own
    score against its own rows), long format with `arm` and `class` columns."""
    roc, pr = [], []
    truth = np.asarray(truth).astype(str)
    for arm, proba in probas.items():
        for label in classes:
            is_class = truth == label
            if not is_class.any() or is_class.all():
                continue
            fpr, tpr, _ = skm.roc_curve(is_class, proba[label])
            roc.append(pd.DataFrame({"arm": arm, "class": label, "fpr": fpr, "tpr": tpr}))
            precision, recall, _ = skm.precision_recall_curve(is_class, proba[label])
            pr.append(pd.DataFrame({"arm": arm, "class": label, "recall": recall, "precision": precision}))
    empty_roc = pd.DataFrame(columns=["arm", "class", "fpr", "tpr"])
    empty_pr = pd.DataFrame(columns=["arm", "class", "recall", "precision"])
    return (pd.concat(roc, ignore_index=True) if roc else empty_roc,
            pd.concat(pr, ignore_index=True) if pr else empty_pr)


def _judged_and_reference(runs: dict[str, ArmRun], subject: str | None = None) -> tuple[str, str]:
    """(the arm judged, the arm it is set against) for error analysis, fairness and the sweep: the run's subject
    at its tuned threshold (the model an analyst would deploy) against the tuned baseline (or, when the subject
    is the tuned baseline, the untuned one)."""
    judged = subject or ("augmented_tuned" if "augmented_tuned" in runs else "threshold_tuned")
    return judged, ("threshold_tuned" if judged != "threshold_tuned" else "baseline")


def error_analysis(test: pd.DataFrame, runs: dict[str, ArmRun], target: str,
                   minority: list[str], subject: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(test minority rows the judged model still misses, rows it newly flags as minority that the baseline
    did not and that are not minority)."""
    judged, reference = _judged_and_reference(runs, subject)
    truth = test[target].astype(str).isin(minority).to_numpy()
    flagged = np.isin(runs[judged].predictions, minority)
    before = np.isin(runs[reference].predictions, minority)
    missed = test.loc[truth & ~flagged].assign(p_minority=runs[judged].scores[truth & ~flagged])
    new_false = test.loc[~truth & flagged & ~before].assign(
        p_minority=runs[judged].scores[~truth & flagged & ~before])
    for shown in (missed, new_false):  # rows to show: the held-out mark stays, the test part's row hashes (bytes,
        shown.attrs.pop(HELD_OUT_ROWS, None)  # which Arrow cannot store: a warning per table drawn) do not
    return missed, new_false


MISSING_GROUP = "missing"


def fairness(test: pd.DataFrame, runs: dict[str, ArmRun], target: str, minority: list[str],
             attribute: str, subject: str | None = None) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Per group of `attribute` (gaps form the group 'missing') and arm (baseline and the judged arm): rows,
    minority recall / precision / F1 and the share predicted minority; plus per arm the demographic parity
    difference (max - min predicted-minority share across groups) and the equal opportunity difference
    (max - min recall)."""
    if attribute not in test.columns:
        raise DataError(f"The sensitive attribute '{attribute}' is not a column.")
    values = test[attribute]
    groups = values.astype(object).where(values.notna(), MISSING_GROUP).astype(str).to_numpy()
    truth = test[target].astype(str).isin(minority).to_numpy()
    rows, gaps = [], {}
    judged, reference = _judged_and_reference(runs, subject)
    for arm in (reference, judged):
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
    """Repeat 0's curves and errors for the page: ROC and PR per arm and minority class (one-vs-rest), threshold
    sweeps on the test rows per class (descriptive only: the tuned thresholds come from training rows), the
    minority test rows still missed, the new false positives, and the fairness table when asked."""
    roc: pd.DataFrame
    pr: pd.DataFrame
    sweep: pd.DataFrame
    missed: pd.DataFrame
    new_false_positives: pd.DataFrame
    fairness: pd.DataFrame | None = None
    fairness_gaps: dict | None = None


SWEEP_NOTE = ("Descriptive only: this sweep is measured on the test rows, so do not pick a threshold here; "
              "each tuned threshold comes from its arm's training rows.")


def detail(test: pd.DataFrame, runs: dict[str, ArmRun], target: str, minority: list[str],
           sensitive_attribute: str | None = None, subject: str | None = None) -> EvaluationDetail:
    """Everything the comparison page draws for one repeat, computed here so the page only draws."""
    truth = test[target].astype(str).to_numpy()
    shown = [arm for arm in ("baseline", "class_weighted", "augmented", "tstr") if arm in runs]
    roc, pr = curves(truth, {arm: runs[arm].proba for arm in shown}, minority)
    judged, reference = _judged_and_reference(runs, subject)
    sweeps = []
    for arm in dict.fromkeys((reference, judged)):
        for label in minority:
            table = scores_by_threshold(truth == label, runs[arm].proba[label].to_numpy())
            sweeps.append(table.assign(arm=arm, **{"class": label}))
    missed, new_false = error_analysis(test, runs, target, minority, subject)
    table, gaps = (fairness(test, runs, target, minority, sensitive_attribute, subject) if sensitive_attribute
                   else (None, None))
    return EvaluationDetail(roc=roc, pr=pr, sweep=pd.concat(sweeps, ignore_index=True), missed=missed,
                            new_false_positives=new_false, fairness=table, fairness_gaps=gaps)
