"""What-if comparison of several generators on the same data, splits and classifier: one row per strategy.

"Best" never sees a test row: for each repeat the strategy race (`core.race`) runs on that repeat's training
part only (the split `run` makes for seed + repeat), and picks that repeat's best on its folds; `best` follows the
race's own rule (`core.race.recommend`: the highest mean minority F1, the analyst's margin) over every repeat's
folds together, so a split of the repeats' picks (1-1-1) is decided by the means, not by display order, and
said. The test figures of each row are descriptive; the honest test figure of the procedure is each repeat's own
pick scored on that repeat's test part (`pick_test_minority_f1`). The strategies without synthetic rows are rows too.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace

import pandas as pd

from core.config import RunConfig
from core.data import Dataset
from core.errors import ClusterError
from core.evaluation import compare, conservative_gain, headline_gain
from core.generators.base import Progress
from core.intervals import Difference, repeated_cv_ratio, summarise
from core.pipeline import prepare, run_experiment
from core.race import SamplerSettings, race_prepared
from core.race_results import RaceResult
from core.race_rule import F1_BOUNDS, recommend
from core.strategies import NO_GENERATION, judged_arm, kind_of, strategy_words

COLUMNS = ["method", "label", "kind", "fold_minority_f1", "fold_minority_f1_ci_low", "fold_minority_f1_ci_high",
           "fold_pr_auc", "within_noise_of_best", "seconds", "quality_score", "detection_auc", "coverage",
           "exact_copies", "near_copies", "dcr_share_vs_holdout", "decision", "test_minority_f1", "test_pr_auc",
           "minority_f1_gain", "minority_f1_gain_ci_low", "minority_f1_gain_ci_high", "pr_auc_gain",
           "pr_auc_gain_ci_low", "pr_auc_gain_ci_high", "verdict", "error"]


@dataclass(frozen=True)
class Leaderboard:
    """rows: one per strategy (COLUMNS; a failed one has its name and `error`). fold_* columns come from repeat
    0's race on its training part; test_* and *_gain columns from the test splits (gain: at tuned thresholds over
    the strongest reference without synthetic rows, corrected intervals). picks: each repeat's race pick (chosen
    on that repeat's training part only); best: the race's rule over all repeats' folds together (`pooled_best`);
    pick_test_minority_f1: the mean over repeats of each repeat's pick on that repeat's test part; chosen_on: how
    best was chosen, in words, with the repeats' picks and any split between them; race: repeat 0's race."""
    rows: pd.DataFrame
    best: str | None
    race: RaceResult | None = None
    picks: tuple[str, ...] = ()
    pick_test_minority_f1: float | None = None
    chosen_on: str = ("each repeat's strategy race on that repeat's training part; best: the race's rule (highest "
                      "mean minority F1) over every repeat's folds; test figures are descriptive")


def default_methods(usable: list[str]) -> list[str]:
    """Random oversampling, SMOTE, Borderline-SMOTE, ADASYN, and SMOTE-NC or CTGAN: those usable on this table."""
    wanted = [m for m in ("random_oversampler", "smote", "borderline_smote", "adasyn") if m in usable]
    extra = [m for m in ("smotenc", "ctgan") if m in usable][:1]
    return wanted + extra


def pooled_best(races: list[RaceResult], folds: int, margin: float = 0.0) -> str:
    """The race's rule (`core.race.recommend`: highest mean minority F1, the margin in favour of no synthetic rows)
    applied to every repeat's fold scores together, over the strategies that ran in every repeat."""
    names = [c.name for c in races[0].candidates]
    pooled = []
    for name in names:
        runs = [next((c for c in r.candidates if c.name == name), None) for r in races]
        if all(c is not None and c.ran for c in runs):
            values = [v for c in runs for v in c.minority_f1.values]
            pooled.append(replace(runs[0], vs_best=None,
                                  minority_f1=summarise(values, repeated_cv_ratio(folds), F1_BOUNDS)))
    return recommend(pooled, folds, margin)[0]


def chosen_in_words(picks: tuple[str, ...], best: str, repeats: int, folds: int) -> str:
    """How `best` was chosen, with the repeats' own picks and, when they split, the split (e.g. 1-1-1)."""
    rule = (f"each repeat's strategy race on that repeat's training part; best: the race's rule (highest mean "
            f"minority F1) over all {repeats} x {folds} training folds; test figures are descriptive")
    if len(picks) < 2:
        return rule
    tally = Counter(picks)
    said = ", ".join(f"{strategy_words(name)} ({count})" for name, count in tally.most_common())
    if len(tally) == 1:
        return f"{rule}. Every repeat's race picked {strategy_words(picks[0])}."
    counts = sorted(tally.values(), reverse=True)
    split = "-".join(str(c) for c in counts)
    tie = counts[0] == counts[1]
    return (f"{rule}. The repeats' own picks {'tie' if tie else 'differ'} {split}: {said}; "
            f"{'no pick was made by most repeats, so ' if tie else ''}the mean over all their folds decides: "
            f"{strategy_words(best)}.")


