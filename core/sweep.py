"""The privacy-utility dial: one differentially private generator run at several epsilons (and without privacy
where the method allows it), each judged like a normal run, so the analyst can pick the smallest epsilon that
still meets their utility target.

Each point is a whole run (`run_experiment`: repeated splits, generation, validation of repeat 0, the arms)
with the same seed, so every epsilon is scored on the same splits; points go through the one parallel path.
Utility is the gain of the augmented model over the best arm without synthetic rows (`conservative_gain`),
with the comparison's intervals; privacy figures come from repeat 0's validation.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

import pandas as pd

from core.config import RunConfig
from core.data import Dataset
from core.errors import ConfigError, SynthBalanceError
from core.evaluation import conservative_gain, judgement_of
from core.export import to_csv_text
from core.generators.base import Progress
from core.generators.registry import get_info
from core.intervals import Difference
from core.judgement import MIN_REPEATS, Judgement
from core.parallel import check_n_jobs, parallel_map
from core.pipeline import run_experiment

UTILITY_METRICS = {"minority_f1": "minority F1", "pr_auc": "PR-AUC"}
DEFAULT_EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class SweepPoint:
    """One run of the sweep. epsilon: the target (None: trained without privacy); epsilon_spent: the run's
    replace-one epsilon from the accountant (at most the target; core.generators.dp). Gains: augmented minus the
    best arm without synthetic rows, with the comparison's 95% interval. Privacy figures (repeat 0): DCR share vs
    holdout (0.5 ideal), median NNDR. error: why the point has no figures (the other points still count)."""
    epsilon: float | None
    delta: float | None
    epsilon_spent: float | None
    minority_f1_gain: Difference | None
    pr_auc_gain: Difference | None
    quality_score: float | None
    detection_auc: float | None
    dcr_share_vs_holdout: float | None
    nndr_median: float | None
    seconds: float
    error: str | None = None

    @property
    def private(self) -> bool:
        return self.epsilon is not None

    def gain(self, metric: str) -> Difference | None:
        return self.minority_f1_gain if metric == "minority_f1" else self.pr_auc_gain


@dataclass(frozen=True)
class SweepResult:
    """Every point in epsilon order (the non-private point last), the target, and the answer.

    smallest_epsilon: the smallest epsilon whose gain on utility_metric is earned by the one verdict rule
    (`core.judgement.judge_gain`: interval above 0, mean at or above utility_target; `meets_target`); None when
    no epsilon tried is."""
    method: str
    classifier: str
    repeats: int
    seed: int
    utility_metric: str
    utility_target: float
    points: tuple[SweepPoint, ...]
    smallest_epsilon: float | None
    answer: str

    def table(self) -> pd.DataFrame:
        """One row per point: epsilon (blank without privacy), figures, gains with their intervals."""
        rows = []
        for point in self.points:
            row = {"epsilon": point.epsilon, "private": point.private, "delta": point.delta,
                   "epsilon_spent": point.epsilon_spent}
            for metric in UTILITY_METRICS:
                gain = point.gain(metric)
                row[f"{metric}_gain"] = gain.mean if gain else None
                row[f"{metric}_gain_ci_low"] = gain.ci_low if gain else None
                row[f"{metric}_gain_ci_high"] = gain.ci_high if gain else None
            row.update({"meets_target": meets_target(point, self.utility_metric, self.utility_target,
                                                     self.repeats),
                        "quality_score": point.quality_score, "detection_auc": point.detection_auc,
                        "dcr_share_vs_holdout": point.dcr_share_vs_holdout, "nndr_median": point.nndr_median,
                        "seconds": point.seconds, "error": point.error})
            rows.append(row)
        return pd.DataFrame(rows)

    def csv_text(self) -> str:
        """sweep.csv: the table through the one safe writer (an error text can hold a column name)."""
        return to_csv_text(self.table())

    def to_dict(self) -> dict:
        """sweep.json: the settings, the answer and every point."""
        return {"method": self.method, "classifier": self.classifier, "repeats": self.repeats, "seed": self.seed,
                "utility_metric": self.utility_metric, "utility_target": self.utility_target,
                "smallest_epsilon": self.smallest_epsilon, "answer": self.answer,
                "points": [asdict(p) for p in self.points]}


def point_judgement(point: SweepPoint, metric: str, target: float, repeats: int) -> Judgement | None:
    """The one verdict rule (`core.judgement.judge_gain`) on a point's gain; None for a point without figures."""
    gain = point.gain(metric)
    if point.error is not None or gain is None:
        return None
    return judgement_of(gain, target, repeats)


