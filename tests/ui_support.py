"""Building the app for pilot and snapshot tests: fixture playbooks, a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from soptui.i18n import Language
from soptui.journal import Journal
from soptui.playbooks.library import Source, load_library
from soptui.recorder import Identity, Recorder
from soptui.tui.app import SoptuiApp, make_app
from soptui.tui.services import Services
from tests.helpers import SHANGHAI, Clock

FIXTURES = Path(__file__).parent / "fixtures"
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def build_app(
    tmp_path: Path,
    language: Language = "en",
    *,
    clock: Clock | None = None,
    operator: str = "alice",
    start: str | None = None,
    journal: Journal | None = None,
) -> tuple[SoptuiApp, Recorder]:
    library = load_library([Source(FIXTURES / language, "test")])
    assert not library.problems
    journal = journal or Journal.open(tmp_path / "journal.sqlite3")
    recorder = Recorder(
        journal, library, SHANGHAI, Identity(operator, operator, "host"), clock or Clock(MONDAY_9AM)
    )
    services = Services(recorder, language, tmp_path / "reports", [])
    return make_app(services, start), recorder
