"""The identities a session compares (core/identity.py): a dataset's and a preparation's, hand-written."""
from __future__ import annotations

from types import SimpleNamespace

from core.cleaning import CleaningPlan
from core.identity import dataset_key, preparation_key, prepared_key


def _dataset(**changes):
    return SimpleNamespace(**{"sha256": "abc", "target": "y", "column_types": {"b": "numeric", "a": "categorical"},
                              **changes})


def test_a_preparation_is_named_by_its_data_split_and_cleaning():
    plan = CleaningPlan()
    key = preparation_key(_dataset(), 42, 0.3, plan)
    assert key == f"abc|y|[('a', 'categorical'), ('b', 'numeric')]|42|0.3|{plan}"
    changed = [preparation_key(_dataset(sha256="abd"), 42, 0.3, plan), preparation_key(_dataset(target="z"), 42,
               0.3, plan), preparation_key(_dataset(column_types={"a": "numeric", "b": "numeric"}), 42, 0.3, plan),
               preparation_key(_dataset(), 43, 0.3, plan), preparation_key(_dataset(), 42, 0.25, plan),
               preparation_key(_dataset(), 42, 0.3, CleaningPlan(missing="median_mode"))]
    assert key not in changed and len(set(changed)) == len(changed)
    prepared = SimpleNamespace(dataset=_dataset(), split=SimpleNamespace(seed=42, test_size=0.3),
                               cleaning=SimpleNamespace(plan=plan))
    assert prepared_key(prepared) == key


def test_a_dataset_is_named_by_its_content_target_and_types_in_any_order():
    assert dataset_key(_dataset()) == ("abc", "y", (("a", "categorical"), ("b", "numeric")))
    assert dataset_key(_dataset(column_types={"a": "categorical", "b": "numeric"})) == dataset_key(_dataset())