def meets_target(point: SweepPoint, metric: str, target: float, repeats: int) -> bool:
    """A private point meets the target when its gain is earned by the one verdict rule: the corrected 95%
    interval lies above 0 and the mean reaches the target (never under MIN_REPEATS repeats)."""
    judgement = point_judgement(point, metric, target, repeats)
    return bool(point.private and judgement is not None and judgement.earned)


def smallest_meeting(points: tuple[SweepPoint, ...], metric: str, target: float,
                     repeats: int) -> SweepPoint | None:
    """The private point with the smallest epsilon that meets the target on `metric` (`meets_target`)."""
    meeting = [p for p in points if meets_target(p, metric, target, repeats)]
    return min(meeting, key=lambda p: p.epsilon) if meeting else None


def _gain_text(gain: Difference, repeats: int, target: float = 0.0) -> str:
    judgement = judgement_of(gain, target, repeats)
    interval = f" ({judgement.interval_text})" if judgement.has_interval else ""
    return f"gain {gain.mean:+.3f}{interval}: {judgement.verdict.words}"


def answer_text(points: tuple[SweepPoint, ...], metric: str, target: float, repeats: int) -> str:
    """The answer in words, with the gain, its interval and its verdict by the one rule (interval above 0 and
    mean at or above the target), so a mean at the target with an interval containing 0 is not a success."""
    name = UTILITY_METRICS[metric]
    best = smallest_meeting(points, metric, target, repeats)
    goal = f"a {name} gain of at least {target:+.3f} over the best option without synthetic rows"
    if best is not None:
        return (f"The smallest epsilon that meets your target ({goal}, earned: its 95% interval above 0 and its "
                f"mean at or above the target) is {best.epsilon:g}: {_gain_text(best.gain(metric), repeats, target)}.")
    scored = [p for p in points if p.private and p.error is None and p.gain(metric) is not None]
    failed = [p for p in points if p.private and p.error is not None]
    if not scored and failed:
        return f"Every private point failed, so nothing was measured: {failed[0].error}"
    if repeats < MIN_REPEATS:
        text = (f"Under {MIN_REPEATS} repeated splits per epsilon there is no interval, so no epsilon is said to "
                f"meet your target ({goal}): run {MIN_REPEATS} or more.")
    else:
        text = (f"No epsilon tried meets your target ({goal}): it is met only when the gain is earned, its 95% "
                "interval above 0 and its mean at or above the target.")
    if scored:
        top = max(scored, key=lambda p: (p.gain(metric).mean if repeats < MIN_REPEATS else p.gain(metric).ci_low))
        text += f" The closest was epsilon {top.epsilon:g}: {_gain_text(top.gain(metric), repeats, target)}."
    reference = next((p for p in points if not p.private and p.error is None and p.gain(metric)), None)
    if reference is not None:
        reached = judgement_of(reference.gain(metric), target, repeats).earned
        text += (f" Without privacy the same generator gives {_gain_text(reference.gain(metric), repeats, target)}"
                 ", which " + ("would meet it: the target needs less privacy than any epsilon tried." if reached
                               else "does not meet it either: the generator falls short even without privacy."))
    return text


def _run_point(item: tuple[Dataset, RunConfig, float | None]) -> SweepPoint:
    """One whole run at one epsilon (None: without privacy); a failure becomes the point's error."""
    dataset, config, epsilon = item
    started = time.perf_counter()
    try:
        result = run_experiment(dataset, config)
    except SynthBalanceError as exc:
        return SweepPoint(epsilon=epsilon, delta=None, epsilon_spent=None, minority_f1_gain=None, pr_auc_gain=None,
                          quality_score=None, detection_auc=None, dcr_share_vs_holdout=None, nndr_median=None,
                          seconds=time.perf_counter() - started, error=" ".join(str(exc).split()))
    guarantee, validation = result.synthetic.privacy, result.validation
    return SweepPoint(epsilon=epsilon, delta=guarantee.delta if guarantee else None,
                      epsilon_spent=guarantee.epsilon if guarantee else None,
                      minority_f1_gain=conservative_gain(result.comparison, "minority_f1"),
                      pr_auc_gain=conservative_gain(result.comparison, "pr_auc"),
                      quality_score=validation.fidelity.quality_score if validation else None,
                      detection_auc=validation.detection_auc if validation else None,
                      dcr_share_vs_holdout=validation.privacy.dcr_share_vs_holdout if validation else None,
                      nndr_median=validation.privacy.nndr_median if validation else None,
                      seconds=time.perf_counter() - started)


