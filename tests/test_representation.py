"""Group representation on a constructed case: shares, flags, copies and DCR per group, binned numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.representation import OVER, UNDER, group_edges, group_labels, group_representation


def test_shares_flags_copies_and_dcr_per_group():
    real = pd.DataFrame({"group": ["A"] * 6 + ["B"] * 4, "age": range(1, 11)})
    synthetic = pd.DataFrame({"group": ["A"] * 9 + ["B"], "age": [1.5] * 5 + [9.5] * 5})
    copies = np.array([True, True] + [False] * 8)
    dcr = np.array([0.0, 0.0, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 2.0])
    result = group_representation(real, synthetic, "group", numeric=False, copy_mask=copies, dcr=dcr)
    table = result.table().set_index("group")
    assert table["real_share"].tolist() == [0.6, 0.4] and table["synthetic_share"].tolist() == [0.9, 0.1]
    assert table["difference"].round(6).tolist() == [0.3, -0.3]
    assert table["flag"].tolist() == [OVER, UNDER] and [g.group for g in result.flagged] == ["A", "B"]
    assert table.loc["A", "copies"] == 2 and table.loc["A", "copy_share"] == pytest.approx(2 / 9)
    assert table.loc["B", "copies"] == 0 and table.loc["A", "median_dcr"] == 0.5 and table.loc["B", "median_dcr"] == 2.0
    # a looser limit flags nothing; a synthetic-only group is listed with no real rows
    assert not group_representation(real, synthetic, "group", False, limit=0.35).flagged
    extra = group_representation(real, synthetic.assign(group=["A"] * 9 + ["C"]), "group", False)
    assert extra.table().set_index("group").loc["C", "real_rows"] == 0 and extra.groups[0].copies is None


def test_numbers_are_binned_at_the_real_quartiles():
    real = pd.DataFrame({"age": [20, 30, 40, 50, 60, 70, 80, 90]})
    edges = group_edges(real["age"])
    assert edges.tolist() == [-np.inf, 37.5, 55.0, 72.5, np.inf]
    labels = group_labels(pd.Series([10, 37.5, 100, np.nan]), edges)
    assert labels.tolist() == ["-inf to 37.5", "37.5 to 55", "72.5 to inf", "<missing>"]
    synthetic = pd.DataFrame({"age": [21, 22, 23, 24, 25, 26, 85, 86]})  # six of eight in the first quarter
    result = group_representation(real, synthetic, "age", numeric=True)
    assert result.binned and [g.real_share for g in result.groups] == [0.25] * 4
    first = result.groups[0]
    assert first.group == "-inf to 37.5" and first.synthetic_share == 0.75 and first.flag == OVER


def test_bad_attribute_or_limit():
    real = pd.DataFrame({"a": ["x", "y"]})
    with pytest.raises(DataError, match="'b' is not a column"):
        group_representation(real, real, "b", False)
    with pytest.raises(DataError, match="between 0 and 1"):
        group_representation(real, real, "a", False, limit=1.5)
