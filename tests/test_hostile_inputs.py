"""Every file in tests/data/bad/ gives a specific outcome, the same in core, the CLI and the app:
a clear error for what cannot be used, a correct load (and generation) for what is only awkward."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cleaning import clean_training
from core.cli.main import main
from core.config import RunConfig, config_json
from core.constraints import build_constraints, rule_mask
from core.data import (
    DATETIME,
    IDENTIFIER,
    LARGE_TABLE_ROWS,
    is_large,
    merge_similar_labels,
    sha256_of,
    similar_labels,
    stratified_sample,
    validate_dataset,
)
from core.errors import ConfigError, DataError, SynthBalanceError
from core.export import to_csv_text
from core.pipeline import augmented, prepare, synthesize
from core.reading import MAX_ROWS, MAX_UPLOAD_MB, _parquet_frame, read_path, read_table
from core.text import escape_markdown
from core.validation.validate import validate_synthetic, without_copies
from tests.apptest_helpers import errors, go, metrics, open_app, open_with_upload

BAD = Path(__file__).resolve().parent / "data" / "bad"
LOAD_ERRORS = {  # file -> (target, words the message must contain)
    "empty.csv": ("label", "The file is empty"),
    "header_only.csv": ("label", "header but no data rows"),
    "binary.csv": ("label", "binary bytes"),
    "one_column.csv": ("label", "Only one column was found"),
    "duplicated_names.csv": ("label", "Column names appear more than once: 'age'"),
    "no_target.csv": ("label", "The target column 'label' is not in the file"),
    "one_class.csv": ("label", "has only one class ('no')"),
    "minority_1.csv": ("label", "Class 'yes' of 'label' has a single row"),
    "mixed_numbers_text.csv": ("label", "Column 'income' mixes numbers and text"),
    "infinities.csv": ("label", "Column 'income' holds 1 infinite values"),
    "rows_over_limit.parquet": ("label", "2,000,001 rows, over the 2,000,000-row limit"),
    "dictionary_bomb.parquet": ("label", "MB limit (its dictionary encoding repeats values"),
}
GENERATION_ERRORS = {"minority_2.csv": ("label", "Class 'yes' has 1 training row")}
AWKWARD = {  # file -> target; each also has a check below
    "minority_3.csv": "label", "semicolon_decimal_comma.csv": "label", "utf16.csv": "label",
    "float_target.csv": "label", "five_classes.csv": "label", "datetime_column.csv": "label",
    "high_cardinality_text.csv": "label", "odd_names.csv": "<script>alert(1)</script>",
    "formula_cells.csv": "label", "wide_200_columns.csv": "label", "many_levels.parquet": "label",
    "formula_dtypes.parquet": "label", "markdown_names.csv": "label", "look_alike_labels.csv": "label"}


def test_every_file_is_covered():
    assert {p.name for p in BAD.iterdir()} == set(LOAD_ERRORS) | set(GENERATION_ERRORS) | set(AWKWARD)


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_core_refuses_with_a_specific_message(name):
    target, words = LOAD_ERRORS[name]
    with pytest.raises(SynthBalanceError) as caught:
        validate_dataset(read_path(BAD / name), target)
    assert words in str(caught.value)


@pytest.mark.parametrize("name", sorted(GENERATION_ERRORS))
def test_generation_refuses_with_a_specific_message(name):
    target, words = GENERATION_ERRORS[name]
    prepared = prepare(validate_dataset(read_path(BAD / name), target))
    with pytest.raises(SynthBalanceError, match=words):
        synthesize(prepared, "smote")


def generated(name: str, method: str = "smote"):
    dataset = validate_dataset(read_path(BAD / name), AWKWARD[name])
    prepared = prepare(dataset)
    return dataset, prepared, synthesize(prepared, method)


def test_awkward_files_load_and_generate():
    ds, prep, result = generated("minority_3.csv")
    assert prep.train_class_counts["yes"] == 2 and result.produced["yes"] == prep.train_class_counts["no"] - 2
    ds, _, _ = generated("semicolon_decimal_comma.csv")
    assert ds.column_types["income"] == "numeric" and any("decimal commas" in n for n in ds.notes)
    ds, _, _ = generated("utf16.csv")
    assert any("utf-16" in n for n in ds.notes) and len(ds.frame) == 60
    ds, _, result = generated("float_target.csv")
    assert set(ds.class_counts.index) == {"0", "1"} and set(result.rows["label"]) == {"1"}
    ds, prep, result = generated("five_classes.csv")
    assert prep.profile.is_multiclass and prep.profile.minority_classes == ["b", "c", "d", "e"]
    assert set(result.produced) == {"b", "c", "d", "e"}
    ds, prep, result = generated("datetime_column.csv")
    assert ds.column_types["opened"] == DATETIME
    assert result.rows["opened"].between(prep.train["opened"].min(), prep.train["opened"].max()).all()
    ds, _, result = generated("high_cardinality_text.csv")
    assert ds.column_types["comment"] == IDENTIFIER and "comment" not in ds.features
    assert result.rows["comment"].isna().all()
    ds, prep, result = generated("wide_200_columns.csv")
    assert len(ds.features) == 199 and result.produced["yes"] > 0


def test_odd_column_names_survive_generation_and_export():
    ds, prep, result = generated("odd_names.csv", "smotenc")
    header = to_csv_text(result.rows, ds.column_types).splitlines()[0]
    assert header == 'credit amount,"quote""d",emoji \U0001F600,<script>alert(1)</script>'


def test_formula_cells_are_neutralised_in_exports():
    ds, prep, result = generated("formula_cells.csv", "random_oversampler")
    exported = pd.read_csv(io.StringIO(to_csv_text(augmented(prep, result), ds.column_types)))
    region = exported["region"].astype(str)
    assert not region.str.match(r"^[=+\-@]").any()
    assert set(region) >= {"'=cmd|' /C calc'!A0", "'+SUM(1,2)", "'@HYPERLINK(1)", "'-2+3", "plain"}


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_cli_exits_2_with_one_line(name, capsys):
    target, words = LOAD_ERRORS[name]
    assert main(["analyze", "--data", str(BAD / name), "--target", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_cli_generation_error_and_awkward_success(tmp_path, capsys):
    assert main(["generate", "--data", str(BAD / "minority_2.csv"), "--target", "label", "--method", "smote",
                 "--out", str(tmp_path / "a")]) == 2
    assert "Class 'yes' has 1 training row" in capsys.readouterr().err
    for name, target in AWKWARD.items():
        assert main(["analyze", "--data", str(BAD / name), "--target", target]) == 0, name


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_app_shows_the_message_and_keeps_working(name):
    target, words = LOAD_ERRORS[name]
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, (BAD / name).read_bytes(), "text/csv")).run()
    assert not at.exception
    table = at.session_state["table"]
    if table.name == name:  # the file itself loaded; the problem is the target the analyst picks
        target_box = next(s for s in at.selectbox if s.label.startswith("Target column"))
        if target not in target_box.options:  # a missing column cannot be picked in the app
            assert name == "no_target.csv" and at.session_state["target"] in target_box.options
            return
        target_box.set_value(target).run()
        assert not at.exception
    else:
        assert table.name == "german_credit.csv"  # refused: the previous table is still loaded
    assert any(words in e for e in errors(at)), errors(at)


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_app_loads_awkward_files(name):
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, (BAD / name).read_bytes(), "text/csv")).run()
    assert not at.exception
    assert at.session_state["table"].name == name
    assert not errors(at), errors(at)


def test_large_file_is_offered_a_stratified_sample():
    rng = np.random.default_rng(0)
    rows = 250_000
    frame = pd.DataFrame({"a": rng.normal(size=rows).round(3), "b": rng.integers(0, 9, rows),
                          "label": np.where(rng.random(rows) < 0.01, "rare", "common")})
    raw = frame.to_csv(index=False).encode()
    table = read_table(raw, "big.csv")
    assert is_large(table)
    sample = stratified_sample(table, "label", seed=1)
    assert abs(len(sample.frame) - LARGE_TABLE_ROWS) <= 2
    share = (frame["label"] == "rare").mean()
    assert (sample.frame["label"] == "rare").mean() == pytest.approx(share, abs=0.0005)
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("big.csv", raw, "text/csv")).run()
    assert not at.exception and any("250,000 rows" in w.value for w in at.warning)
    at.button(key="use_sample").click().run()
    assert not at.exception
    assert metrics(at)["Rows"] == f"{len(sample.frame) - 0:,}" or metrics(at)["Rows"].startswith("200,0")
    assert not any("250,000 rows" in w.value for w in at.warning)


# Round two: classes of problems found by review (issue 12). Each is a table row run through core, CLI and app.

def test_category_columns_with_many_levels_generate():
    """5 `category` columns of 120 declared levels: pandas' observed=False would group 120**5 combinations."""
    raw = pd.read_parquet(BAD / "many_levels.parquet")
    assert isinstance(raw["c0"].dtype, pd.CategoricalDtype) and len(raw["c0"].cat.categories) == 120
    ds, prep, result = generated("many_levels.parquet")
    assert not any(isinstance(d, pd.CategoricalDtype) for d in ds.frame.dtypes)
    assert ds.column_types["c0"] == "categorical" and ds.frame["c0"].nunique() == 40
    assert result.produced["yes"] == prep.train_class_counts["no"] - prep.train_class_counts["yes"]
    assert set(result.rows["c0"]) <= set(prep.train["c0"])
    # the groupby itself is safe when a caller hands core a frame that still has category dtypes
    features = [c for c in raw.columns if c != "label"]
    kinds = {c: "categorical" for c in features} | {"amount": "numeric"}
    cleaned = clean_training(raw.assign(label=raw["label"].astype(str)), "label", features, kinds, "yes")
    assert cleaned.conflicting_duplicates == 0 and len(cleaned.train) == 200


