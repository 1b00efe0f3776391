"""One vocabulary for the strategies the app races, compares and reports, and for the arms they are judged as.

A strategy is what the analyst chooses: one of the four strategies without synthetic rows below, or a generator
of the registry (`core/generators/registry.py`, whose labels are its words). An arm is one model the Comparison
fits on every split (`core.evaluation.run_arms`); each strategy is judged as one arm: a strategy without synthetic
rows as its own arm, a generator as `augmented_tuned` (training plus synthetic rows, at its own tuned threshold).

Internal names (`class_weighted_default`) are for configs, `results.json` and code; everything a person reads (the
race, the Comparison, Compare generators, the card, the Summary, Monitor, the CLI's text) uses the words here.
Light on purpose: the first screen imports it (no scikit-learn, no registry at import time).
"""
from __future__ import annotations

from dataclasses import dataclass

NO_GENERATION_KIND, GENERATOR_KIND = "no_generation", "generator"  # a strategy's kind, as results.json writes it


@dataclass(frozen=True)
class Arm:
    """One model of the Comparison: its words in tables and charts, its shorter words on the Summary's chart
    (None: not drawn there), whether its threshold is tuned and whether it trains on synthetic rows."""
    name: str
    words: str
    summary_words: str | None
    tuned: bool
    synthetic: bool


@dataclass(frozen=True)
class Strategy:
    """A strategy without synthetic rows: words for a list or a heading, a phrase for a sentence, the arm it is
    judged as, and whether its threshold is tuned (tuned ones come first where the analyst picks)."""
    name: str
    words: str
    phrase: str
    arm: str
    tuned: bool
    kind: str = NO_GENERATION_KIND

    @property
    def chosen_words(self) -> str:
        """The strategy as the analyst's choice in a sentence: 'a tuned threshold, no synthetic rows'."""
        return f"{self.phrase}, no synthetic rows"


ARMS = {arm.name: arm for arm in (
    Arm("baseline", "baseline", None, tuned=False, synthetic=False),
    Arm("threshold_tuned", "baseline, tuned threshold", "tuned threshold", tuned=True, synthetic=False),
    Arm("class_weighted", "class weights", None, tuned=False, synthetic=False),
    Arm("class_weighted_tuned", "class weights, tuned threshold", "class weights", tuned=True, synthetic=False),
    Arm("augmented", "augmented", None, tuned=False, synthetic=True),
    Arm("augmented_tuned", "augmented, tuned threshold", "with synthetic rows", tuned=True, synthetic=True),
    # the key keeps the results.json contract's name; it is not train-on-synthetic-only
    Arm("tstr", "real majority + synthetic minority", None, tuned=False, synthetic=True),
)}
ARM_LABELS = {name: arm.words for name, arm in ARMS.items()}
SUMMARY_ARM_LABELS = {name: arm.summary_words for name, arm in ARMS.items() if arm.summary_words}
GENERATOR_ARM = "augmented_tuned"  # the arm every generator is judged as

# in the race's display order (a tie of the best mean goes to the earlier one; the rule has no simplicity order)
STRATEGIES = {strategy.name: strategy for strategy in (
    Strategy("as_is", "As is (no weights, threshold 0.5)", "the untuned baseline", "baseline", tuned=False),
    Strategy("class_weighted_default", "Class weights, threshold 0.5", "class weights at 0.5", "class_weighted",
             tuned=False),
    Strategy("threshold_tuned", "Tuned threshold only", "a tuned threshold", "threshold_tuned", tuned=True),
    Strategy("class_weighted", "Class weights + tuned threshold", "class weights with a tuned threshold",
             "class_weighted_tuned", tuned=True),
)}
NO_GENERATION = tuple(STRATEGIES)
PICK_ORDER = tuple(sorted(NO_GENERATION, key=lambda name: not STRATEGIES[name].tuned))  # tuned ones first
UNTUNED = tuple(name for name, strategy in STRATEGIES.items() if not strategy.tuned)  # scored at threshold 0.5
STRATEGY_OF_ARM = {strategy.arm: name for name, strategy in STRATEGIES.items()}
REFERENCE_WORDS = {strategy.arm: strategy.phrase for strategy in STRATEGIES.values()}  # an arm as a reference
# Display order only: the strategies without synthetic rows, then the generators from the cheapest
ORDER = (*NO_GENERATION, "random_oversampler", "smote", "smotenc", "smoten", "borderline_smote", "adasyn",
         "svm_smote", "kmeans_smote", "gaussian_copula", "tvae", "ctgan")


def kind_of(name: str) -> str:
    """'no_generation' for a strategy without synthetic rows, 'generator' for a registry method."""
    return NO_GENERATION_KIND if name in STRATEGIES else GENERATOR_KIND


def judged_arm(name: str) -> str:
    """The arm a strategy is judged as on the Comparison."""
    return STRATEGIES[name].arm if name in STRATEGIES else GENERATOR_ARM


def strategy_words(name: str) -> str:
    """A strategy's name for people: 'Tuned threshold only', or a generator's registry label ('SMOTE-NC')."""
    if name in STRATEGIES:
        return STRATEGIES[name].words
    from core.generators.registry import REGISTRY  # loaded only when a generator is named

    return REGISTRY[name].label


def choice_words(name: str) -> str:
    """A strategy in a list of choices that mixes both kinds: 'Tuned threshold only, no synthetic rows',
    'Synthetic rows from SMOTE-NC'."""
    if name in STRATEGIES:
        return f"{STRATEGIES[name].words}, no synthetic rows"
    return f"Synthetic rows from {strategy_words(name)}"


def display_order(name: str) -> int:
    """Position in ORDER (unknown names last)."""
    return ORDER.index(name) if name in ORDER else len(ORDER)
