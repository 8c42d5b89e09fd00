"""Generate a realistic journal for the benchmarks: ``python bench/generate.py OUT [--events N]``.

A team of ten over five years: each operator owns one community group and runs the daily,
weekly and monthly routines for it (the bundled playbooks, one copy per group), ticking
checklists, recording values, skipping with reasons, writing notes and undoing now and then;
incidents open and resolve a few times a month. Deterministic (seeded), so anyone gets the same
journal. Writes through the journal's own API, one transaction per day.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from soptui.journal import Event, Journal, RunRow
from soptui.playbooks.library import Library, bundled_source, load_library
from soptui.playbooks.loader import content_hash
from soptui.playbooks.models import Playbook
from soptui.schedule import due_at, period_of

ZONE = ZoneInfo("Asia/Shanghai")
TEAM = ["alice", "bob", "chen", "dana", "erin", "fang", "gao", "hui", "ivan", "jing"]
NOTES = [
    "新人问发货时间",
    "话题讨论很热烈",
    "图片加载慢",
    "活动报名比上周多",
    "拦截了一个广告号",
    "核心成员分享了心得",
]


def group_copies(library: Library, groups: int) -> list[Playbook]:
    """Every routine once per group (group 1 as bundled, others suffixed -g2 … -gN); incidents shared."""
    copies = []
    for entry in library:
        playbook = entry.playbook
        if playbook.is_incident:
            copies.append(playbook)
            continue
        copies.append(playbook)  # group 1 runs the bundled playbooks as they are
        for group in range(2, groups + 1):
            copies.append(
                playbook.model_copy(
                    update={"id": f"{playbook.id}-g{group}", "title": f"{playbook.title} #{group}"}
                )
            )
    return copies


def write_playbooks(playbooks: list[Playbook], directory: Path) -> None:
    """The group copies as playbook files, so the app under test loads the same library."""
    import tomli_w

    directory.mkdir(parents=True, exist_ok=True)
    for playbook in playbooks:
        data = playbook.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["cadence"] = playbook.cadence
        data["id"] = playbook.id
        if playbook.reviewed is not None:
            data["reviewed"] = playbook.reviewed
        (directory / f"{playbook.id}.toml").write_text(tomli_w.dumps(data), encoding="utf-8")


class Generator:
    def __init__(self, journal: Journal, playbooks: list[Playbook], seed: int) -> None:
        self.journal = journal
        self.rng = random.Random(seed)
        self.routines = [p for p in playbooks if not p.is_incident and not p.is_sequence]
        self.incidents = [p for p in playbooks if p.is_incident]
        self.hashes = {p.id: content_hash(p) for p in playbooks}
        self.count = 0

    def event(
        self,
        kind: str,
        at: datetime,
        operator: str,
        playbook: Playbook | None,
        run: str | None,
        step: str | None = None,
        payload: dict[str, object] | None = None,
    ) -> Event:
        self.count += 1
        return Event(
            kind=kind,
            at=at,
            operator=operator,
            login=operator,
            host="ops1",
            playbook_id=playbook.id if playbook else None,
            playbook_hash=self.hashes[playbook.id] if playbook else None,
            run_id=run,
            step_id=step,
            payload=dict(payload or {}),
            recorded_at=at,
        )

    def value(self, playbook: Playbook, step_id: str) -> object:
        step = playbook.step(step_id)
        spec = step.input if step else None
        if spec is None:
            return None
        if spec.type == "yes-no":
            return self.rng.random() < 0.1
        if spec.type == "choice":
            return self.rng.choice(spec.choices or ["-"])
        if spec.type == "text":
            return self.rng.choice(NOTES)
        low = spec.min if spec.min is not None else 0
        high = spec.max if spec.max is not None else low + 500
        number = self.rng.uniform(low, min(high, low + 500))
        return round(number) if spec.type == "integer" else round(number, 1)

    def run(self, playbook: Playbook, period: str, operator: str, start: datetime) -> None:
        rng = self.rng
        run_id = f"{playbook.id}@{period}"
        at = start
        self.journal.insert_event(
            self.event("run.opened", at, operator, playbook, run_id, None, {"period": period})
        )
        self.journal.insert_run(
            RunRow(run_id, playbook.id, self.hashes[playbook.id], period, at, operator, None, None, None)
        )
        finished = rng.random() > 0.05
        for step in playbook.steps:
            at += timedelta(seconds=rng.randint(30, 600))
            for item in range(len(step.checklist)):
                self.journal.insert_event(
                    self.event(
                        "checklist.ticked",
                        at,
                        operator,
                        playbook,
                        run_id,
                        step.id,
                        {"item": item, "ticked": True},
                    )
                )
            if rng.random() < 0.15:
                self.journal.insert_event(
                    self.event("note", at, operator, playbook, run_id, step.id, {"text": rng.choice(NOTES)})
                )
            if not finished and rng.random() < 0.3:
                break
            if rng.random() < 0.06:
                self.journal.insert_event(
                    self.event("step.skipped", at, operator, playbook, run_id, step.id, {"reason": "太忙"})
                )
                continue
            value = self.value(playbook, step.id)
            done = self.event(
                "step.done",
                at,
                operator,
                playbook,
                run_id,
                step.id,
                {} if value is None else {"value": value},
            )
            self.journal.insert_event(done)
            if rng.random() < 0.02:
                self.journal.insert_event(
                    self.event(
                        "undo",
                        at,
                        operator,
                        playbook,
                        run_id,
                        None,
                        {"target": done.uuid, "undone": "step.done"},
                    )
                )
                self.journal.insert_event(
                    self.event(
                        "step.done",
                        at,
                        operator,
                        playbook,
                        run_id,
                        step.id,
                        {} if value is None else {"value": value},
                    )
                )
        if finished:
            self.journal.set_run_closed(run_id, at)

    def incident(self, day: date, operator: str) -> None:
        playbook = self.rng.choice(self.incidents)
        at = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=self.rng.randint(9, 21))
        run_id = f"{playbook.id}#{self.rng.getrandbits(32):08x}"
        severity = self.rng.choice(playbook.severities)
        self.journal.insert_event(
            self.event(
                "run.opened",
                at,
                operator,
                playbook,
                run_id,
                None,
                {"title": self.rng.choice(NOTES), "severity": severity},
            )
        )
        self.journal.insert_run(
            RunRow(
                run_id, playbook.id, self.hashes[playbook.id], None, at, operator, "incident", severity, None
            )
        )
        for step in playbook.steps:
            at += timedelta(minutes=self.rng.randint(2, 30))
            self.journal.insert_event(
                self.event("step.done", at, self.rng.choice(TEAM), playbook, run_id, step.id, {})
            )
        at += timedelta(minutes=10)
        self.journal.insert_event(
            self.event("incident.resolved", at, operator, playbook, run_id, None, {"summary": "resolved"})
        )
        self.journal.set_run_closed(run_id, at)

    def day(self, day: date) -> None:
        for index, playbook in enumerate(self.routines):
            period = period_of(playbook.cadence, day)
            due = due_at(playbook, period, ZONE)
            if (due - timedelta(minutes=1)).date() != day or self.rng.random() < 0.04:
                continue
            operator = TEAM[index % len(TEAM)]
            self.run(playbook, period, operator, due - timedelta(minutes=self.rng.randint(20, 120)))
        if self.rng.random() < 0.1 and self.incidents:
            self.incident(day, self.rng.choice(TEAM))
        if self.rng.random() < 0.5:
            at = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=18)
            self.journal.insert_event(
                self.event(
                    "note", at, self.rng.choice(TEAM), None, None, None, {"text": self.rng.choice(NOTES)}
                )
            )


def generate(
    out: Path,
    days: int,
    end: date,
    groups: int = 10,
    seed: int = 7,
    language: str = "zh",
    playbooks_dir: Path | None = None,
) -> tuple[int, float]:
    """Write ``days`` days of history ending the day before ``end``; returns (events, seconds)."""
    library = load_library([bundled_source(language)])
    playbooks = group_copies(library, groups)
    if playbooks_dir is not None:
        # Group 1 runs the bundled playbooks themselves; only the other groups' copies are files.
        bundled = set(library.entries)
        write_playbooks([p for p in playbooks if not p.is_incident and p.id not in bundled], playbooks_dir)
    if out.exists():
        raise SystemExit(f"{out} exists; remove it first")
    started = time.perf_counter()
    journal = Journal.open(out)
    # Generation only: a crash here just means generating again, so skip the per-commit fsync.
    journal._db.execute("PRAGMA synchronous = OFF")
    with journal.writing():
        for playbook in playbooks:
            journal.store_version(
                content_hash(playbook),
                playbook.id,
                playbook.model_dump_json(),
                datetime(2020, 1, 1, tzinfo=UTC),
            )
        journal.mark_seen([p.id for p in playbooks], datetime(2020, 1, 1, tzinfo=UTC))
    generator = Generator(journal, playbooks, seed)
    day = end - timedelta(days=days)
    while day < end:  # history up to yesterday; today is left for the benchmark to act on
        with journal.writing():
            generator.day(day)
        day += timedelta(days=1)
    journal.close()
    return generator.count, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=5 * 365, help="days of history (default: five years)")
    parser.add_argument("--groups", type=int, default=12, help="community groups, one routine set each")
    parser.add_argument("--playbooks", type=Path, help="also write the group copies here as playbook files")
    args = parser.parse_args()
    count, seconds = generate(args.out, args.days, date.today(), args.groups, playbooks_dir=args.playbooks)
    print(f"wrote {count} events to {args.out} in {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
