"""The decision record: one frozen tree that says what was chosen, with which classifier and settings, judged
against what, and the verdict. results.json's `decision` section is its serialisation; the model card, the
Summary and Monitor render it, and pages store it, so no surface re-derives which strategy, classifier,
reference or verdict applies.

Anchor: scikit-learn's fitted attributes (`best_params_`, `cv_results_`): the search's result is one object that
everything reads. `Inputs.key` is the identity of everything that changes a figure; a page compares it with the
current inputs to tell a current result from a stale one (`Inputs.changed`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from core.evaluation import (
    Decision,
    headline_gain,
    reference_difference,
    secondary_judgements,
)
from core.judgement import Judgement
from core.models import CLASSIFIERS
from core.pipeline import ExperimentResult
from core.race_results import RaceResult
from core.strategies import ARM_LABELS, REFERENCE_WORDS, STRATEGY_OF_ARM, strategy_words

INPUT_WORDS = {"table": "the table", "target": "the target", "types": "the column types", "cleaning": "the cleaning",
               "seed": "the split seed", "test_size": "the test share", "classifier": "the classifier",
               "strategy": "the strategy", "generation": "the generated rows"}


@dataclass(frozen=True)
class Inputs:
    """Everything that changes a figure, as plain values. generation: an identity of the synthetic rows judged
    ('' without them)."""
    table: str
    target: str
    types: tuple[tuple[str, str], ...]
    cleaning: str
    seed: int
    test_size: float
    classifier: str
    strategy: str
    generation: str = ""

    @property
    def key(self) -> str:
        """SHA-256 of the inputs (the record's key)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()

    def changed(self, other: Inputs, only: tuple[str, ...] | None = None) -> list[str]:
        """The names (INPUT_WORDS) of the inputs that differ from `other`, among `only` when given."""
        names = only or tuple(INPUT_WORDS)
        return [name for name in names if getattr(self, name) != getattr(other, name)]


def stale_text(what: str, computed: Inputs, now: Inputs, only: tuple[str, ...] | None = None) -> str:
    """'The comparison was computed for classifier logistic regression, before you changed the classifier.'
    ('' when nothing it depends on changed)."""
    changed = computed.changed(now, only)
    if not changed:
        return ""
    words = ", ".join(INPUT_WORDS[name] for name in changed)
    shown = "; ".join(f"{INPUT_WORDS[name]} {_shown(name, getattr(computed, name))}" for name in changed)
    return f"{what} was computed for {shown}, before you changed {words}: run it again to update it."


def _shown(name: str, value) -> str:
    if name == "table":
        return f"(SHA-256 {str(value)[:12]})"
    if name == "classifier":
        return CLASSIFIERS.get(value, value)
    if name == "strategy":
        return f"'{strategy_words(value)}'"
    if name == "types":
        return "as they were"
    if name == "generation":
        return "made before" if value else "none"
    return f"'{value}'" if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class RaceRecord:
    """The strategy race on the training part: each candidate's fold figures (name, label, minority F1 mean and
    corrected interval, PR-AUC mean), the pick, its kind, the margin and what it cost, the classifier, the folds
    and repeats, and its explanation."""
    candidates: tuple[tuple[str, str, float, float, float, float], ...]
    pick: str
    kind: str
    margin: float
    margin_cost: float
    classifier: str
    folds: int
    repeats: int
    explanation: str


@dataclass(frozen=True)
class Kept:
    """The strategy kept: its name and words, who chose it ('the race' or 'the analyst'), and the race's pick
    when the analyst chose another. monitored / monitored_arm: the strategy whose model goes forward (section 8
    of the card and Monitor watch it): the one judged, unless synthetic rows were judged and not earned, when it
    is the best option without synthetic rows."""
    strategy: str
    label: str
    chosen_by: str
    race_pick: str | None = None
    monitored: str = ""
    monitored_arm: str = ""

    @property
    def monitored_sentence(self) -> str:
        if self.monitored == self.strategy:
            return f"the model watched is the one judged: {self.label} ({ARM_LABELS[self.monitored_arm]})."
        return (f"the synthetic rows were not earned, so the model watched is the best option without synthetic "
                f"rows: {strategy_words(self.monitored)} ({ARM_LABELS[self.monitored_arm]}), not the augmented model.")

    @property
    def sentence(self) -> str:
        if self.chosen_by == "the race":
            return f"{self.label}, the strategy race's pick."
        if self.race_pick:
            return (f"{self.label}, chosen by the analyst (the strategy race picked "
                    f"{strategy_words(self.race_pick)}).")
        return f"{self.label}, chosen by the analyst, not from a strategy race on these inputs."


@dataclass(frozen=True)
class Generation:
    """The synthetic rows judged: the method asked for and used, how many rows, and the parameters."""
    method: str
    method_used: str
    rows: int
    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Judged:
    """What the Comparison judged against what: the subject arm, the reference (the best option without
    synthetic rows), the repeats, the headline verdict on minority F1, PR-AUC against the same reference, and the
    other references in the same words."""
    subject: str
    subject_words: str
    reference: str
    reference_words: str
    repeats: int
    minority_f1: Judgement
    pr_auc_gain: float
    pr_auc_ci: tuple[float | None, float | None]
    secondary: tuple[tuple[str, Judgement], ...]


@dataclass(frozen=True)
class DecisionRecord:
    """The one record of a run: inputs, race, strategy kept, generation, what was judged, and the verdict."""
    inputs: Inputs
    race: RaceRecord | None
    kept: Kept
    generation: Generation | None
    judged: Judged
    verdict: str  # core.evaluation.Decision's value
    verdict_words: str

    @property
    def key(self) -> str:
        return self.inputs.key

    def to_dict(self) -> dict:
        """results.json's `decision` section."""
        judged = self.judged
        return {
            "key": self.key,
            "inputs": {**asdict(self.inputs), "types": dict(self.inputs.types)},
            "race": None if self.race is None else {
                **{k: v for k, v in asdict(self.race).items() if k != "candidates"},
                "candidates": [{"name": n, "label": label, "minority_f1": f1, "ci_low": low, "ci_high": high,
                                "pr_auc": pr} for n, label, f1, low, high, pr in self.race.candidates]},
            "kept": {**asdict(self.kept), "sentence": self.kept.sentence,
                     "monitored_sentence": self.kept.monitored_sentence},
            "generation": None if self.generation is None else {**asdict(self.generation),
                                                                "params": dict(self.generation.params)},
            "judged": {"subject": judged.subject, "subject_words": judged.subject_words,
                       "reference": judged.reference, "reference_words": judged.reference_words,
                       "repeats": judged.repeats, "minority_f1": judged.minority_f1.to_dict(),
                       "pr_auc_gain": judged.pr_auc_gain, "pr_auc_ci_low": judged.pr_auc_ci[0],
                       "pr_auc_ci_high": judged.pr_auc_ci[1],
                       "secondary": [{"reference": r, "reference_words": REFERENCE_WORDS.get(r, r),
                                      **j.to_dict()} for r, j in judged.secondary]},
            "verdict": self.verdict, "verdict_words": self.verdict_words}


def inputs_of(result: ExperimentResult) -> Inputs:
    """The inputs of a run, read from its config and prepared data."""
    config, dataset = result.config, result.prepared.dataset
    synthetic = result.synthetic
    generation = ""
    if synthetic is not None:
        generation = hashlib.sha256(json.dumps([config.method, config.params, config.amount.rule,
                                                config.amount.value, config.drop_copies, list(config.rules)],
                                               sort_keys=True, default=str).encode()).hexdigest()
    return Inputs(table=dataset.sha256, target=dataset.target,
                  types=tuple(sorted((str(k), str(v)) for k, v in dataset.column_types.items())),
                  cleaning=str(config.cleaning), seed=int(config.seed), test_size=float(config.test_size),
                  classifier=config.classifier, strategy=config.method, generation=generation)


COMPARISON_INPUTS = ("table", "target", "types", "cleaning", "seed", "test_size", "classifier", "strategy")


def comparison_staleness(result: ExperimentResult, dataset, cleaning, seed: int, test_size: float, classifier: str,
                         strategy: str | None) -> str:
    """'' when the comparison `result` was computed for the inputs in force now (the dataset as validated now,
    the cleaning plan, split seed and test share, the classifier and the strategy chosen: None keeps the
    result's); otherwise stale_text's sentence naming what changed. The generated rows count as computed: new
    rows clear a comparison outright."""
    computed = inputs_of(result)
    now = Inputs(table=dataset.sha256, target=dataset.target,
                 types=tuple(sorted((str(k), str(v)) for k, v in dataset.column_types.items())),
                 cleaning=str(cleaning), seed=int(seed), test_size=float(test_size), classifier=classifier,
                 strategy=strategy or computed.strategy, generation=computed.generation)
    return stale_text("The comparison below", computed, now, COMPARISON_INPUTS)


def race_record(race: RaceResult) -> RaceRecord:
    """A core.race.RaceResult as the record's plain values."""
    nan = float("nan")
    return RaceRecord(
        candidates=tuple((c.name, c.label, c.minority_f1.mean if c.ran else nan,
                          c.minority_f1.ci_low if c.ran else nan, c.minority_f1.ci_high if c.ran else nan,
                          c.pr_auc.mean if c.ran else nan) for c in race.candidates),
        pick=race.recommended, kind=race.kind, margin=race.margin, margin_cost=race.margin_cost,
        classifier=race.classifier, folds=race.folds, repeats=race.repeats, explanation=race.explanation)


def decision_record(result: ExperimentResult, race: RaceResult | None = None) -> DecisionRecord:
    """The record of a run (race: the strategy race that ran on the same inputs, if any; default the one the
    run carries)."""
    race = race if race is not None else getattr(result, "race", None)
    comparison, config = result.comparison, result.config
    headline = headline_gain(comparison)
    pr = reference_difference(comparison, "pr_auc", headline.reference)
    method = config.method
    label = strategy_words(method)
    headline_arm = comparison.subject
    if comparison.subject == "augmented_tuned" and comparison.decision is not Decision.EARNED:
        headline_arm = headline.reference  # the verdict did not earn the synthetic rows: they do not go forward
    monitored = method if headline_arm == comparison.subject else STRATEGY_OF_ARM[headline_arm]
    if race is not None and race.recommended == method:
        kept = Kept(method, label, "the race", None, monitored, headline_arm)
    else:
        kept = Kept(method, label, "the analyst", race.recommended if race is not None else None, monitored,
                    headline_arm)
    synthetic = result.synthetic
    generation = None if synthetic is None else Generation(
        synthetic.method, synthetic.method_used, int(synthetic.n_synthetic),
        tuple(sorted((str(k), str(v)) for k, v in synthetic.params.items())))
    subject_words = ("with synthetic rows" if comparison.subject == "augmented_tuned"
                     else ARM_LABELS[comparison.subject])
    judged = Judged(subject=comparison.subject, subject_words=subject_words, reference=headline.reference,
                    reference_words=headline.reference_words, repeats=comparison.repeats,
                    minority_f1=headline.judgement, pr_auc_gain=pr.mean,
                    pr_auc_ci=(None, None) if pr.ci_low != pr.ci_low else (pr.ci_low, pr.ci_high),
                    secondary=tuple(secondary_judgements(comparison)))
    return DecisionRecord(inputs=inputs_of(result), race=race_record(race) if race is not None else None,
                          kept=kept, generation=generation, judged=judged, verdict=comparison.decision.value,
                          verdict_words=comparison.decision.words)



def monitored_config(result: ExperimentResult):
    """The run's config for the model that goes forward (`Kept.monitored`): what Monitor refits and watches."""
    from dataclasses import replace
    kept = decision_record(result).kept
    if kept.monitored == result.config.method:
        return result.config
    return replace(result.config, method=kept.monitored, params={})
