"""What-if comparison of several generators on the same data, splits and classifier: one row per method."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd

from core.config import RunConfig
from core.data import Dataset
from core.errors import SynthBalanceError
from core.generators.base import Progress
from core.pipeline import run_experiment
from core.validation.verdict import REJECTED

COLUMNS = ["method", "seconds", "quality_score", "detection_auc", "coverage", "exact_copies", "near_copies",
           "dcr_share_vs_holdout", "decision", "minority_f1_gain", "minority_f1_gain_ci_low",
           "minority_f1_gain_ci_high", "pr_auc_gain", "pr_auc_gain_ci_low", "pr_auc_gain_ci_high", "error"]


@dataclass(frozen=True)
class Leaderboard:
    """rows: one per method (COLUMNS; a failed method has only its name and `error`). best: the method with the
    highest minority F1 gain among those not rejected by validation (PR-AUC gain breaks ties), or None."""
    rows: pd.DataFrame
    best: str | None


def default_methods(usable: list[str]) -> list[str]:
    """Random oversampling, SMOTE, Borderline-SMOTE, ADASYN, and SMOTE-NC or CTGAN where they apply."""
    wanted = ["random_oversampler", "smote", "borderline_smote", "adasyn"]
    extra = [m for m in ("smotenc", "ctgan") if m in usable][:1]
    return wanted + extra


def _row(method: str, config: RunConfig, dataset: Dataset, params: dict) -> dict:
    started = time.perf_counter()
    result = run_experiment(dataset, replace(config, method=method, params=params))
    f1 = result.comparison.differences["augmented_vs_baseline"]["minority_f1"]
    pr = result.comparison.differences["augmented_vs_baseline"]["pr_auc"]
    v = result.validation
    return {"method": method, "seconds": time.perf_counter() - started,
            "quality_score": v.quality_score if v else None, "detection_auc": v.detection_auc if v else None,
            "coverage": v.coverage.coverage if v else None, "exact_copies": v.privacy.exact_copies if v else None,
            "near_copies": v.privacy.near_copies if v else None,
            "dcr_share_vs_holdout": v.privacy.dcr_share_vs_holdout if v else None,
            "decision": v.verdict.decision.value if v else None, "minority_f1_gain": f1.mean,
            "minority_f1_gain_ci_low": f1.ci_low, "minority_f1_gain_ci_high": f1.ci_high, "pr_auc_gain": pr.mean,
            "pr_auc_gain_ci_low": pr.ci_low, "pr_auc_gain_ci_high": pr.ci_high, "error": ""}


def build_leaderboard(dataset: Dataset, config: RunConfig, methods: list[str], progress: Progress | None = None,
                      params_for=None) -> Leaderboard:
    """Run the config once per method, one after another; a method that fails keeps its error in its row.
    params_for(method) gives that method's parameters (default: its defaults)."""
    rows = []
    for index, method in enumerate(methods):
        if progress:
            progress(index / len(methods), f"{method}: {index + 1} of {len(methods)}")
        try:
            rows.append(_row(method, config, dataset, params_for(method) if params_for else {}))
        except SynthBalanceError as exc:
            rows.append({"method": method, "error": " ".join(str(exc).split())})
    if progress:
        progress(1.0, "Done")
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    table["error"] = table["error"].fillna("")
    eligible = table.loc[(table["error"] == "") & (table["decision"] != REJECTED)]
    best = None
    if not eligible.empty:
        best = str(eligible.sort_values(["minority_f1_gain", "pr_auc_gain"], ascending=False).iloc[0]["method"])
    return Leaderboard(rows=table, best=best)
