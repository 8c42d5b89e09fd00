"""The implementations behind each ``soptui`` subcommand; the parser lives in :mod:`soptui.cli`."""