def test_cli_generates_from_the_many_levels_parquet(tmp_path):
    assert main(["generate", "--data", str(BAD / "many_levels.parquet"), "--target", "label", "--method", "smotenc",
                 "--out", str(tmp_path)]) == 0
    rows = pd.read_csv(tmp_path / "synthetic.csv")
    assert len(rows) == 98 and set(rows["label"]) == {"yes"}


FORMULA_PREFIX = r"^[=+\-@\t\r]"


def test_formulas_in_category_and_string_dtypes_are_neutralised(tmp_path):
    raw = pd.read_parquet(BAD / "formula_dtypes.parquet")
    assert isinstance(raw["region"].dtype, pd.CategoricalDtype) and isinstance(raw["note"].dtype, pd.StringDtype)
    exported = pd.read_csv(io.StringIO(to_csv_text(raw)), keep_default_na=False)  # no kinds: any table works
    assert set(exported["region"]) == {"'=HYPERLINK(\"http://host\",\"x\")", "'+SUM(1,2)", "north", "'-2+3", "'@A1"}
    assert set(exported["note"]) == {"'=1+1", "'\tTAB", "plain", "", "'\r=CR", "-5"}  # a plain number stays
    assert main(["generate", "--data", str(BAD / "formula_dtypes.parquet"), "--target", "label", "--method",
                 "random_oversampler", "--out", str(tmp_path)]) == 0
    for name in ("synthetic.csv", "augmented_train.csv"):
        frame = pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False)
        for col in ("region", "note"):
            assert not frame[col].str.match(FORMULA_PREFIX).any() or set(
                frame.loc[frame[col].str.match(FORMULA_PREFIX), col]) == {"-5"}, (name, col)
        assert frame["region"].str.startswith("'=HYPERLINK").any() or name == "synthetic.csv"


