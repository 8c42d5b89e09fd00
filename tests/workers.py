"""Child processes for the concurrency tests: ``python -m tests.workers MODE JOURNAL PLAYBOOKS NAME [N]``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from soptui.journal import open_journal_at
from soptui.journal.base import location_of
from soptui.playbooks.library import Source, load_library
from soptui.recorder import ActionError, Identity, Recorder

FIXED = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def main() -> int:
    mode, journal_path, playbooks, name = sys.argv[1:5]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    library = load_library([Source(Path(playbooks), "test")])
    journal = open_journal_at(location_of(journal_path))
    recorder = Recorder(
        journal,
        library,
        ZoneInfo("Asia/Shanghai"),
        Identity(name, name, "h"),
        clock=lambda: FIXED if mode != "kill" else datetime.now(UTC),
    )
    run_id = recorder.routine_run("morning").run_id
    if mode == "append":
        for i in range(count):
            recorder.note(run_id, f"{name} note {i}")
    elif mode == "race":
        try:
            recorder.complete(run_id, "welcome")
            print("won")
        except ActionError as error:
            print(f"lost: {error}")
    elif mode == "fill":
        import resource
        import signal

        from soptui.journal import JournalError

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        size = Path(journal_path).stat().st_size + Path(journal_path + "-wal").stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 256 * 1024, resource.RLIM_INFINITY))
        i = 0
        while True:
            try:
                state = recorder.note(run_id, f"note {i} " + "x" * 2000)
            except JournalError as error:
                print(f"ERROR {error}", flush=True)
                break
            assert state is not None
            print(state.notes[-1].uuid, flush=True)
            i += 1
    elif mode == "kill":
        i = 0
        while True:
            state = recorder.note(run_id, f"note {i}")
            assert state is not None
            print(state.notes[-1].uuid, flush=True)
            i += 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
