"""The commands after a run: `export` (the kept model as a bundle), `predict` (score a table with a bundle, trust
checked first) and `drift` (a new batch against a run's reference, or against a deployed bundle)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from core.cli.arguments import relative_data_path
from core.cli.parser import CliError
from core.config import read_config
from core.data import table_for_config, validate_dataset
from core.export import write_csv
from core.reading import head_columns, read_path


def _write_drift(args, report: dict, per_feature) -> bool:
    """drift.json and drift_charts.html into --out (both drift commands); with --json the report is printed too.
    True when it was printed (the command prints nothing else)."""
    from core.plots import drift_charts_html
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "drift.json").write_text(json.dumps(report, indent=2))
    (out / "drift_charts.html").write_text(drift_charts_html(per_feature))
    if args.json:
        print(json.dumps(report, indent=2))
    return bool(args.json)


def drift_bundle(args, thresholds) -> int:
    """`drift --bundle`: the deployed model on a new batch, chunk by chunk, plus today's per-feature drift against
    the bundle's reference rows; one drift.json with both."""
    from core.monitor import drift_report, monitor_batch
    if args.config or args.reference:
        raise CliError("drift takes --bundle, or --config / --reference, not both.")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise CliError(f"--chunk-size must be at least 1, not {args.chunk_size}.")
    bundle_path = Path(args.bundle)
    if not bundle_path.is_dir():
        raise CliError(f"No bundle folder at '{bundle_path}'.")
    from core.bundle import load_bundle
    bundle = load_bundle(bundle_path)
    new = read_path(args.new)
    name = Path(args.new).name
    monitored = monitor_batch(bundle, new.frame, name, args.chunk_size, args.date_column, args.period,
                              batch_sha256=new.sha256, thresholds=thresholds, label_free=args.label_free)
    result = monitored.per_feature
    if _write_drift(args, drift_report(monitored), result):
        return 0
    for warning in monitored.bundle_warnings:
        print(f"warning: {warning}")
    print(f"verdict on {result.about} (per feature): {result.verdict.value}")
    if monitored.f1 is None:
        print(monitored.refused)
    else:
        f1 = monitored.f1
        print(f"estimated minority F1 per chunk ({monitored.chunking}; reference band {f1.band_low:.3f}-"
              f"{f1.band_high:.3f}):")
        for c, m in zip(f1.chunks, monitored.multivariate.chunks):
            realised = "" if c.realised is None else f", realised {c.realised:.3f}"
            print(f"- {c.chunk.label}: {c.estimate:.3f} ({c.ci_low:.3f}-{c.ci_high:.3f}){realised}; "
                  f"domain AUC {m.auc:.2f}{' FLAGGED' if m.flagged or c.outside_band else ''}")
    print(monitored.prevalence.sentence)
    print(f"drift -> {Path(args.out) / 'drift.json'}")
    return 0


def drift(args) -> int:
    from core.drift import check_drift, drift_dict, thresholds_from_pairs
    thresholds = thresholds_from_pairs(args.threshold)
    if args.bundle:
        return drift_bundle(args, thresholds)
    if args.chunk_size is not None or args.date_column:
        raise CliError("--chunk-size and --date-column chunk a batch checked against a --bundle.")
    config = None
    if args.config:
        config_path = Path(args.config)
        if not config_path.is_file():
            raise CliError(f"No config file at '{config_path}'.")
        config = read_config(config_path.read_text())
        candidates = ([Path(args.reference)] if args.reference
                      else [config_path.parent / relative_data_path(config.data)])
        reference_path = next((p for p in candidates if p.is_file()), None)
        if reference_path is None:
            raise CliError(f"The config's data file '{config.data}' was not found; pass it with --reference.")
    elif not (args.reference and args.target):
        raise CliError("drift needs --reference FILE and --target COL, or --config FILE")
    else:
        reference_path = Path(args.reference)
    table = read_path(reference_path)
    if config is not None:
        table = table_for_config(table, config.target, config.data_sha256)
        if table is None:
            raise CliError(f"'{reference_path}' is not the file the config was made from (SHA-256 differs).")
    target = args.target or config.target
    reference = validate_dataset(table, target, config.column_types if config else None)
    new = read_path(args.new)
    result = check_drift(reference, new.frame, config, thresholds, label_free=args.label_free,
                         config_path=args.config or "config.json", batch=Path(args.new).name,
                         batch_sha256=new.sha256)
    if _write_drift(args, drift_dict(result), result):
        return 0
    print(f"verdict on {result.about}: {result.verdict.value}")
    for reason in result.reasons:
        print(f"- {reason}")
    for message in result.schema.messages:
        print(f"schema: {message}")
    print(f"next: {result.next_step}")
    print(f"drift -> {Path(args.out) / 'drift.json'}")
    return 0


def export(args) -> int:
    from core.bundle_export import export_run
    out = export_run(args.run, args.out, args.data)
    print(f"bundle -> {out}")
    return 0


def predict(args) -> int:
    from core.bundle import load_bundle_path, scored_table
    bundle = load_bundle_path(args.bundle, args.allow_version_drift)  # a zip's size is checked before reading
    if args.engine == "onnx":
        raise CliError(f"This bundle holds no model.onnx: {bundle.manifest.get('onnx', {}).get('why', 'none')}.")
    columns = head_columns(args.data)  # a file lacking the model's columns is refused before its rows are read
    if columns is not None:
        bundle.check_columns(columns)
    table = read_path(args.data)
    scored = bundle.score(table.frame)
    frame = scored_table(table.frame, scored)  # a version drift warning travels in the file too
    write_csv(frame, args.out, table.column_types)  # to_csv_text's bytes, written 100,000 rows at a time
    for line in scored.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in scored.schema.messages:
        print(f"schema: {line}", file=sys.stderr)
    print(f"{len(frame):,} rows scored, {int(scored.decision.sum()):,} flagged '{bundle.minority}' -> {args.out}")
    return 0
