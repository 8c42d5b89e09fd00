"""Where soptui's start-up goes, phase by phase, beside the bare Textual app: ``python
bench/startup_phases.py [N] [JOURNAL]``.

Each run is a fresh process that builds the app the way ``soptui`` does (settings, library
through the validated cache, journal, Today) and runs it headless (Textual's ``run_test``,
80x24) until Today has drawn and the app is idle. CPU time (``process_time``) is reported
beside wall time: on a busy machine the CPU figures move much less than the wall clock. The
bare app and Today's widget tree without soptui (``today_floor.py``) are measured in the
same harness, alternating with soptui. The first soptui run
fills the cache; the figures are medians of the N warm runs after it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from soptui_env import inherited, soptui_env

HERE = Path(__file__).resolve().parent

SOPTUI = r"""
import json, sys, time
c0, w0 = time.process_time(), time.perf_counter()
marks = []
def mark(name):
    marks.append((name, time.process_time() - c0, time.perf_counter() - w0))
import textual.app
mark("import Textual")
from soptui.context import Context, make_recorder, open_journal
from soptui.drafts import Drafts
from soptui.i18n import activate
from soptui.tui.app import make_app
from soptui.tui.services import Services
mark("import soptui")
activate("en")
context = Context.create(language="en")
library = context.library
mark("settings and library")
journal = open_journal(context)
services = Services(make_recorder(context, journal), "en", context.paths.data_dir, [], Drafts(None))
app = make_app(services)
mark("journal and app")
import asyncio
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
asyncio.run(main())
mark("Today drawn, idle")
print(json.dumps({"marks": marks, "pydantic": "pydantic" in sys.modules}))
"""


def drawn(module: str, app_class: str, label: str) -> str:
    """The code that times a Textual app of bench/ drawn headless at 80x24, until idle."""
    return rf"""
import json, sys, time
c0, w0 = time.process_time(), time.perf_counter()
sys.path.insert(0, sys.argv[1])
from {module} import {app_class}
import asyncio
async def main():
    async with {app_class}().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
asyncio.run(main())
print(json.dumps({{"marks": [["{label}", time.process_time() - c0, time.perf_counter() - w0]]}}))
"""


BARE = drawn("bare_app", "Bare", "bare app drawn, idle")
TODAY_FLOOR = drawn("today_floor", "TodayFloorApp", "Today's widgets alone")


def run(code: str, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", code, str(HERE)], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


def main() -> int:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    journal = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "out" / "small" / "journal.sqlite3"
    with tempfile.TemporaryDirectory() as home:
        copy = Path(home) / "journal.sqlite3"
        if journal.exists():
            copy.write_bytes(journal.read_bytes())
        env = {**inherited(), **soptui_env(home, copy)}
        run(SOPTUI, env)  # fills the cache (and compiles)
        run(BARE, env)
        run(TODAY_FLOOR, env)
        runs, bares, floors = [], [], []
        for _ in range(repeat):
            runs.append(run(SOPTUI, env))
            bares.append(run(BARE, env))
            floors.append(run(TODAY_FLOOR, env))
    names = [name for name, _cpu, _wall in runs[0]["marks"]]  # type: ignore[index]
    print(f"{'phase (cumulative)':28} {'CPU':>8} {'wall':>8}")
    for index, name in enumerate(names):
        cpu = statistics.median(r["marks"][index][1] for r in runs)  # type: ignore[index]
        wall = statistics.median(r["marks"][index][2] for r in runs)  # type: ignore[index]
        print(f"{name:28} {cpu * 1000:6.0f} ms {wall * 1000:6.0f} ms")
    bare_cpu = statistics.median(b["marks"][0][1] for b in bares)  # type: ignore[index]
    bare_wall = statistics.median(b["marks"][0][2] for b in bares)  # type: ignore[index]
    print(f"{'bare app drawn, idle':28} {bare_cpu * 1000:6.0f} ms {bare_wall * 1000:6.0f} ms")
    floor_cpu = statistics.median(f["marks"][0][1] for f in floors)  # type: ignore[index]
    floor_wall = statistics.median(f["marks"][0][2] for f in floors)  # type: ignore[index]
    print(f"{'Today widgets, no soptui':28} {floor_cpu * 1000:6.0f} ms {floor_wall * 1000:6.0f} ms")
    total_cpu = statistics.median(r["marks"][-1][1] for r in runs)  # type: ignore[index]
    print(
        f"ratio (CPU): soptui {total_cpu / bare_cpu:.2f}x the bare app; Today's widgets alone "
        f"{floor_cpu / bare_cpu:.2f}x; soptui {total_cpu / floor_cpu:.2f}x its widgets alone; "
        f"pydantic imported: {any(r['pydantic'] for r in runs)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