def _test_figures(method: str, config: RunConfig, dataset: Dataset, params: dict, n_jobs: int | None,
                  scheduler: str | None, plain: dict | None = None) -> dict:
    """The test-split figures of one strategy. plain: a cache for the strategies without synthetic rows, which
    share one run's arms (only the arm judged differs)."""
    started = time.perf_counter()
    if method in NO_GENERATION and plain is not None and "result" in plain:
        result = plain["result"]
        comparison = compare(result.runs, config.classifier, config.targets,
                             config.test_size / (1 - config.test_size), judged_arm(method))
    else:
        result = run_experiment(dataset, replace(config, method=method, params=params), n_jobs=n_jobs,
                                scheduler=scheduler)
        comparison = result.comparison
        if method in NO_GENERATION and plain is not None:
            plain["result"] = result
    v = result.validation
    f1, pr = conservative_gain(comparison, "minority_f1"), conservative_gain(comparison, "pr_auc")
    subject = comparison.arms[comparison.subject]
    verdict = headline_gain(comparison).judgement.verdict.words  # the one rule (core.judgement)
    if method in NO_GENERATION:  # its 'gain' would be against the other strategy without synthetic rows: left blank
        f1 = pr = Difference(float("nan"), float("nan"), float("nan"), None)
        verdict = ""
    return {"seconds": time.perf_counter() - started,
            "quality_score": v.quality_score if v else None, "detection_auc": v.detection_auc if v else None,
            "coverage": v.coverage.coverage if v else None, "exact_copies": v.privacy.exact_copies if v else None,
            "near_copies": v.privacy.near_copies if v else None,
            "dcr_share_vs_holdout": v.privacy.dcr_share_vs_holdout if v else None,
            "decision": v.verdict.decision.value if v else None,
            "test_minority_f1": subject["minority_f1"].mean, "test_pr_auc": subject["pr_auc"].mean,
            "test_minority_f1_values": list(subject["minority_f1"].values),
            "minority_f1_gain": f1.mean, "minority_f1_gain_ci_low": f1.ci_low, "minority_f1_gain_ci_high": f1.ci_high,
            "pr_auc_gain": pr.mean, "pr_auc_gain_ci_low": pr.ci_low, "pr_auc_gain_ci_high": pr.ci_high,
            "verdict": verdict}


def build_leaderboard(dataset: Dataset, config: RunConfig, methods: list[str], progress: Progress | None = None,
                      params_for=None, n_jobs: int | None = None, scheduler: str | None = None,
                      folds: int = 5) -> Leaderboard:
    """Race the strategies inside each repeat's training part (one K-fold per repeat: the repeats replicate it),
    then run the config once per strategy for the test figures. A strategy that fails (any exception) keeps its
    message in its row; the others go on. params_for(method) gives that method's parameters (default: its
    defaults). config.margin is the races' margin in favour of no synthetic rows."""
    strategies = list(dict.fromkeys([*NO_GENERATION, *methods]))
    params = {m: (params_for(m) if params_for else {}) for m in strategies if m not in NO_GENERATION}
    settings = SamplerSettings(amount=config.amount, rules=tuple(config.rules), density=config.density,
                               params={m: p for m, p in params.items() if p}, bounds=tuple(config.bounds))
    races = []
    for repeat in range(config.repeats):
        share = 0.4 / config.repeats
        if progress:
            progress(share * repeat, f"Racing the strategies on repeat {repeat + 1}'s training folds")
        # the same split (and cleaning) `run` makes for this repeat: its test part stays out of its race
        prepared = prepare(dataset, config.test_size, config.seed + repeat, config.cleaning)
        races.append(race_prepared(prepared, config.classifier, folds, candidates=strategies, n_jobs=n_jobs,
                                   scheduler=scheduler, settings=settings, repeats=1, margin=config.margin,
                                   progress=(lambda f, m, r=repeat: progress(share * (r + f), m))
                                   if progress else None))
    race = races[0]
    picks = tuple(r.recommended for r in races)
    best = pooled_best(races, folds, config.margin)
    by_name = {c.name: c for c in race.candidates}
    rows, test_values, plain = [], {}, {}
    for index, method in enumerate(strategies):
        if progress:
            progress(0.4 + 0.6 * index / len(strategies), f"{strategy_words(method)}: test split, {index + 1} of "
                                                          f"{len(strategies)}")
        candidate = by_name.get(method)
        row = {"method": method, "label": strategy_words(method),
               "kind": kind_of(method), "error": ""}
        if candidate is not None and candidate.ran:
            row.update({"fold_minority_f1": candidate.minority_f1.mean,
                        "fold_minority_f1_ci_low": candidate.minority_f1.ci_low,
                        "fold_minority_f1_ci_high": candidate.minority_f1.ci_high,
                        "fold_pr_auc": candidate.pr_auc.mean,
                        "within_noise_of_best": candidate.vs_best is None or candidate.vs_best.ci_high >= 0})
        elif candidate is not None:
            row["error"] = candidate.error
        try:
            figures = _test_figures(method, config, dataset, params.get(method, {}), n_jobs, scheduler, plain)
            test_values[method] = figures.pop("test_minority_f1_values")
            row.update(figures)
        except ClusterError:
            raise  # the cluster failed, not the strategy: the next strategies would wait on it too
        except Exception as exc:  # one strategy's failure, whatever its type, stays in its row
            row["error"] = row["error"] or " ".join(str(exc).split()) or type(exc).__name__
        rows.append(row)
    if progress:
        progress(1.0, "Done")
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    table["error"] = table["error"].fillna("")
    own = [test_values[pick][repeat] for repeat, pick in enumerate(picks) if pick in test_values]
    return Leaderboard(rows=table, best=best, race=race, picks=picks,
                       pick_test_minority_f1=float(sum(own) / len(own)) if len(own) == len(picks) else None,
                       chosen_on=chosen_in_words(picks, best, config.repeats, folds))
