"""Problems found in playbook files: values with a place until the edge prints them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from soptui.i18n import _
from soptui.playbooks.positions import Path as KeyPath

Severity = Literal["error", "warning"]


def dotted(path: KeyPath) -> str:
    """``("steps", 2, "input", "type")`` -> ``steps[2].input.type``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in one file, with its place."""

    file: Path
    line: int
    column: int
    message: str
    key: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = _("warning: ") if self.severity == "warning" else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {prefix}{key}{self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "severity": self.severity,
            "message": self.message,
        }