@pytest.mark.parametrize("cell,expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\r=1", "'\r=1"), ("-5", "-5"), ("+1.5e3", "+1.5e3"), ("plain", "plain"), ("a=b", "a=b")])
def test_every_dtype_neutralises_the_same_cells(cell, expected):
    for values in (pd.Series([cell, "z"], dtype=object), pd.Series([cell, "z"], dtype="category"),
                   pd.Series([cell, "z"], dtype="string")):
        board = pd.DataFrame({"method": ["smote", "x"], "error": values, "gain": [-0.5, 0.1]})
        exported = pd.read_csv(io.StringIO(to_csv_text(board)), dtype=str, keep_default_na=False)
        assert exported["error"].tolist() == [expected, "z"] and exported["gain"].tolist() == ["-0.5", "0.1"]


def test_markdown_card_escapes_user_labels_and_column_names(tmp_path):
    assert main(["run", "--data", str(BAD / "markdown_names.csv"), "--target", "label", "--method",
                 "random_oversampler", "--repeats", "1", "--out", str(tmp_path)]) == 0
    card = (tmp_path / "model_card.md").read_text()
    assert not re.search(r"(?<!\\)\]\(", card) and "[click](" not in card and "<img" not in card
    assert "\\[click\\](http\\://host)" in card and "!\\[x\\](http\\://host/leak.png)" in card
    assert "| R3 reproducibility | seed 42" in card  # the app's own text is not escaped


