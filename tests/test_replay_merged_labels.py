"""A config saved by a run whose look-alike target labels were merged on request replays on the original file
(the merge is deterministic, so the merged table's derived identity is checked); any other file is refused."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from core.cli.main import main
from core.data import table_for_config
from core.reading import read_path


@pytest.fixture(scope="module")
def look_alike_csv(small_credit_csv, tmp_path_factory):
    frame = pd.read_csv(small_credit_csv)
    every_seventh = frame.index % 7 == 0
    frame.loc[every_seventh, "credit_risk"] = frame.loc[every_seventh, "credit_risk"].str.upper()  # 'BAD', 'GOOD'
    path = tmp_path_factory.mktemp("look_alike") / "loans.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_merged_run_replays_on_its_original_file(look_alike_csv, tmp_path, capsys):
    first = tmp_path / "first"
    assert main(["run", "--data", str(look_alike_csv), "--target", "credit_risk", "--method", "class_weighted",
                 "--repeats", "1", "--no-validation", "--merge-similar-labels", "--out", str(first)]) == 0
    config = json.loads((first / "config.json").read_text())
    table = read_path(look_alike_csv)
    assert config["data_sha256"] != table.sha256  # the merged table's identity, not the file's
    matched = table_for_config(table, "credit_risk", config["data_sha256"])
    assert sorted(matched.frame["credit_risk"].unique()) == ["bad", "good"]
    capsys.readouterr()
    again = tmp_path / "again"
    assert main(["run", "--config", str(first / "config.json"), "--data", str(look_alike_csv),
                 "--out", str(again)]) == 0
    assert "were merged" in capsys.readouterr().err
    arms = [json.loads((out / "results.json").read_text())["evaluation"]["arms"] for out in (first, again)]
    assert arms[0] == arms[1]
    changed = tmp_path / "changed.csv"
    frame = pd.read_csv(look_alike_csv)
    frame.loc[3, "age"] += 1
    frame.to_csv(changed, index=False)
    assert main(["run", "--config", str(first / "config.json"), "--data", str(changed), "--out",
                 str(tmp_path / "no")]) == 2
    assert "is not the file this config was made from" in capsys.readouterr().err
    assert table_for_config(read_path(changed), "credit_risk", config["data_sha256"]) is None
