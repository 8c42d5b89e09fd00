"""soptui's performance figures, each beside its floor: ``python bench/run.py [--small]``.

Generates (once, cached under bench/out/) a journal of five years for a team of ten, then
measures start-up in a real terminal (tmux), CLI commands, completing a step, the review
screen, memory and terminal output, printing one table. ``--small`` runs a tiny version for
CI: it checks that every measurement still works and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate
from percentile import p99
from soptui_env import inherited, soptui_env

PYTHON = sys.executable
SOPTUI = shutil.which("soptui", path=str(Path(PYTHON).parent)) or "soptui"
Row = tuple[str, str, str, str]


def median_run(command: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def start_session(socket: Path, command: str) -> None:
    """Run ``command`` in a detached 80x24 tmux window with no status line."""
    subprocess.run(
        [
            "tmux",
            "-S",
            str(socket),
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "b",
            "-x",
            "80",
            "-y",
            "24",
            command,
            ";",
            "set-option",
            "-g",
            "status",
            "off",
        ],
        check=True,
    )


# -- 1. start to first full frame in tmux -------------------------------------------------


def first_frame(command: str, marker: str, env: dict[str, str], repeat: int) -> float:
    socket = Path(tempfile.mkdtemp()) / "tmux.sock"
    times = []
    for _ in range(repeat):
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        started = time.perf_counter()
        start_session(socket, f"env {exports} {command}")
        while True:
            screen = subprocess.run(
                ["tmux", "-S", str(socket), "capture-pane", "-p", "-t", "b"], capture_output=True, text=True
            ).stdout
            if marker in screen:
                break
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{marker!r} never appeared:\n{screen}")
            time.sleep(0.005)
        times.append(time.perf_counter() - started)
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], check=False)
        time.sleep(0.2)
    return statistics.median(times)


def startup_only(env: dict[str, str], repeat: int) -> int:
    """The start-up row alone: soptui and the bare app alternately, so both see the same load.

    The first soptui start fills the validated-playbook cache (reported as "cold"); the
    figures after it are warm starts, which is what an operator sees every morning.
    """
    soptui, bare = f"{SOPTUI} --language en", f"{PYTHON} {HERE / 'bare_app.py'}"
    cold = first_frame(soptui, "Routines", env, 1)
    first_frame(bare, "bare app ready", env, 1)  # compiles its modules too
    apps, bares = [], []
    for _ in range(repeat):
        apps.append(first_frame(soptui, "Routines", env, 1))
        bares.append(first_frame(bare, "bare app ready", env, 1))
    app, floor = statistics.median(apps), statistics.median(bares)
    print(f"first frame, cold cache: {ms(cold)}")
    print(f"first frame, warm cache: median {ms(app)} (min {ms(min(apps))}, max {ms(max(apps))})")
    print(f"bare Textual app:        median {ms(floor)} (min {ms(min(bares))}, max {ms(max(bares))})")
    print(f"ratio: {app / floor:.2f}x (goal <= 1.25x); min/min {min(apps) / min(bares):.2f}x")
    return 0


# -- 3, 4, 5. in-process pilot measurements ---------------------------------------------------

PILOT = r"""
import asyncio, json, resource, sys, time
from pathlib import Path
from soptui.context import Context, make_recorder, open_journal
from soptui.drafts import Drafts
from soptui.review import build_review, week_range
from soptui.schedule import period_of
from soptui.tui.app import make_app
from soptui.tui.services import Services
from soptui.tui.screens.review import ReviewScreen