@pytest.mark.parametrize("text,shown", [
    ("[click](http://host)", "\\[click\\](http\\://host)"), ("![x](http://host/leak.png)", "!\\[x\\](http\\://host/leak.png)"),
    ("<img src=x>", "\\<img src=x\\>"), ("www.host.org", "www\\.host.org"), ("a@host.org", "a\\@host.org"),
    ("*bold* _it_ ~~s~~ `code`", "\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\`code\\`"), ("$x^2$", "\\$x^2\\$"),
    ("# title", "\\# title"), ("- item", "\\- item"), ("1. item", "1\\. item"), ("a|b", "a\\|b"),
    ("line\nbreak", "line break"), ("back\\slash", "back\\\\slash"), (":red[x]", "\\:red\\[x\\]"),
    ("credit amount", "credit amount"), ("Column 'age' (years): 3.5", "Column 'age' (years): 3.5")])
def test_escape_markdown_cases(text, shown):
    assert escape_markdown(text) == shown


def test_app_renders_markdown_names_as_text():
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("markdown_names.csv", (BAD / "markdown_names.csv").read_bytes(),
                                              "text/csv")).run()
    assert not at.exception and at.session_state["table"].name == "markdown_names.csv"
    at = go(at, "analysis")
    assert metrics(at)["Minority class"] == "\\[click\\](http\\://host)"
    shown = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for e in at.get(kind)] + [m.value for m in at.metric]
    assert shown and not any(re.search(r"(?<!\\)\]\(|<img", text) for text in shown)
    assert any("\\[click\\](http\\://host)" in text for text in shown)


RULE_ERRORS = {  # rule -> words of the refusal; none of them is evaluated
    "region == 'ab' * 500000000": "arithmetic with text",
    "region * 500000000 == 'x'": "holds text or dates",
    "-region < 1": "holds text or dates",
    "age + (age > 1) > 0": "arithmetic with a comparison",
    "region == '" + "x" * 101 + "'": "longer than 100 characters",
    "age > 1e999": "too large",
    " and ".join(["age > 1"] * 17): "parts, over the 64 allowed",
    "(" * 210 + "age" + ")" * 210 + " > 1": "not a valid comparison",
    "__import__('os').system('id') == 0": "Call",
}


