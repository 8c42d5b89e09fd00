"""Drafts: what an operator typed or did that is not in the journal yet.

A note being typed is saved as a draft on every change, so a dropped SSH connection (SIGHUP)
or a crash never loses it; an action the journal refused to write (disk full, I/O error) is
kept as a draft and replayed once the journal accepts writes again. Drafts live in memory and,
when the disk allows, in private files under the data directory.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from soptui.files import write_private
from soptui.journal import JournalError
from soptui.recorder import ActionError, Recorder

Draft = dict[str, Any]


class Drafts:
    """Drafts by key; ``replay`` writes pending actions through a recorder."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.items: dict[str, Draft] = {}
        self._load()

    def _path(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        safe = "".join(c if c.isalnum() or c in "-_@" else "_" for c in key)
        return self.directory / f"{safe}.json"

    def _load(self) -> None:
        if self.directory is None or not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("key"), str):
                self.items[data["key"]] = data

    def save(self, key: str, draft: Draft) -> bool:
        """Keep ``draft`` (always in memory; on disk when possible). False if only in memory."""
        draft = {**draft, "key": key}
        self.items[key] = draft
        path = self._path(key)
        if path is None:
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_private(path, json.dumps(draft, ensure_ascii=False, allow_nan=False))
        except (OSError, ValueError):
            return False
        return True

    def discard(self, key: str) -> None:
        self.items.pop(key, None)
        path = self._path(key)
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def notes(self) -> list[Draft]:
        return [d for d in self.items.values() if d.get("kind") == "typing"]

    def pending(self, run_id: str | None = None) -> list[Draft]:
        """Actions waiting to be written, oldest first (of one run, if given)."""
        waiting = [d for d in self.items.values() if d.get("kind") != "typing"]
        if run_id is not None:
            waiting = [d for d in waiting if d.get("run") == run_id]
        return sorted(waiting, key=lambda d: str(d.get("queued", "")))

    def replay(self, recorder: Recorder, report: Callable[[str, bool], None]) -> int:
        """Write pending actions; report(message, ok) for each that is settled. Returns how many remain."""
        for draft in self.pending():
            try:
                replay_action(recorder, draft)
            except JournalError:
                break  # still failing: keep it and those after it, in order
            except ActionError as error:
                self.discard(draft["key"])
                report(f"draft not saved: {error}", False)
                continue
            self.discard(draft["key"])
            report("saved a draft that could not be written before", True)
        return len(self.pending())


def replay_action(recorder: Recorder, draft: Draft) -> None:
    """Record a drafted action under the UUID it was given when first tried.

    Two sessions of one user may both replay the same draft file: the UUID makes the second
    replay a no-op instead of a second note or an "already done" refusal.
    """
    kind, run, step = draft.get("kind"), draft.get("run"), draft.get("step")
    event_id = draft.get("uuid")
    event_id = event_id if isinstance(event_id, str) else None
    group = draft.get("group")
    group = group if isinstance(group, str) else None
    if kind == "step.done":
        recorder.complete(str(run), str(step), draft.get("value"), event_id=event_id, group=group)
    elif kind == "step.skipped":
        recorder.skip(str(run), str(step), draft.get("reason"), event_id=event_id, group=group)
    elif kind == "note":
        recorder.note(run if run is None else str(run), str(draft.get("text", "")), step, event_id=event_id)
    else:
        raise ActionError(f"unknown draft kind {kind!r}")
