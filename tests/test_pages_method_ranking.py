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
    assert pd.to_numeric(usable["score"]).is_monotonic_decreasing  # every usable method has a number
    # one that cannot run has a blank score (not a 'None' cell), and ranks below every usable one
    assert (unusable["score"] == "").all() and ranking.index.get_indexer(unusable.index).min() > len(usable) - 1
    assert not ranking.isna().to_numpy().any()