@pytest.mark.parametrize("rule", sorted(RULE_ERRORS))
def test_rules_are_bounded_in_core_and_cli(rule, tmp_path, capsys):
    frame = validate_dataset(read_path(BAD / "minority_3.csv"), "label").frame
    with pytest.raises(ConfigError, match=re.escape(RULE_ERRORS[rule])):
        rule_mask(build_constraints(list(frame.columns), [rule]).rules[0], frame)
    assert main(["generate", "--data", str(BAD / "formula_cells.csv"), "--target", "label", "--method", "smote",
                 "--rule", rule, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and RULE_ERRORS[rule] in err and err.count("\n") == 1


def test_app_refuses_bounded_rules_and_keeps_working():
    at = go(open_app(), "generation")
    for rule, words in [item for item in RULE_ERRORS.items() if "holds text" not in item[1]][:5]:
        at.text_area(key="w_rules").set_value(rule.replace("region", "purpose")).run()
        assert not at.exception and any(words in e for e in errors(at)), errors(at)
    at.text_area(key="w_rules").set_value("purpose * 500000000 == 'x'").run()  # refused when evaluated
    at.button(key="generate").click().run()
    assert not at.exception and any("holds text or dates" in e for e in errors(at)), errors(at)
    at.text_area(key="w_rules").set_value("age >= 18").run()
    assert not at.exception and not errors(at)


def _config(tmp_path: Path, data: str, sha: str) -> Path:
    source = BAD / "semicolon_decimal_comma.csv"
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "table.csv").write_bytes(source.read_bytes())
    config = RunConfig(target="label", method="random_oversampler", data=data, data_sha256=sha, repeats=1,
                       validation=False)
    path = tmp_path / "cfg" / "config.json"
    path.write_text(config_json(config))
    return path


SHA = sha256_of((BAD / "semicolon_decimal_comma.csv").read_bytes())
REPLAY_ERRORS = {  # case -> (data field, sha, words)
    "absolute path": (str(BAD / "semicolon_decimal_comma.csv"), SHA, "must be a file name relative"),
    "parent folder": ("../cfg/table.csv", SHA, "no '..'"),
    "hidden parent": ("sub/../../table.csv", SHA, "no '..'"),
    "empty checksum": ("table.csv", "", "has no data_sha256"),
    "wrong checksum": ("table.csv", "0" * 64, "SHA-256 differs"),
    "missing file": ("other.csv", SHA, "was not found beside the config"),
}


@pytest.mark.parametrize("case", sorted(REPLAY_ERRORS))
def test_config_replay_reads_only_checked_data(case, tmp_path, capsys):
    data, sha, words = REPLAY_ERRORS[case]
    path = _config(tmp_path, data, sha)
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_config_replay_beside_the_config_runs(tmp_path):
    path = _config(tmp_path, "table.csv", SHA)
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "config.json").read_text())["data_sha256"] == SHA


def test_app_refuses_a_config_without_checksum():
    at = go(open_app(), "report")
    config = RunConfig(target="credit_risk", method="smote", data="german_credit.csv", data_sha256="")
    at.file_uploader(key="config_upload").set_value(("c.json", config_json(config).encode(), "application/json"))
    at.run()
    assert not at.exception and any("has no data\\_sha256" in e for e in errors(at))
    assert at.session_state["experiment"] is None if "experiment" in at.session_state else True


def test_parquet_limits_come_from_metadata_before_loading():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": np.tile(rng.normal(size=1000), 200), "label": np.tile(["a", "b"], 100_000)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, compression="zstd", use_dictionary=False)
    raw = buffer.getvalue()
    assert len(raw) < 0.5 * 1024 * 1024
    with pytest.raises(DataError, match="once uncompressed, over the 1 MB limit"):
        read_table(raw, "wide.parquet", limit_mb=1)
    with pytest.raises(DataError, match="200,000 rows, over the 1,000-row limit"):
        read_table(raw, "long.parquet", row_limit=1000)
    assert len(read_table(raw, "ok.parquet").frame) == 200_000


def test_dictionary_bomb_is_refused_inside_bounded_memory():
    """The 2 KB file decodes to 4 GB: it is refused in a fresh process whose peak memory stays far under that,
    with an address-space limit so that a regression fails here instead of exhausting the machine."""
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))\n"
        "from core.reading import read_path\n"
        "from core.errors import DataError\n"
        "try:\n"
        f"    read_path({str(BAD / 'dictionary_bomb.parquet')!r})\n"
        "    print('accepted')\n"
        "except DataError as exc:\n"
        "    print('refused', exc)\n"
        # this process's own peak (VmHWM): ru_maxrss would also count the parent's pages at fork, before exec
        "print(next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')) // 1024)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    outcome, peak_mb = done.stdout.strip().splitlines()
    assert outcome.startswith("refused The Parquet file decodes to more than") and "1,024 MB limit" in outcome
    assert int(peak_mb) < 600, peak_mb  # imports included; the decoded table would be 4,000 MB


