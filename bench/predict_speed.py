"""How much does `predict` add to the model itself? 100,000 rows scored through a loaded bundle.

A bundle is exported from the first 20,000 rows of a seeded table (bench.common.classification_frame: 30 numeric
columns, minority 5%; logistic regression with class weights and a tuned threshold), then its next 100,000 rows
are scored, the repeats interleaved so both sides see the same load:
- bare: the loaded model's own predict_proba on rows already in model order (what any deployment pays);
- score: Bundle.score, i.e. the schema check (types, unseen levels, ranges, missing values), predict_proba and the
  decision at the threshold (what `predict` adds before writing the CSV).
Also the whole `predict` command on the same rows as a CSV (reading, scoring, writing a formula-safe CSV) once,
for scale. Goal: score within 1.5x of bare (median ratio over the repeats).

    nice -n 19 python -m bench.predict_speed --rows 100000 --repeats 7
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import as_dataset, classification_frame, loud_warnings
from core.bundle import load_bundle_zip
from core.bundle_export import build_bundle
from core.bundle_files import bundle_zip, write_bundle
from core.cli.main import main as cli
from core.config import build_run_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    table = classification_frame(args.train_rows + args.rows, features=30, minority=0.05, seed=0)
    dataset = as_dataset(table.iloc[:args.train_rows].reset_index(drop=True))
    config = build_run_config("label", "class_weighted", data="bench.csv", data_sha256=dataset.sha256, repeats=1,
                              validation=False)
    decision = {"key": "", "kept": {"monitored": "class_weighted", "monitored_arm": "class_weighted_tuned",
                                    "label": "class weights"}, "judged": {}}
    started = time.perf_counter()
    exported = build_bundle(dataset, config, decision)
    print(f"export of {args.train_rows:,} rows: {time.perf_counter() - started:.2f} s "
          f"(recalibration: {exported.calibration.method})")
    bundle = load_bundle_zip(bundle_zip(exported.files))
    new = table.iloc[args.train_rows:].reset_index(drop=True)  # fresh rows of the same seeded table
    rows = new[bundle.features]
    bare, scored = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        expected = bundle.model.predict_proba(rows)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = bundle.score(new)
        scored.append(time.perf_counter() - started)
    column = list(bundle.model.classes_).index(bundle.minority)
    assert np.allclose(result.probability, expected[:, column], rtol=0, atol=1e-12)  # the same model, same rows
    ratios = np.array(scored) / np.array(bare)
    print(f"{args.rows:,} rows, {args.repeats} interleaved repeats: bare predict_proba median "
          f"{np.median(bare):.3f} s, Bundle.score median {np.median(scored):.3f} s; ratio median "
          f"{np.median(ratios):.2f}x (min {ratios.min():.2f}, max {ratios.max():.2f}); goal <= 1.5x; "
          f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        write_bundle(exported.files, Path(folder) / "bundle")
        new.to_csv(Path(folder) / "new.csv", index=False)
        started = time.perf_counter()
        assert cli(["predict", "--bundle", str(Path(folder) / "bundle"), "--data", str(Path(folder) / "new.csv"),
                    "--out", str(Path(folder) / "scored.csv")]) == 0
        print(f"whole predict command (load and check the bundle, read the CSV, score, write the CSV): "
              f"{time.perf_counter() - started:.2f} s; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    with loud_warnings():
        main()
