"""The instant ranking reads top to bottom: its scores fall with the rank, and a method that cannot run has none."""
from __future__ import annotations

import pandas as pd

from tests.apptest_helpers import go, open_app


def test_the_rankings_score_follows_its_rank():
    at = go(open_app(), "method")
    assert not at.exception
    ranking = next(d.value for d in at.dataframe if "rank" in d.value.columns)
    assert list(ranking["rank"]) == list(range(1, len(ranking) + 1))
    usable, unusable = ranking[ranking["usable"] == "yes"], ranking[ranking["usable"] == "no"]
    assert len(usable) >= 3 and len(unusable) >= 1  # German credit: mixed columns rule out numbers-only methods
    assert usable["score"].is_monotonic_decreasing and usable["score"].notna().all()
    assert unusable["score"].isna().all() and ranking.index.get_indexer(unusable.index).min() > len(usable) - 1
    assert pd.api.types.is_numeric_dtype(ranking["score"])