_CRAFT = """
import io, sys
import pyarrow as pa, pyarrow.parquet as pq
kind = sys.argv[1]
value = (b"x" if "binary" in kind else "x") * 10_000
chunk = pa.array([value] * 1_000, type=pa.string() if kind == "dictionary" else getattr(pa, kind)())
part = pa.table({"note": chunk.dictionary_encode() if kind == "dictionary" else chunk, "label": ["a", "b"] * 500})
buffer = io.BytesIO()
with pq.ParquetWriter(buffer, part.schema, compression="zstd") as writer:
    for _ in range(200):  # 200,000 rows of one 10 KB value: 2 GB decoded, 10 MB in this process at a time
        writer.write_table(part)
raw = buffer.getvalue()
print(len(raw))
import resource
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a regression fails here, within 3 GB
from core.reading import read_table
from core.errors import DataError
try:
    read_table(raw, "crafted.parquet")
    print("accepted")
except DataError as exc:
    print("refused", exc)
except MemoryError:
    print("out of memory")
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024)
"""


@pytest.mark.parametrize("kind", ["string", "large_string", "string_view", "binary", "large_binary", "binary_view",
                                  "dictionary"])
def test_every_variable_width_type_is_counted_before_it_is_decoded(kind):
    """A real crafted file per text/binary type (views and dictionary-encoded included), 200,000 rows of one 10 KB
    value: refused by its decoded size in a fresh process whose peak stays far under the 2 GB it decodes to
    (a string_view column was once skipped by the count and loaded as a 1.9 GB frame at 2.98 GB peak)."""
    done = subprocess.run([sys.executable, "-c", _CRAFT, kind], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    size, outcome, peak_mb = done.stdout.strip().splitlines()
    assert int(size) < 100_000  # a tiny file
    assert outcome.startswith("refused The Parquet file decodes to more than") and "1,024 MB limit" in outcome
    assert int(peak_mb) < 600, peak_mb  # crafting and imports included


@pytest.mark.parametrize("kind", ["list", "large_list", "fixed_size_list", "list_view", "large_list_view", "map",
                                  "struct", "uuid"])
def test_lists_maps_structs_and_unknown_types_are_refused_in_one_line(kind):
    import pyarrow as pa
    import pyarrow.parquet as pq
    arrays = {"list": ([[1, 2], [3]], pa.list_(pa.int64())), "large_list": ([[1, 2], [3]], pa.large_list(pa.int64())),
              "fixed_size_list": ([[1, 2], [3, 4]], pa.list_(pa.int64(), 2)),
              "list_view": ([[1, 2], [3]], pa.list_view(pa.int64())),
              "large_list_view": ([[1, 2], [3]], pa.large_list_view(pa.int64())),
              "map": ([[("a", 1)], [("b", 2)]], pa.map_(pa.string(), pa.int64())),
              "struct": ([{"a": 1}, {"a": 2}], pa.struct([("a", pa.int64())])),
              "uuid": ([b"0" * 16, b"1" * 16], pa.uuid())}
    values, arrow_type = arrays[kind]
    buffer = io.BytesIO()
    pq.write_table(pa.table({"c": pa.array(values, arrow_type), "label": ["a", "b"]}), buffer)
    with pytest.raises(DataError) as refused:
        read_table(buffer.getvalue(), f"{kind}.parquet")
    message = str(refused.value)
    assert "\n" not in message and message.startswith("Column 'c' ")
    assert ("holds lists or records" in message) == (kind != "uuid")
    assert kind != "uuid" or "has the type extension<arrow.uuid>, which is not read here" in message


def test_parquet_decoded_limit_counts_text_not_metadata():
    rows = 20_000
    frame = pd.DataFrame({"note": pd.Categorical(["y" * 100] * rows), "label": ["a", "b"] * (rows // 2)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    raw = buffer.getvalue()
    assert len(raw) < 20_000  # 2 MB of text once decoded (20,000 x (100 + 4 offset bytes)) plus the labels
    with pytest.raises(DataError, match="decodes to more than 2 MB of data, over the 1 MB limit"):
        _parquet_frame(raw, MAX_UPLOAD_MB, MAX_ROWS, decoded_limit_mb=1)
    loaded = _parquet_frame(raw, MAX_UPLOAD_MB, MAX_ROWS, decoded_limit_mb=3)
    assert loaded["note"].dtype == object and (loaded["note"] == "y" * 100).all() and len(loaded) == rows


def test_parquet_fixed_width_columns_are_counted_from_the_schema():
    frame = pd.DataFrame({f"x{i}": np.zeros(100_000) for i in range(3)} | {"label": np.zeros(100_000, "int8")})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)  # 2.4 MB of float64 once decoded, a few KB in the file
    with pytest.raises(DataError, match="decodes to more than 2 MB of data, over the 2 MB limit"):
        _parquet_frame(buffer.getvalue(), MAX_UPLOAD_MB, MAX_ROWS, decoded_limit_mb=2)


def test_parquet_nested_columns_are_refused_with_one_line():
    buffer = io.BytesIO()
    pd.DataFrame({"tags": [[1, 2], [3]], "label": ["a", "b"]}).to_parquet(buffer, index=False)
    with pytest.raises(DataError, match="Column 'tags' holds lists or records"):
        read_table(buffer.getvalue(), "nested.parquet")


def test_csv_is_sniffed_from_its_head_and_decoded_as_a_whole():
    body = b"amount;label\n" + b"1,5;x\n2,5;y\n" * 20_000 + "3,5;caf\xe9\n".encode("latin-1")
    table = read_table(body, "late_latin1.csv")
    assert len(table.frame) == 40_001 and table.frame["label"].iloc[-1] == "caf\xe9"
    assert table.frame["amount"].iloc[0] == 1.5 and any("latin-1" in n for n in table.notes)
    with pytest.raises(DataError, match="over the 10-row limit"):
        read_table(b"a,label\n" + b"1,x\n" * 11, "long.csv", row_limit=10)


def test_zero_synthetic_rows_after_dropping_copies():
    ds = validate_dataset(read_path(BAD / "formula_cells.csv"), "label")
    prepared = prepare(ds)
    result = synthesize(prepared, "random_oversampler")
    validation = validate_synthetic(prepared.train, prepared.test, result.rows, "label", ds.features,
                                    ds.column_types)
    assert int(validation.privacy.copy_mask.sum()) == len(result.rows) > 0  # every row is a copy
    emptied = without_copies(result, validation, "label")
    assert len(emptied.rows) == 0 and emptied.produced == {}
    with pytest.raises(SynthBalanceError, match="no synthetic rows to validate"):
        validate_synthetic(prepared.train, prepared.test, emptied.rows, "label", ds.features, ds.column_types)


def test_app_shows_zero_rows_with_a_way_back(small_credit_csv):
    """On the 300-row German credit sample, as if uploaded (210 good, 90 bad): its training part holds 147 good and
    63 bad rows, so random oversampling to a 1:1 ratio makes 147 - 63 = 84 rows, every one a copy."""
    at = open_with_upload(small_credit_csv, "credit_risk")
    at = go(at, "generation")
    at.selectbox(key="w_gen_method").set_value("random_oversampler").run()
    at.button(key="generate").click().run()
    at = go(at, "privacy")
    assert int(at.session_state["validation"].privacy.copy_mask.sum()) == 84
    at.button(key="drop_copies").click().run()
    assert not at.exception and not errors(at)
    assert len(at.session_state["synthetic"].rows) == 0
    assert any("no synthetic rows to validate" in w.value for w in at.warning)
    for page in ("quality", "comparison", "generation"):
        at = go(at, page)
        assert not at.exception and not errors(at), page
    assert metrics(at)["Synthetic rows"] == "0"
    at.button(key="generate").click().run()  # the way back: generate again
    assert not at.exception and metrics(at)["Synthetic rows"] == "84"


def test_no_csv_writer_bypasses_the_safe_export():
    """Every CSV the app or the CLI writes goes through core.export.to_csv_text: no other module calls
    DataFrame.to_csv or the csv module's writers."""
    root = Path(__file__).resolve().parents[1]
    sources = [root / "app.py", *sorted((root / "core").rglob("*.py")), *sorted((root / "pages").rglob("*.py"))]
    writers = re.compile(r"\.to_csv\(|csv\.writer|csv\.DictWriter")
    bypassing = [f"{path.relative_to(root)}:{number}" for path in sources if path != root / "core" / "export.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1) if writers.search(line)]
    assert bypassing == []
    assert len(sources) > 30  # the scan saw the tree


def test_sweep_csv_neutralises_formula_cells(tmp_path):
    from core.intervals import Difference
    from core.sweep import SweepPoint, SweepResult
    failed = SweepPoint(epsilon=1.0, delta=1e-4, epsilon_spent=None, minority_f1_gain=None, pr_auc_gain=None,
                        quality_score=None, detection_auc=None, dcr_share_vs_holdout=None, nndr_median=None,
                        seconds=0.5, error='=HYPERLINK("http://host","x") could not be generated')
    ok = SweepPoint(epsilon=None, delta=None, epsilon_spent=None, minority_f1_gain=Difference(-0.5, -0.6, -0.4, 0.1),
                    pr_auc_gain=None, quality_score=0.7, detection_auc=0.8, dcr_share_vs_holdout=0.5,
                    nndr_median=0.9, seconds=1.0)
    result = SweepResult(method="dp_vae", classifier="logreg", repeats=1, seed=1, utility_metric="minority_f1",
                         utility_target=0.0, points=(failed, ok), smallest_epsilon=None, answer="")
    (tmp_path / "sweep.csv").write_text(result.csv_text())
    table = pd.read_csv(tmp_path / "sweep.csv")
    assert table["error"].iloc[0] == '\'=HYPERLINK("http://host","x") could not be generated'
    assert table["minority_f1_gain"].iloc[1] == -0.5  # a negative number is a number, not a formula


LOOK_ALIKE = "In 'label' these labels differ only by case or spaces: 'POSITIVE', 'Positive ', 'positive'."


def test_look_alike_labels_are_named_and_merged_only_when_asked():
    table = read_path(BAD / "look_alike_labels.csv")
    assert similar_labels(table.frame["label"]) == [("POSITIVE", "Positive ", "positive")]  # CSV drops leading spaces
    kept = validate_dataset(table, "label")
    assert kept.class_counts.to_dict() == {"negative": 47, "positive": 6, "Positive": 4, "POSITIVE": 3}
    assert any(note.startswith(LOOK_ALIKE) for note in kept.notes)
    merged = merge_similar_labels(table, "label")
    assert merged.sha256 != table.sha256 and table.frame["label"].nunique() == 4  # the loaded table is untouched
    assert validate_dataset(merged, "label").class_counts.to_dict() == {"negative": 47, "positive": 13}
    assert merged.notes[-1] == ("Labels of 'label' that differ only by case or spaces were merged (as you asked): "
                                "'POSITIVE', 'Positive ', 'positive' -> 'positive'.")
    assert merge_similar_labels(merged, "label") is merged  # nothing left to merge
    assert similar_labels(pd.Series(["a", "b", "A b", "a  B", None])) == [("A b", "a  B")]


def test_cli_names_look_alike_labels_and_merges_on_request(capsys):
    assert main(["analyze", "--data", str(BAD / "look_alike_labels.csv"), "--target", "label"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(f"note: {LOOK_ALIKE}") and "classes: 4" in captured.out
    assert main(["analyze", "--data", str(BAD / "look_alike_labels.csv"), "--target", "label",
                 "--merge-similar-labels"]) == 0
    captured = capsys.readouterr()
    assert "were merged (as you asked)" in captured.err and LOOK_ALIKE not in captured.err
    assert "classes: 2" in captured.out and "positive: 13" in captured.out


def test_app_names_look_alike_labels_and_merges_on_the_button():
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    raw = (BAD / "look_alike_labels.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("look_alike_labels.csv", raw, "text/csv")).run()
    target = next(s for s in at.selectbox if s.label.startswith("Target column"))
    if target.value != "label":
        target.set_value("label").run()
    assert not at.exception and metrics(at)["Classes"] == "4"
    shown = [w.value for w in at.warning]
    assert any("these labels differ only by case or spaces" in w and "Positive" in w for w in shown), shown
    at.button(key="merge_similar_labels").click().run()
    assert not at.exception and metrics(at)["Classes"] == "2" and not errors(at)
    assert at.session_state["table"].frame["label"].value_counts().to_dict() == {"negative": 47, "positive": 13}
    assert not any("differ only by case" in w.value for w in at.warning)