def parse_epsilons(text: str) -> tuple[float, ...]:
    """'0.5,1,2' -> (0.5, 1.0, 2.0), sorted and without repeats; ConfigError on anything else."""
    try:
        values = sorted({float(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise ConfigError(f"Epsilons must be numbers separated by commas, like 0.5,1,2,4,8; got '{text}'.") from None
    if not values:
        raise ConfigError("Give at least one epsilon, like 0.5,1,2,4,8.")
    return tuple(values)


def run_sweep(dataset: Dataset, config: RunConfig, epsilons: tuple[float, ...] = DEFAULT_EPSILONS,
              utility_target: float | None = None, utility_metric: str = "minority_f1",
              include_non_private: bool = True, n_jobs: int | None = 1, scheduler: str | None = None,
              progress: Progress | None = None) -> SweepResult:
    """Run config's method at every epsilon (and once without privacy when the method has a 'privacy'
    parameter and include_non_private), each point a whole run with config's seed, splits and classifier.

    utility_target: the gain wanted on utility_metric (default: config.targets.minority_f1_gain).
    n_jobs / scheduler: the parallel path (processes here, or a Dask cluster); with n_jobs=1 and no scheduler
    points run one by one in this process and progress is reported after each.
    """
    info = get_info(config.method)
    if not info.differentially_private:
        raise ConfigError(f"{info.label} is not differentially private: the privacy-utility dial needs a method "
                          "of the family 'differential privacy'.")
    if utility_metric not in UTILITY_METRICS:
        raise ConfigError(f"The utility must be one of {', '.join(UTILITY_METRICS)}; got '{utility_metric}'.")
    config.check()
    target = config.targets.minority_f1_gain if utility_target is None else float(utility_target)
    epsilons = tuple(sorted(set(float(e) for e in epsilons)))
    if not epsilons:
        raise ConfigError("Give at least one epsilon, like 0.5,1,2,4,8.")
    settings = [({**config.params, "epsilon": e}, e) for e in epsilons]
    if include_non_private and "privacy" in {p.name for p in info.params}:
        settings.append(({**config.params, "privacy": "none"}, None))
    for params, _ in settings:
        info.resolve_params(params)  # every bad epsilon is refused before anything runs
    items = [(dataset, replace(config, params=params, validation=True), epsilon) for params, epsilon in settings]
    if scheduler or check_n_jobs(n_jobs) > 1 or progress is None:
        done = (lambda index, total: progress((index + 1) / total, f"Point {index + 1} of {total} done")) \
            if progress else None
        points = parallel_map(_run_point, items, n_jobs, scheduler, on_result=done)
    else:
        points = []
        for index, item in enumerate(items):
            label = "without privacy" if item[2] is None else f"epsilon {item[2]:g}"
            progress(index / len(items), f"Point {index + 1} of {len(items)}: {label}")
            points += parallel_map(_run_point, [item], 1)
        progress(1.0, "Done")
    points = tuple(points)
    best = smallest_meeting(points, utility_metric, target, config.repeats)
    return SweepResult(method=config.method, classifier=config.classifier, repeats=config.repeats, seed=config.seed,
                       utility_metric=utility_metric, utility_target=target, points=points,
                       smallest_epsilon=best.epsilon if best else None,
                       answer=answer_text(points, utility_metric, target, config.repeats))


def _number(value, spec: str) -> str:
    """A table cell: the number formatted, or a dash when there is none (never 'None' or 'nan')."""
    return "-" if value is None or pd.isna(value) else format(value, spec)


def readable_table(result: SweepResult) -> pd.DataFrame:
    """The sweep in words, as the privacy-utility dial shows it: one row per point, columns in words, text cells
    (no None), few enough columns to fit 1440 px without scrolling sideways (the full table is in sweep.csv / the
    CLI)."""
    metric, rows = result.utility_metric, []
    for point, row in zip(result.points, result.table().itertuples()):
        gain = point.gain(metric)
        rows.append({
            "epsilon asked": "no privacy" if not point.private else f"{point.epsilon:g}",
            "epsilon spent": _number(point.epsilon_spent, ".3g"),
            "delta": _number(point.delta, ".1e"),
            f"{UTILITY_METRICS[metric]} gain (95% interval)": "-" if gain is None else
            (f"{gain.mean:+.3f} ({gain.ci_low:+.3f} to {gain.ci_high:+.3f})" if result.repeats >= MIN_REPEATS
             else f"{gain.mean:+.3f} (no interval under {MIN_REPEATS} repeats)"),
            "meets your target": "-" if not point.private else ("yes" if row.meets_target else "no"),
            "quality": _number(point.quality_score, ".2f"),
            "closer to training (share)": _number(point.dcr_share_vs_holdout, ".2f"),
            "seconds": _number(point.seconds, ".0f"),
            "note": point.error or ""})
    return pd.DataFrame(rows)
