"""Allow ``python -m soptui``."""

from soptui.cli import main

raise SystemExit(main())
