"""Write the hostile and awkward input files in tests/data/bad/ (run once; the files are committed).

python tests/data/make_bad_files.py
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent / "bad"


def table(rows: int = 60, minority: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 80, rows), "income": rng.normal(3000, 800, rows).round(2),
                         "region": rng.choice(["north", "south", "east"], rows),
                         "label": ["yes"] * minority + ["no"] * (rows - minority)})


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        "empty.csv": b"",
        "header_only.csv": b"age,income,label\n",
        "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20,
        "one_column.csv": b"label\nyes\nno\nno\n",
        "duplicated_names.csv": b"age,age,label\n1,2,yes\n3,4,no\n5,6,no\n",
        "one_class.csv": table().assign(label="no").to_csv(index=False).encode(),
        "minority_1.csv": table(minority=1).to_csv(index=False).encode(),
        "minority_2.csv": table(minority=2).to_csv(index=False).encode(),
        "minority_3.csv": table(minority=3).to_csv(index=False).encode(),
        "infinities.csv": table().assign(income=lambda f: f["income"].where(f.index != 5, np.inf)).to_csv(
            index=False).encode(),
        "semicolon_decimal_comma.csv": table().to_csv(index=False, sep=";", decimal=",").encode(),
        "utf16.csv": table().to_csv(index=False).encode("utf-16"),
        "float_target.csv": table().assign(label=lambda f: np.where(f["label"] == "yes", 1.0, 0.0)).to_csv(
            index=False).encode(),
        "five_classes.csv": table(rows=100).assign(label=["a"] * 50 + ["b"] * 20 + ["c"] * 15 + ["d"] * 10 + ["e"] * 5)
        .to_csv(index=False).encode(),
        "datetime_column.csv": table().assign(opened=pd.date_range("2023-01-01", periods=60, freq="7D")
                                              .strftime("%Y-%m-%d")).to_csv(index=False).encode(),
        "high_cardinality_text.csv": table().assign(comment=[f"customer note number {i} about the account"
                                                             for i in range(60)]).to_csv(index=False).encode(),
        "odd_names.csv": table().rename(columns={"age": "credit amount", "income": 'quote"d',
                                                 "region": "emoji \U0001F600", "label": "<script>alert(1)</script>"})
        .to_csv(index=False).encode(),
        "formula_cells.csv": table().assign(region=["=cmd|' /C calc'!A0", "+SUM(1,2)", "@HYPERLINK(1)", "-2+3", "plain"]
                                            * 12).to_csv(index=False).encode(),
        "wide_200_columns.csv": pd.concat([pd.DataFrame(np.random.default_rng(1).normal(size=(80, 199)).round(3),
                                                        columns=[f"x{i:03d}" for i in range(199)]),
                                           pd.DataFrame({"label": ["yes"] * 16 + ["no"] * 64})], axis=1)
        .to_csv(index=False).encode(),
    }
    mixed = table().astype({"income": object})
    mixed.loc[7, "income"] = "n/a yet"
    files["mixed_numbers_text.csv"] = mixed.to_csv(index=False).encode()
    files["no_target.csv"] = table().drop(columns="label").to_csv(index=False).encode()
    files.update(parquet_files())
    files["markdown_names.csv"] = table().rename(columns={"region": "![x](http://host/leak.png)"}).assign(
        label=["[click](http://host)"] * 12 + ["no"] * 48).to_csv(index=False).encode()
    files["look_alike_labels.csv"] = table().assign(
        label=["positive"] * 6 + ["Positive "] * 4 + [" POSITIVE"] * 3 + ["negative"] * 47).to_csv(index=False).encode()
    for name, raw in files.items():
        (HERE / name).write_bytes(raw)


def parquet(frame: pd.DataFrame, **options) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, **options)
    return buffer.getvalue()


def parquet_files() -> dict[str, bytes]:
    """Parquet files whose dtypes or metadata a CSV cannot carry."""
    rng = np.random.default_rng(2)
    rows = 200
    levels = {f"c{i}": [f"level_{i}_{j}" for j in range(120)] for i in range(5)}
    # 5 `category` columns of 120 declared levels: grouping over them with pandas' observed=False default asks
    # for 120**5 groups (27 GiB)
    many = pd.DataFrame({col: pd.Categorical(rng.choice(names[:40], rows), categories=names)
                         for col, names in levels.items()})
    many = many.assign(amount=rng.normal(100, 20, rows).round(2), label=pd.Categorical(["yes"] * 30 + ["no"] * 170))
    formulas = table().assign(
        region=pd.Categorical(["=HYPERLINK(\"http://host\",\"x\")", "+SUM(1,2)", "north", "-2+3", "@A1"] * 12),
        note=pd.array(["=1+1", "\tTAB", "plain", None, "\r=CR", "-5"] * 10, dtype="string"))
    over = pd.DataFrame({"x": np.zeros(2_000_001, dtype=np.int8), "label": np.zeros(2_000_001, dtype=np.int8)})
    return {"many_levels.parquet": parquet(many), "formula_dtypes.parquet": parquet(formulas),
            "rows_over_limit.parquet": parquet(over, compression="zstd"), "dictionary_bomb.parquet": dictionary_bomb()}


def dictionary_bomb(rows: int = 200_000, width: int = 20_000) -> bytes:
    """A 2 KB Parquet file whose one 20,000-character value, dictionary-encoded, fills 200,000 rows: 4 GB once
    decoded, while its metadata says 2 KB. Built from Arrow indices, so writing it never expands the value; no
    Arrow schema is stored, so a reader sees a plain text column."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    note = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * width]))
    label = pa.DictionaryArray.from_arrays(pa.array((np.arange(rows) % 5 == 0).astype(np.int32)),
                                           pa.array(["no", "yes"]))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"note": note, "label": label}), buffer, compression="zstd", store_schema=False)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
