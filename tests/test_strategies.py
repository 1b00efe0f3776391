"""The one strategy vocabulary (core/strategies.py): consistent with itself and with the registry, and no internal
name (`class_weighted_default`, `augmented_tuned`) reaches a text a person reads: the model card (Markdown and
HTML), the Summary card, the race's explanation, the Comparison's verdict and the decision record's sentences."""
from __future__ import annotations

import re

import pytest

from core.card_render import to_html, to_markdown
from core.config import RunConfig
from core.decision import decision_record
from core.evaluation import ARMS as EVALUATED_ARMS
from core.evaluation import NO_SYNTHETIC_ARMS
from core.generators.registry import REGISTRY
from core.pipeline import prepare, run_experiment, with_race
from core.race import race_prepared
from core.report import build_model_card
from core.strategies import (
    ARM_LABELS,
    ARMS,
    GENERATOR_ARM,
    NO_GENERATION,
    ORDER,
    PICK_ORDER,
    STRATEGIES,
    STRATEGY_OF_ARM,
    choice_words,
    judged_arm,
    kind_of,
    strategy_words,
)
from core.summary import to_html as summary_html

INTERNAL = sorted({name for name in [*STRATEGIES, *ARMS, *REGISTRY] if "_" in name}, key=len, reverse=True)
INTERNAL_NAME = re.compile(r"(?<![\w-])(" + "|".join(INTERNAL) + r")(?![\w-])")


def internal_names(text: str) -> list[str]:
    """Internal names in `text`, escaped Markdown included (`class\\_weighted\\_default` reads as the name)."""
    return INTERNAL_NAME.findall(text.replace("\\", ""))


def test_the_arms_are_the_ones_the_comparison_fits():
    assert tuple(ARMS) == EVALUATED_ARMS
    assert {STRATEGIES[name].arm for name in NO_GENERATION} == set(NO_SYNTHETIC_ARMS)
    assert all(not ARMS[STRATEGIES[name].arm].synthetic for name in NO_GENERATION) and ARMS[GENERATOR_ARM].synthetic
    assert all(ARMS[STRATEGIES[name].arm].tuned == STRATEGIES[name].tuned for name in NO_GENERATION)


def test_each_strategy_is_judged_as_one_arm_and_back():
    assert {judged_arm(name): name for name in NO_GENERATION} == STRATEGY_OF_ARM
    assert judged_arm("smotenc") == GENERATOR_ARM == "augmented_tuned"
    assert kind_of("threshold_tuned") == "no_generation" and kind_of("smotenc") == "generator"


def test_words_are_distinct_and_generators_use_the_registry_labels():
    every = [*NO_GENERATION, *REGISTRY]
    assert len({strategy_words(name) for name in every}) == len(every)
    assert all(strategy_words(name) == REGISTRY[name].label for name in REGISTRY)
    assert len(set(ARM_LABELS.values())) == len(ARM_LABELS)
    assert not [word for name in every for word in internal_names(strategy_words(name) + choice_words(name))]


def test_the_orders():
    assert ORDER[:4] == NO_GENERATION == ("as_is", "class_weighted_default", "threshold_tuned", "class_weighted")
    assert PICK_ORDER == ("threshold_tuned", "class_weighted", "as_is", "class_weighted_default")  # tuned first
    assert set(ORDER) - set(NO_GENERATION) <= set(REGISTRY)


def test_the_pattern_finds_an_internal_name():
    """The check below is only worth something if it can fail."""
    assert internal_names("Strategy: class weights (method 'class_weighted_default').") == ["class_weighted_default"]
    assert internal_names("method class\\_weighted\\_default") == ["class_weighted_default"]  # as Markdown escapes it
    assert internal_names("as is, augmented-tuned, as_is2, threshold 0.5") == []


@pytest.fixture(scope="module")
def untuned_run(small_credit):
    """A run of a strategy without synthetic rows whose name is the longest internal one, with the race's story."""
    prepared = prepare(small_credit, 0.3, 42)
    race = race_prepared(prepared, folds=2, repeats=1, n_jobs=1, candidates=["as_is", "class_weighted_default",
                                                                             "smote"])
    config = RunConfig(target="credit_risk", method="class_weighted_default", repeats=3)
    return with_race(run_experiment(small_credit, config, n_jobs=1), race)


def test_no_internal_name_reaches_a_rendered_text(untuned_run):
    result = untuned_run
    card = build_model_card(result)
    record = decision_record(result)
    texts = {"model card (Markdown)": to_markdown(card), "model card (HTML)": to_html(card, result),
             "Summary card": summary_html(result), "race explanation": result.race.explanation,
             "verdict": result.comparison.verdict, "kept": record.kept.sentence,
             "monitored": record.kept.monitored_sentence}
    leaks = {where: internal_names(text) for where, text in texts.items() if internal_names(text)}
    assert leaks == {}
    assert "Class weights, threshold 0.5" in texts["model card (Markdown)"]  # the words, where the name was
