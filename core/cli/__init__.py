"""The command line, `python -m core`, split by concern: the parser (core.cli.parser), the arguments read into
core's terms (core.cli.arguments), the commands by stage (core.cli.explore: analyze, advise, methods;
core.cli.experiment: generate, run, compare, sweep; core.cli.deploy: export, predict, drift) and the entry point
that turns errors into one line `error: ...`, exit 2 (core.cli.main)."""
