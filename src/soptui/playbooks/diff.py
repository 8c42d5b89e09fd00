"""What changed between two versions of a playbook, in a few words for the operator."""

from __future__ import annotations

from soptui.playbooks.models import Playbook


def describe_changes(old: Playbook, new: Playbook) -> list[str]:
    """Steps added, removed and reworded (title, details, checklist or input changed)."""
    before = {s.id: s for s in old.steps}
    after = {s.id: s for s in new.steps}
    changes = [f"+ {after[i].title}" for i in after if i not in before]
    changes += [f"− {before[i].title}" for i in before if i not in after]
    for step_id, step in after.items():
        previous = before.get(step_id)
        if previous is None:
            continue
        fields = ("title", "details", "checklist", "input", "when", "snippets")
        if any(getattr(previous, f) != getattr(step, f) for f in fields):
            changes.append(f"~ {step.title}")
    return changes