samples = int(sys.argv[1])
context = Context.create(language="en")
journal = open_journal(context)
recorder = make_recorder(context, journal)
app = make_app(Services(recorder, "en", Path("/tmp"), [], Drafts(None)))
out = {}

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # start-up's writes (cohorts, presence) first
        recorder.write_wait = 5.0  # the bench acts beside the app: wait out a presence write
        state = recorder.routine_run("morning-round")
        commit = []
        for _ in range(samples):
            started = time.perf_counter()
            recorder.complete(state.run_id, "check-content")
            commit.append(time.perf_counter() - started)
            recorder.undo(state.run_id)
        out["commit"] = commit  # the parent takes the p99
        week = week_range(period_of("weekly", recorder.clock().astimezone(recorder.zone).date()))
        started = time.perf_counter()
        build_review(recorder.ledger, week)
        out["review_query"] = time.perf_counter() - started
        # Time the key's action until the screen holds the new week's figures (the paint that
        # follows is one frame); Pilot.press itself waits for CPU idleness in 20 ms steps.
        started = time.perf_counter()
        app.action_review()
        while not (isinstance(app.screen, ReviewScreen) and app.screen.review is not None
                   and app.screen.query_one("#review-routines").row_count):
            await asyncio.sleep(0)
        out["review_open"] = time.perf_counter() - started
        shown = app.screen.review
        started = time.perf_counter()
        app.screen.action_move(-1)
        while app.screen.review is shown:
            await asyncio.sleep(0)
        out["review_prev"] = time.perf_counter() - started
        await pilot.pause()
    out["rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

asyncio.run(main())
print(json.dumps(out))
"""

BARE_RSS = r"""
import asyncio, json, resource, sys
sys.path.insert(0, sys.argv[1])
from bare_app import Bare
async def main():
    async with Bare().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
asyncio.run(main())
print(json.dumps({"rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def pilot_figures(env: dict[str, str], samples: int) -> dict[str, float]:
    """The in-process figures, from the second of two runs: the first is the first time this
    soptui reads the older playbook versions the journal's runs were folded with, which it
    validates (importing pydantic) and caches; every later start finds them in the cache.
    The first run's peak memory is kept as ``first_rss_kib``."""
    first = _pilot(env, 5)
    figures = _pilot(env, samples)
    figures["first_rss_kib"] = first["rss_kib"]
    bare = subprocess.run(
        [PYTHON, "-c", BARE_RSS, str(HERE)], env=env, capture_output=True, text=True, timeout=120
    )
    figures["bare_rss_kib"] = json.loads(bare.stdout.strip().splitlines()[-1])["rss_kib"]
    return figures


def _pilot(env: dict[str, str], samples: int) -> dict[str, float]:
    result = subprocess.run(
        [PYTHON, "-c", PILOT, str(samples)], env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    raw: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    commit: list[float] = raw.pop("commit")
    return {**raw, "commit_p99": p99(commit)}


# -- 3. completing a step, key to screen, in a real terminal --------------------------------------


def step_latency(env: dict[str, str], samples: int, command: str | None = None) -> list[float]:
    """Send space in tmux, time until the step's mark turns ✓ on screen; undo; repeat.

    With ``command`` (the bare app) the same keys and polling give the measurement's own floor.
    """
    socket = Path(tempfile.mkdtemp()) / "tmux.sock"
    tmux = ["tmux", "-S", str(socket)]
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    start_session(socket, f"env {exports} {command or SOPTUI + ' --language en run morning-round'}")

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout

    def wait(predicate: Callable[[str], bool]) -> None:
        deadline = time.perf_counter() + 10
        while not predicate(screen()):
            if time.perf_counter() > deadline:
                raise RuntimeError(screen())

    try:
        return _latencies(tmux, wait, samples, command)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def plain_step(playbook_id: str) -> tuple[int, str]:
    """(number, title) of the bundled English playbook's first step that space alone completes."""
    import tomllib

    from soptui.playbooks.library import bundled_root

    data = tomllib.loads((bundled_root() / "en" / f"{playbook_id}.toml").read_text(encoding="utf-8"))
    for number, step in enumerate(data["steps"], start=1):
        if not step.get("input") and not step.get("checklist") and not step.get("when"):
            return number, str(step["title"])
    raise SystemExit(f"{playbook_id} has no step that space alone completes")


def _latencies(
    tmux: list[str], wait: Callable[[Callable[[str], bool]], None], samples: int, command: str | None
) -> list[float]:
    # soptui: the first step with no input, no checklist and no condition, so space completes it.
    number, name = plain_step("morning-round")
    title, done = (
        (f"{number} · {name[:18]}", f"✓ {number} ") if command is None else ("3 · Review content", "✓ 3 ")
    )
    if command is None:
        wait(lambda text: "1 · Welcome" in text)  # the run screen itself, not Today before it
        time.sleep(1.0)
        # Down, not j: the first step may take a value, so the cursor may start in its box.
        subprocess.run([*tmux, "send-keys", "-t", "b", *["Down"] * (number - 1)], check=True)
    wait(lambda text: title in text)
    # Let start-up work finish (the background integrity check of a large journal takes ~2 s)
    # and warm up once: the figure is the steady state of an operator working through steps.
    time.sleep(3)
    times = []
    for _ in range(samples + 1):
        started = time.perf_counter()
        subprocess.run([*tmux, "send-keys", "-t", "b", "Space"], check=True)
        wait(lambda text: done in text)
        times.append(time.perf_counter() - started)
        # soptui moved on to the next pending step, maybe into its value box: ctrl+z undoes from there.
        subprocess.run([*tmux, "send-keys", "-t", "b", "C-z" if command is None else "u"], check=True)
        wait(lambda text: done not in text and title in text)
    return times[1:]


# -- 6. bytes written to the terminal for one step ----------------------------------------------


def terminal_bytes(env: dict[str, str]) -> tuple[int, int]:
    socket = Path(tempfile.mkdtemp()) / "tmux.sock"
    log = socket.parent / "pane.out"
    tmux = ["tmux", "-S", str(socket)]
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    start_session(socket, f"env {exports} {SOPTUI} --language en run morning-round")

    def screen() -> list[str]:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True
        ).stdout.splitlines()

    deadline = time.perf_counter() + 30
    while "Welcome" not in "\n".join(screen()) and time.perf_counter() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)
    # A step space alone completes (Down, not j: the cursor may start in the first step's box).
    number, _name = plain_step("morning-round")
    subprocess.run([*tmux, "send-keys", "-t", "b", *["Down"] * (number - 1)], check=True)
    time.sleep(1.0)
    before = screen()
    subprocess.run([*tmux, "pipe-pane", "-o", "-t", "b", f"cat >> {log}"], check=True)
    time.sleep(0.3)
    subprocess.run([*tmux, "send-keys", "-t", "b", "Space"], check=True)
    time.sleep(1.0)
    subprocess.run([*tmux, "pipe-pane", "-t", "b"], check=True)
    after = screen()
    subprocess.run([*tmux, "kill-server"], check=False)
    changed = sum(1 for a, b in zip("\n".join(before), "\n".join(after), strict=False) if a != b)
    return (log.stat().st_size if log.exists() else 0), changed


# -- the table ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny journal, one repetition (CI smoke)")
    parser.add_argument(
        "--startup",
        type=int,
        metavar="N",
        help="only the start-up row: N first frames each of soptui and the bare app, alternating",
    )
    args = parser.parse_args()
    days, groups, repeat, samples = (20, 2, 1, 5) if args.small else (5 * 365, 12, 5, 100)
    out = HERE / "out" / ("small" if args.small else "full")
    journal, playbooks = out / "journal.sqlite3", out / "playbooks"
    if not journal.exists():
        out.mkdir(parents=True, exist_ok=True)
        print(f"generating {days} days for {groups} groups into {journal} …", file=sys.stderr)
        count, seconds = generate(journal, days, date.today(), groups, playbooks_dir=playbooks)
        print(f"  {count} events in {seconds:.0f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as home:
        # Each run acts on a fresh copy (SQLite's backup API), so runs never change the cache.
        pristine, journal = journal, Path(home) / "journal.sqlite3"
        source, copy = sqlite3.connect(pristine), sqlite3.connect(journal)
        source.backup(copy)
        source.close()
        copy.close()
        env = {**inherited(), **soptui_env(home, journal, playbooks)}
        events = subprocess.run(
            [
                PYTHON,
                "-c",
                "import sqlite3,sys; print(sqlite3.connect(sys.argv[1])"
                ".execute('select count(*) from events').fetchone()[0])",
                str(journal),
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        rows: list[Row] = []
        term_env = {
            k: env[k]
            # The app in the terminal runs on the bundled playbooks (as the goal states); the
            # other groups' copies only make the journal realistic.
            for k in (
                "SOPTUI_JOURNAL",
                "SOPTUI_CONFIG_DIR",
                "SOPTUI_DATA_DIR",
                "SOPTUI_CACHE_DIR",
                "PYTHONPYCACHEPREFIX",
                "LANG",
                "TERM",
                "TZ",
            )
        }
        if args.startup:
            return startup_only(term_env, args.startup)
        app = first_frame(f"{SOPTUI} --language en", "Routines", term_env, repeat)
        bare = first_frame(f"{PYTHON} {HERE / 'bare_app.py'}", "bare app ready", term_env, repeat)
        rows.append(
            (
                "start to first full frame (tmux, 80x24)",
                ms(app),
                f"bare Textual app {ms(bare)}",
                f"{app / bare:.2f}x (goal ≤ 1.25x)",
            )
        )
        floor_pass = median_run([PYTHON, "-c", "pass"], env, repeat * 2)
        floor_textual = median_run([PYTHON, "-c", "import textual.app"], env, repeat * 2)
        version = median_run([SOPTUI, "--version"], env, repeat * 2)
        check = median_run([SOPTUI, "check"], env, repeat * 2)
        review = median_run([SOPTUI, "review", "--format", "json"], env, repeat * 2)
        imports = subprocess.run(
            [PYTHON, "-X", "importtime", "-m", "soptui", "check"], env=env, capture_output=True, text=True
        ).stderr
        textual_loaded = any(
            line.split("|")[-1].strip().startswith("textual") for line in imports.splitlines()
        )
        floors = f"python -c pass {ms(floor_pass)}; import textual {ms(floor_textual)}"
        rows.append(
            (
                "soptui --version",
                ms(version),
                floors,
                "no Textual import" if not textual_loaded else "IMPORTS TEXTUAL",
            )
        )
        rows.append(("soptui check (bundled + team playbooks)", ms(check), floors, ""))
        rows.append(
            (
                "soptui review --format json",
                ms(review),
                f"soptui --version {ms(version)}",
                f"+{ms(review - version)} (goal ≤ +300 ms)",
            )
        )
        figures = pilot_figures(env, samples)
        latency = step_latency(term_env, samples)
        floor = step_latency(term_env, samples, f"{PYTHON} {HERE / 'bare_app.py'}")
        rows.append(
            (
                "complete a step: key → commit → screen (p99, tmux)",
                f"{ms(p99(latency))} (p50 {ms(statistics.median(latency))}, max {ms(max(latency))})",
                f"commit alone {ms(figures['commit_p99'])}; bare app key→screen {ms(p99(floor))}",
                f"+{ms(p99(latency) - p99(floor))} over the bare app (goal < 50 ms)",
            )
        )
        rows.append(
            (
                "open the review screen (one week)",
                ms(figures["review_open"]),
                f"review query alone {ms(figures['review_query'])}",
                "goal < 150 ms",
            )
        )
        rows.append(
            (
                "review: previous week",
                ms(figures["review_prev"]),
                f"review query alone {ms(figures['review_query'])}",
                "goal < 150 ms",
            )
        )
        rss, bare_rss = figures["rss_kib"] / 1024, figures["bare_rss_kib"] / 1024
        rows.append(
            (
                "peak RSS, Today + review visited",
                f"{rss:.0f} MiB",
                f"bare Textual app {bare_rss:.0f} MiB",
                f"{rss / bare_rss:.2f}x (goal ≤ 2x)",
            )
        )
        first_rss = figures["first_rss_kib"] / 1024
        rows.append(
            (
                "peak RSS, the first start that meets older versions",
                f"{first_rss:.0f} MiB",
                "they are validated (pydantic) and cached once",
                f"{first_rss / bare_rss:.2f}x (report)",
            )
        )
        written, changed = terminal_bytes(term_env)
        rows.append(
            (
                "bytes to the terminal for one step (80x24)",
                f"{written} B",
                f"{changed} cells changed",
                f"full screen would be ≥ {80 * 24} cells",
            )
        )
    print(
        f"soptui bench · {date.today()} · {platform.node()} · {platform.platform()} · "
        f"{os.cpu_count()} CPUs · Python {platform.python_version()} · journal {events} events"
    )
    widths = [max(len(r[i]) for r in [("figure", "soptui", "floor", "vs goal"), *rows]) for i in range(4)]
    for row in [("figure", "soptui", "floor", "vs goal"), *rows]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
