"""Benchmark a team with many member groups: ``python bench/groups.py [--groups 200] [--days 1825]``.

A roster of N groups and a daily playbook of eight per-group steps; every day every group is
ticked on every step (a few skipped with a reason), with a per-group value on two steps.
Deterministic (seeded). Then it measures, on that journal:

- ticking one group (the recorder's whole action: lock, re-read and fold the run, validate,
  append, commit): p50 and p99 over a day's run that already holds thousands of group ticks;
- the review of one week (with its groups section) and of the week before, built in-process,
  and on the review screen (headless app);
- Today's agenda;
- ticking a group in a real terminal (tmux 80x24), key to screen, late in the day: space on
  the group list of the last step left, timed until the group's mark turns ✓ on screen.

Prints one line per figure; `--small` is a quick smoke run (20 groups, 10 days). The generated
journal is kept under ``--out`` and reused: each run measures on a fresh copy of it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from percentile import p99
from soptui_env import soptui_env

from soptui.agenda import build_agenda
from soptui.events import Event
from soptui.journal import Journal, RunRow
from soptui.ledger import Ledger
from soptui.playbooks.library import Library, Source, load_library
from soptui.playbooks.loader import content_hash
from soptui.recorder import Identity, Recorder
from soptui.review import Review, build_review, week_range

ZONE = ZoneInfo("Asia/Shanghai")
TEAM = ["alice", "bob", "chen", "dana", "erin", "fang", "gao", "hui", "ivan", "jing"]
STEPS = ["welcome", "sweep", "answer", "pin", "topic", "ads", "tone", "count"]


def write_team(directory: Path, groups: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    people = "".join(f'[[people]]\nid = "{login}"\nname = "{login.title()}"\n\n' for login in TEAM)
    (directory / "people.toml").write_text(people, encoding="utf-8")
    rows = []
    for number in range(1, groups + 1):
        tag = "新人群" if number % 5 == 0 else "城市群"
        rows.append(
            f'[[groups]]\nid = "g{number:03d}"\nname = "会员{number}群"\n'
            f'owner = "{TEAM[number % len(TEAM)]}"\ntags = ["{tag}"]\n'
        )
    (directory / "groups.toml").write_text("\n".join(rows), encoding="utf-8")
    steps = []
    for step in STEPS:
        steps.append(f'[[steps]]\nid = "{step}"\ntitle = "{step}"\nper_group = true\n')
        if step in ("count", "ads"):
            steps[-1] += (
                f'[steps.input]\ntype = "integer"\nmin = 0\nmetric = "groups.{step}"\naggregate = "sum"\n'
            )
    (directory / "round.toml").write_text(
        'title = "Per-group round"\ncadence = "daily"\n\n' + "\n".join(steps), encoding="utf-8"
    )


def generate(journal: Journal, recorder: Recorder, days: int, start: date) -> int:
    """Write ``days`` days of ticks straight through the journal API, one transaction a day."""
    rng = random.Random(14)
    playbook = recorder.library.entries["round"].playbook
    digest = content_hash(playbook)
    groups = [g.id for g in recorder.library.roster.active()]
    count = 0
    with journal.writing():
        journal.store_version(digest, playbook.id, playbook.model_dump_json(), datetime.now(UTC))
    for offset in range(days):
        day = start + timedelta(days=offset)
        period = day.isoformat()
        run_id = f"round@{period}"
        opened = datetime(day.year, day.month, day.day, 9, tzinfo=ZONE).astimezone(UTC)
        events = [
            Event(
                "run.opened",
                opened,
                "alice",
                "alice",
                "h",
                "round",
                digest,
                run_id,
                None,
                payload={"period": period},
            )
        ]
        moment = opened
        for step in STEPS:
            for group in groups:
                moment += timedelta(seconds=1)
                who = TEAM[rng.randrange(len(TEAM))]
                if rng.random() < 0.02:
                    events.append(
                        Event(
                            "step.skipped",
                            moment,
                            who,
                            who,
                            "h",
                            "round",
                            digest,
                            run_id,
                            step,
                            group,
                            {"reason": "群已解散"},
                        )
                    )
                else:
                    payload = {"value": rng.randrange(0, 30)} if step in ("count", "ads") else {}
                    events.append(
                        Event(
                            "step.done", moment, who, who, "h", "round", digest, run_id, step, group, payload
                        )
                    )
        with journal.writing():
            for event in events:
                journal.insert_event(event)
            journal.insert_run(RunRow(run_id, "round", digest, period, opened, "alice", None, None, moment))
        count += len(events)
    return count


class Clock:
    """The bench's fixed "now": noon on the day after the generated history."""

    now = datetime(2026, 11, 23, 12, tzinfo=ZONE)

    def __call__(self) -> datetime:
        return self.now


