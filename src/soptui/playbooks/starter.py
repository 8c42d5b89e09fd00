"""``soptui new``: a valid, commented starter playbook written with tomli-w."""

from __future__ import annotations

from typing import Any

import tomli_w

from soptui.playbooks.models import Cadence

# No ``#:schema`` URL: nothing is fetched from the network. The schema ships inside soptui
# (``soptui schema`` prints it), so the header says how to point an editor at a local copy.
_HEADER = """\
# A soptui playbook (format 1). Every key is described in docs/playbook-format.md.
# Check it with:  soptui check {path}
# Editor completion, offline: run  soptui schema > playbook.schema.json  in this directory,
# then make the first line of this file:  #:schema ./playbook.schema.json
"""

_DUE = {
    "daily": {"time": "10:00"},
    "weekly": {"weekday": "fri", "time": "17:00"},
    "monthly": {"day": "last", "time": "17:00"},
}


def starter_playbook(playbook_id: str, cadence: Cadence, title: str, path: str) -> str:
    """The text of a starter playbook; it passes ``soptui check`` as written."""
    top: dict[str, Any] = {
        "format": 1,
        "id": playbook_id,
        "title": title,
        "summary": "One line that says what this playbook is for.",
        "owner": "community manager",
        "cadence": cadence,
        "estimate": "15m",
    }
    first: dict[str, Any] = {
        "id": "first-step",
        "title": "Describe the first step",
        "role": "community manager",
        "estimate": "5m",
        "details": "What to do and why, in Markdown.\n",
        "checklist": ["A short item to tick", "Another one"],
    }
    if cadence == "incident":
        top["severities"] = ["P1", "P2", "P3"]
        first["escalate_after"] = "15m"
    second: dict[str, Any] = {
        "id": "record-a-number",
        "title": "Record a number",
        "role": "data analyst",
        "estimate": "5m",
        "input": {"type": "integer", "label": "How many?", "min": 0},
    }
    parts = [
        _HEADER.format(path=path),
        tomli_w.dumps(top),
    ]
    if cadence in _DUE:
        parts += [
            "\n# When the run is due inside its period (team-local time).\n",
            tomli_w.dumps({"due": _DUE[cadence]}),
        ]
    parts += [
        "\n# Steps run in order. Give each a role and an estimate.\n",
        tomli_w.dumps({"steps": [first]}),
        '\n# A step can ask for a value; add metric = "name" to track it in reviews.\n',
        tomli_w.dumps({"steps": [second]}),
    ]
    return "".join(parts)
