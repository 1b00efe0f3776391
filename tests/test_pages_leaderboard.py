"""Compare generators as drawn: the best without synthetic rows is said without stretching the chart, tables show
words and blanks (no ids, no 'None'), and a split of the repeats' picks is decided by the race's rule and said."""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from core.intervals import Summary
from core.leaderboard import COLUMNS, Leaderboard, chosen_in_words, pooled_best
from core.race_results import CandidateResult
from tests.apptest_helpers import go, open_with_upload

INTERNAL = ("as_is", "threshold_tuned", "class_weighted", "random_oversampler", "smotenc", "no_generation",
            "None", "nan")


def _row(method: str, label: str, kind: str, gain=None, dcr=None) -> dict:
    row = dict.fromkeys(COLUMNS, np.nan)
    row.update({"method": method, "label": label, "kind": kind, "error": "", "seconds": 1.0,
                "fold_minority_f1": 0.5, "fold_minority_f1_ci_low": 0.4, "fold_minority_f1_ci_high": 0.6})
    if gain is not None:  # a generator: gain over the reference, validation figures
        row.update({"minority_f1_gain": gain, "minority_f1_gain_ci_low": gain - 0.03,
                    "minority_f1_gain_ci_high": gain + 0.03, "pr_auc_gain": 0.01, "pr_auc_gain_ci_low": -0.01,
                    "pr_auc_gain_ci_high": 0.03, "dcr_share_vs_holdout": dcr, "quality_score": 0.9,
                    "detection_auc": 0.6, "coverage": 0.8, "exact_copies": 0, "near_copies": 1,
                    "decision": "refine"})
    return row


def board_with_plain_best() -> Leaderboard:
    """The best makes no rows (its gain is blank: it is the reference side), two generators have points."""
    rows = pd.DataFrame([_row("as_is", "As is (no weights, threshold 0.5)", "no_generation"),
                         _row("threshold_tuned", "Tuned threshold only", "no_generation"),
                         _row("random_oversampler", "Random oversampling", "generator", 0.012, 0.52),
                         _row("smotenc", "SMOTE-NC", "generator", -0.021, 0.58)]).reindex(columns=COLUMNS)
    return Leaderboard(rows=rows, best="threshold_tuned", picks=("threshold_tuned",),
                       chosen_on="each repeat's strategy race on that repeat's training part")


def test_best_without_synthetic_rows_does_not_stretch_the_axis(small_credit_csv):
    at = open_with_upload(small_credit_csv, "credit_risk")
    at.session_state["leaderboard"] = board_with_plain_best()
    at = go(at, "leaderboard")
    scatter = json.loads(at.get("plotly_chart")[0].proto.spec)
    low, high = scatter["layout"]["yaxis"]["range"]
    # the points' intervals span -0.051 to 0.042 (and 0, the reference): the axis stays there, not at 2.7
    assert -0.08 < low < -0.051 and 0.042 < high < 0.07
    for shape in scatter["layout"].get("shapes", []):  # a horizontal line at a real height, nothing diagonal
        assert shape["y0"] == shape["y1"] and not math.isnan(float(shape["y0"])) and low <= shape["y0"] <= high
    said = [a["text"] for a in scatter["layout"].get("annotations", [])]
    assert any(t.startswith("* best: Tuned threshold only (no synthetic rows") for t in said)
    for annotation in scatter["layout"].get("annotations", []):
        assert annotation.get("yref", "y") == "paper"  # said above the chart, outside the data's range


def test_tables_show_words_and_blanks(small_credit_csv):
    at = open_with_upload(small_credit_csv, "credit_risk")
    at.session_state["leaderboard"] = board_with_plain_best()
    at = go(at, "leaderboard")
    for frame in (at.dataframe[0].value, at.dataframe[1].value):
        cells = [str(v) for v in frame.to_numpy().ravel()] + list(frame.columns)
        leaked = [c for c in cells if any(name == c or f"{name} " in c for name in INTERNAL)]
        assert not leaked, leaked
        assert not frame.isna().to_numpy().any()  # a blank, never a 'None' cell
    fidelity = at.dataframe[1].value.set_index("method")
    assert fidelity.loc["* Tuned threshold only", "quality"] == ""
    assert fidelity.loc["Random oversampling", "quality"] == "0.900"


def _candidate(name: str, values: list[float]) -> CandidateResult:
    summary = Summary(float(np.mean(values)), min(values), max(values), values, False)
    return CandidateResult(name=name, label=name, kind="", minority_f1=summary, pr_auc=summary, seconds=1.0)


def _race(pick: str, scores: dict[str, list[float]]) -> SimpleNamespace:
    """What pooled_best reads of a RaceResult: its pick and its candidates' fold scores."""
    return SimpleNamespace(recommended=pick, candidates=[_candidate(n, v) for n, v in scores.items()])


def test_a_split_of_the_picks_goes_to_the_best_mean_and_is_said():
    # three repeats pick three strategies (1-1-1); random oversampling has the highest mean over all six folds,
    # though 'Tuned threshold only' comes first in display order (which decided the old tally)
    races = [_race("threshold_tuned", {"threshold_tuned": [0.50, 0.52], "class_weighted": [0.49, 0.50],
                                       "random_oversampler": [0.49, 0.51]}),
             _race("class_weighted", {"threshold_tuned": [0.40, 0.42], "class_weighted": [0.47, 0.47],
                                      "random_oversampler": [0.45, 0.47]}),
             _race("random_oversampler", {"threshold_tuned": [0.41, 0.43], "class_weighted": [0.42, 0.44],
                                          "random_oversampler": [0.50, 0.52]})]
    best = pooled_best(races, folds=2)
    assert best == "random_oversampler"
    words = chosen_in_words(tuple(r.recommended for r in races), best, 3, 2)
    assert "tie 1-1-1" in words and words.endswith("decides: Random oversampling.")
    assert "highest mean minority F1" in words
