"""``soptui serve``: the week's review in a browser, behind a token (docs/serve.md)."""

from __future__ import annotations

import sys

from soptui.collector import release
from soptui.context import CommandError, Context, UsageError, journal_exists, open_journal
from soptui.i18n import _
from soptui.journal import JournalError, JournalReadOnly, open_journal_at
from soptui.serve import ServeOptions, app_command, is_loopback, new_token, run
from soptui.text import visible


def serve(context: Context, host: str, port: int, allow_actions: bool, public_url: str | None) -> int:
    """Serve the app until Ctrl-C: read-only on the review screen unless ``allow_actions``."""
    if not 0 <= port <= 65535:
        raise UsageError(_("--port must be between 0 and 65535"))
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise UsageError(_("--public-url must start with http:// or https://"))
    _check_journal(context, allow_actions)
    command = app_command(
        sys.executable,
        journal=str(context.journal_location),  # a file or a URL (never with a password)
        operator=context.operator,
        language=context.language,
        playbooks=[str(directory) for directory in context.extra_playbooks],
        read_only=not allow_actions,
    )
    if not is_loopback(host):
        line = (
            _(
                "listening on {host}: anyone who can reach it and has the token can read the journal "
                "and record actions in it; put it behind a reverse proxy with TLS (docs/serve.md)"
            )
            if allow_actions
            else _(
                "listening on {host}: anyone who can reach it and has the token can read the journal; "
                "put it behind a reverse proxy with TLS (docs/serve.md)"
            )
        ).format(host=host)
        print(_("soptui: warning: {line}").format(line=visible(line, newlines=False)), file=sys.stderr)

    def announce(url: str) -> None:
        if allow_actions:
            what = _("Serving the app on the week's review, actions recorded as {operator}, at:").format(
                operator=context.operator
            )
        else:
            what = _("Serving the week's review, read-only, at:")
        print(visible(what, newlines=False), flush=True)
        print(f"    {visible(url, newlines=False)}", flush=True)
        if allow_actions:
            print(
                _("Anyone with this link can read the journal and record actions. Press Ctrl+C to stop."),
                flush=True,
            )
        else:
            print(_("Anyone with this link can read the journal. Press Ctrl+C to stop."), flush=True)

    release()  # serving runs for days: collect garbage cycles at the usual pace (soptui.collector)
    options = ServeOptions(host=host, port=port, app_command=command, public_url=public_url)
    try:
        run(options, new_token(), announce)
    except KeyboardInterrupt:
        return 130
    print(_("soptui serve: stopped"), file=sys.stderr)
    return 0


def _check_journal(context: Context, allow_actions: bool) -> None:
    """Open the journal once before serving, so a problem is said here, not in each browser."""
    if allow_actions:
        open_journal(context).close()
        return
    if not journal_exists(context):
        raise CommandError(
            _("no journal at {journal_path}; nothing to review yet").format(
                journal_path=context.journal_shown
            )
        )
    try:
        open_journal_at(context.journal_location, readonly=True).close()
    except JournalReadOnly:
        # A journal from an older soptui: opening it to write upgrades it once.
        open_journal(context).close()
    except JournalError as error:
        raise CommandError(str(error)) from None
