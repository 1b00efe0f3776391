"""Column kinds (core.column_kinds): each kind inferred from its values; types the analyst should not have to fix:
a few text levels among numbers make a categorical column (with a note); a number column with stray text is still
refused with the cell named."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import BOOLEAN, CATEGORICAL, CONSTANT, DATETIME, IDENTIFIER, INTEGER, NUMERIC, validate_dataset
from core.errors import DataError
from core.reading import read_table


def _car_like(n: int = 200, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"doors": rng.choice(["2", "3", "4", "5more"], n),
                          "persons": rng.choice(["2", "4", "more"], n),
                          "price": rng.normal(10_000, 2_000, n).round(0),
                          "class": np.where(rng.random(n) < 0.15, "good", "unacc")})
    return frame.to_csv(index=False).encode()


def test_doors_with_5more_is_read_as_categorical_with_a_note():
    table = read_table(_car_like(), "car.csv")
    assert table.column_types["doors"] == CATEGORICAL and table.column_types["persons"] == CATEGORICAL
    assert table.mixed_columns == ()
    assert any("Column 'doors' mixes numbers with a few text levels ('5more')" in n for n in table.notes)
    dataset = validate_dataset(table, "class")
    assert set(dataset.frame["doors"].astype(str)) == {"2", "3", "4", "5more"}


def test_a_number_column_with_stray_text_is_still_refused():
    rng = np.random.default_rng(1)
    values = rng.normal(50, 10, 60).round(2).astype(object)
    values[7] = "n/a yet"
    raw = pd.DataFrame({"income": values, "label": ["a", "b"] * 30}).to_csv(index=False).encode()
    table = read_table(raw, "income.csv")
    assert table.mixed_columns == ("income",)
    with pytest.raises(DataError, match="Column 'income' mixes numbers and text"):
        validate_dataset(table, "label")
    small = read_table(b"a,label\n1,x\n2,y\n3,x\nabc,y\n5,x\n", "small.csv")  # one-off text among few values
    assert small.mixed_columns == ("a",)


def test_kinds_are_inferred():
    n = 40
    frame = pd.DataFrame({
        "row_id": range(1, n + 1), "amount": np.linspace(0.5, 20.5, n), "count": [i % 7 for i in range(n)],
        "flag": ["t", "f"] * (n // 2), "colour": ["red", "blue", "green", "red"] * (n // 4),
        "when": [f"2024-01-{1 + i % 28:02d}" for i in range(n)], "same": ["k"] * n,
        "note": [f"free text {i}" for i in range(n)], "label": ["a", "b"] * (n // 2)})
    t = read_table(frame.to_csv(index=False).encode(), "k.csv")
    assert t.column_types == {"row_id": IDENTIFIER, "amount": NUMERIC, "count": INTEGER, "flag": BOOLEAN,
                              "colour": CATEGORICAL, "when": DATETIME, "same": CONSTANT, "note": IDENTIFIER,
                              "label": CATEGORICAL}
    ds = validate_dataset(t, "label")
    assert "row_id" not in ds.features and "same" not in ds.features and "note" not in ds.features
    assert pd.api.types.is_datetime64_any_dtype(ds.frame["when"])
