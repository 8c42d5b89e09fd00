"""Benchmark a team with many member groups: ``python bench/groups.py [--groups 200] [--days 1825]``.

A roster of N groups and a daily playbook of eight per-group steps; every day every group is
ticked on every step (a few skipped with a reason), with a per-group value on two steps.
Deterministic (seeded). Then it measures, on that journal:

- ticking one group (the recorder's whole action: lock, re-read and fold the run, validate,
  append, commit): p50 and p99 over a day's run that already holds thousands of group ticks;
- the review of one week (with its groups section) and of the previous week;
- Today's agenda.

Prints one line per figure; `--small` is a quick smoke run (20 groups, 10 days).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from soptui.agenda import build_agenda
from soptui.events import Event
from soptui.journal import Journal, RunRow
from soptui.playbooks.library import Source, load_library
from soptui.playbooks.loader import content_hash
from soptui.recorder import Identity, Recorder
from soptui.review import build_review, week_range

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


def timed(action, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--days", type=int, default=1825)
    parser.add_argument("--small", action="store_true", help="20 groups, 10 days (CI smoke)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "groups")
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
    path = out / "journal.sqlite3"
    fresh = not path.exists()
    journal = Journal.open(path)

    class Clock:
        now = datetime(2026, 11, 23, 12, tzinfo=ZONE)

        def __call__(self) -> datetime:
            return self.now

    recorder = Recorder(journal, library, ZONE, Identity("alice", "alice", "bench"), Clock())
    if fresh:
        began = time.perf_counter()
        events = generate(journal, recorder, days, start)
        took = time.perf_counter() - began
        print(f"generated {events} events for {groups} groups over {days} days in {took:.0f} s")
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
    week = timed(lambda: build_review(recorder, week_range("2026-W47")), 3)
    review = build_review(recorder, week_range("2026-W47"))
    print(f"review of one week with {len(review.groups)} groups: {statistics.median(week) * 1000:.0f} ms")
    agenda = timed(lambda: build_agenda(recorder), 5)
    print(f"Today's agenda: {statistics.median(agenda) * 1000:.0f} ms")
    journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
