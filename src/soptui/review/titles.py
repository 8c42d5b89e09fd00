"""Playbook and step titles for what the review lists, from the version each run used."""

from __future__ import annotations

from soptui.ledger import ActionError, Ledger
from soptui.playbooks.models import Playbook


class Titles:
    """Playbook and step titles for notes, from the stored version of the run's playbook."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.cache: dict[tuple[str, str | None], Playbook | None] = {}

    def playbook(self, playbook_id: str, playbook_hash: str | None) -> Playbook | None:
        key = (playbook_id, playbook_hash)
        if key not in self.cache:
            found: Playbook | None = None
            if playbook_hash:
                try:
                    found = self.ledger.playbook_version(playbook_hash, playbook_id)
                except ActionError:
                    found = None
            self.cache[key] = found or self.ledger.library.get(playbook_id)
        return self.cache[key]

    def of(
        self, playbook_id: str | None, playbook_hash: str | None, step_id: str | None
    ) -> tuple[str | None, str | None]:
        """(playbook title, step title); None where unknown (the id is shown instead)."""
        if playbook_id is None:
            return None, None
        playbook = self.playbook(playbook_id, playbook_hash)
        if playbook is None:
            return None, None
        step = playbook.step(step_id) if step_id else None
        return playbook.title, step.title if step else None