class WallClock:
    """The wall clock, for today's run in the terminal: the app reads the real time."""

    def __call__(self) -> datetime:
        return datetime.now(ZONE)


def timed(action, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def review_screen(recorder: Recorder, repeat: int) -> list[float]:
    """The review screen of the app (headless, 80x24), opened on the bench's week (W48, which
    holds only today) and moved back to W47 ``repeat`` times: from the key's action to the
    screen holding the week's figures, groups section included (the paint that follows is
    one frame, as in bench/run.py)."""
    import asyncio

    from soptui.drafts import Drafts
    from soptui.tui.app import make_app
    from soptui.tui.screens.review import ReviewScreen
    from soptui.tui.services import Services

    app = make_app(Services(recorder, "en", Path(tempfile.mkdtemp()), [], Drafts(None)))
    times = []

    async def measure() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            # The background integrity check of a large journal (about 1.5 s) first: the figure
            # is the steady state, as bench/run.py's.
            await app.workers.wait_for_complete([w for w in app.workers if w.group == "integrity"])
            app.action_review()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            for _ in range(repeat):
                started = time.perf_counter()
                screen.action_move(-1)
                times.append(time.perf_counter() - started)
                await pilot.pause()
                screen.action_move(1)
                await pilot.pause()

    asyncio.run(measure())
    return times


def fill_today(journal: Journal, library: Library, left: str) -> tuple[str, int]:
    """Today's run (by the wall clock) as it stands in the evening: every group ticked on every
    step but ``left``. Written straight through the journal API, one transaction."""
    recorder = Recorder(journal, library, ZONE, Identity("alice", "alice", "bench"), WallClock())
    state = recorder.routine_run("round")
    row = journal.run(state.run_id)
    assert row is not None
    groups = [g.id for g in library.roster.active()]
    moment = datetime.now(UTC) - timedelta(hours=2)
    with journal.writing():
        for step in STEPS:
            if step == left:
                continue
            payload = {"value": 3} if step in ("count", "ads") else {}
            for group in groups:
                moment += timedelta(milliseconds=100)
                event = Event("step.done", moment, "alice", "alice", "h", "round", row.playbook_hash)
                journal.insert_event(
                    replace(event, run_id=state.run_id, step_id=step, group_id=group, payload=payload)
                )
    return state.run_id, len(recorder.state(state.run_id).events)


def terminal_ticks(out: Path, journal: Path, playbooks: Path, samples: int) -> list[float]:
    """Tick groups in a real terminal: the run screen opens on the step left, its group list
    focused; space ticks the highlighted group (and moves down). Each tick is timed from the
    key to the group's ✓ on screen, as tmux shows it (polling capture-pane)."""
    home = out / "home"
    soptui = shutil.which("soptui", path=str(Path(sys.executable).parent)) or "soptui"
    env = {
        **soptui_env(home, journal, playbooks),
        **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},  # another soptui, to compare
    }
    socket = Path(tempfile.mkdtemp()) / "tmux.sock"
    tmux = ["tmux", "-S", str(socket)]
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    command = f"env {exports} {soptui} --language en run round"
    session = ["new-session", "-d", "-s", "b", "-x", "80", "-y", "24", command]
    subprocess.run([*tmux, "-f", "/dev/null", *session, ";", "set-option", "-g", "status", "off"], check=True)

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout

    def wait(predicate: Callable[[str], bool]) -> str:
        deadline = time.perf_counter() + 30
        while not predicate(text := screen()):
            if time.perf_counter() > deadline:
                raise RuntimeError(text)
        return text

    def highlighted(text: str) -> str:
        """The group under the cursor: its row reads "› · NAME · OWNER"."""
        row = next((line for line in text.splitlines() if "› · " in line and "群" in line), None)
        if row is None:
            raise RuntimeError("no group row carries the cursor mark ›; the screen was:\n" + text)
        return row.split("› · ", 1)[1].split(" · ", 1)[0]

    try:
        wait(lambda text: "› · " in text and "群" in text)
        time.sleep(3)  # start-up work done: the figure is an operator's steady state
        times = []
        for _ in range(samples + 1):  # the first one warms up
            name = highlighted(screen())
            started = time.perf_counter()
            subprocess.run([*tmux, "send-keys", "-t", "b", "Space"], check=True)
            wait(lambda text, name=name: f"✓ {name} ·" in text)  # type: ignore[misc]
            times.append(time.perf_counter() - started)
        return times[1:]
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--days", type=int, default=1825)
    parser.add_argument("--small", action="store_true", help="20 groups, 10 days (CI smoke)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "groups")
    parser.add_argument("--repeat", type=int, default=9, help="reviews timed (median, min)")
    parser.add_argument("--ticks", type=int, default=100, help="groups ticked in the terminal (0: none)")
    args = parser.parse_args()
    groups, days = (20, 10) if args.small else (args.groups, args.days)
    out = args.out / f"{groups}x{days}"
    team = out / "playbooks"
    write_team(team, groups)
    library = load_library([Source(team, "team")])
    if library.problems:
        print(*library.problems, sep="\n", file=sys.stderr)
        return 1
    today = date(2026, 11, 23)
    start = today - timedelta(days=days)
    # The generated journal is kept as it was generated and reused by later runs; each run
    # measures on a fresh copy, since ticking today's run writes to it.
    pristine = out / "journal.sqlite3"
    if not pristine.exists():
        partial = out / "journal.partial.sqlite3"
        for leftover in out.glob("journal.partial.sqlite3*"):
            leftover.unlink()
        journal = Journal.open(partial)
        recorder = Recorder(journal, library, ZONE, Identity("alice", "alice", "bench"), Clock())
        began = time.perf_counter()
        events = generate(journal, recorder, days, start)
        took = time.perf_counter() - began
        journal.close()
        partial.rename(pristine)
        print(f"generated {events} events for {groups} groups over {days} days in {took:.0f} s")
    path = out / "measured.sqlite3"
    for stale in out.glob("measured.sqlite3*"):
        stale.unlink()
    shutil.copyfile(pristine, path)
    journal = Journal.open(path)
    recorder = Recorder(journal, library, ZONE, Identity("alice", "alice", "bench"), Clock())
    machine = f"{platform.platform()} · Python {platform.python_version()}"
    print(f"soptui groups bench · {date.today()} · {machine} · journal {journal.event_count()} events")
    run_id = recorder.routine_run("round").run_id
    active = [g.id for g in library.roster.active()]
    for group in active[: len(active) // 2]:  # half the day already ticked on the first steps
        for step in STEPS[:4]:
            recorder.complete(run_id, step, group=group)
    left = iter(active[len(active) // 2 :])
    ticks = timed(lambda: recorder.complete(run_id, "welcome", group=next(left)), min(100, len(active) // 2))
    held = len(recorder.state(run_id).events)
    p50_ms, p99_ms = statistics.median(ticks) * 1000, p99(ticks) * 1000
    print(f"tick one group (run holds {held} events): p50 {p50_ms:.1f} ms, p99 {p99_ms:.1f} ms")
    for label, name in (("2026-W47", "one week"), ("2026-W46", "the week before")):
        # Each review on a new ledger, as `soptui review` builds one: nothing folded before.
        def cold(label: str = label) -> Review:
            return build_review(Ledger(journal, library, ZONE, Clock()), week_range(label))

        cold()  # the disk cache warm, as it is on a server in use
        week = timed(cold, args.repeat)
        review = build_review(recorder.ledger, week_range(label))
        again = timed(lambda label=label: build_review(recorder.ledger, week_range(label)), args.repeat)
        median, least = statistics.median(week) * 1000, min(week) * 1000
        print(
            f"review of {name} with {len(review.groups)} groups: median {median:.0f} ms"
            f" (min {least:.0f} ms, {args.repeat} times); again in one process (its runs kept):"
            f" median {statistics.median(again) * 1000:.0f} ms"
        )
    screen = review_screen(recorder, args.repeat)
    median, least = statistics.median(screen) * 1000, min(screen) * 1000
    print(
        f"review screen, ← to one week: first {screen[0] * 1000:.0f} ms (a week not folded yet);"
        f" then back and forth: median {median:.0f} ms (min {least:.0f} ms, {args.repeat} times)"
    )
    agenda = timed(lambda: build_agenda(recorder.ledger), 5)
    print(f"Today's agenda: {statistics.median(agenda) * 1000:.0f} ms")
    if args.ticks and shutil.which("tmux"):
        _today, held = fill_today(journal, library, left="tone")
        journal.close()
        keys = terminal_ticks(out, path, team, min(args.ticks, len(active) - 1))
        p50_ms, p99_ms = statistics.median(keys) * 1000, p99(keys) * 1000
        print(
            f"tick a group in the terminal, key → screen (run holds {held} events, {len(keys)} ticks):"
            f" p50 {p50_ms:.0f} ms, p99 {p99_ms:.0f} ms"
        )
    else:
        journal.close()
        print("tick a group in the terminal: not measured (--ticks 0, or no tmux)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
