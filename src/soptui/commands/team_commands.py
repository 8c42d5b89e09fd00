"""``soptui team init``: prepare a shared team directory."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from soptui.context import CommandError, Context, UsageError
from soptui.i18n import _
from soptui.team import TeamError, TeamLayout, init_team
from soptui.text import visible


def init(context: Context, directory: Path, group: str | None, zone: str | None) -> int:
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                _("--timezone {zone!r}: use an IANA name such as Asia/Shanghai").format(zone=zone)
            ) from None
    timezone = zone or context.settings.timezone or str(context.zone)
    try:
        warnings = init_team(directory, group, timezone, context.settings.language)
    except TeamError as error:
        raise CommandError(str(error)) from None
    layout = TeamLayout(directory)
    for warning in warnings:
        print(
            _("soptui: warning: {warning}").format(warning=visible(warning, newlines=False)), file=sys.stderr
        )
    # The paths and the zone may come from a config file: printed as plain text.
    print(
        visible(
            _(
                "team directory ready: {directory}\n"
                "  journal    {journal}\n"
                "  playbooks  {playbooks}   (the team's own SOPs; same id replaces a bundled one)\n"
                '  config     {config}   (timezone = "{timezone}")\n'
                "\n"
                'Each member adds one line to ~/.profile (or `team = "{directory}"` to their config.toml):\n'
                "  export SOPTUI_HOME={directory}\n"
                "and needs `umask 007` so files they create stay group-writable. See docs/team.md."
            ).format(
                directory=directory,
                journal=layout.journal,
                playbooks=layout.playbooks,
                config=layout.config,
                timezone=timezone,
            )
        )
    )
    return 0
