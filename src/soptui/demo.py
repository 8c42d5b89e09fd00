"""A few weeks of realistic history from the bundled playbooks, for ``soptui demo``.

Deterministic (seeded), built through the recorder like real actions, with a moving clock.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from soptui.journal import Journal
from soptui.playbooks.library import Library
from soptui.playbooks.models import InputSpec, Playbook
from soptui.recorder import ActionError, Identity, Recorder
from soptui.runs import RunState
from soptui.schedule import due_at, period_of, periods_between

TEAM = ["alice", "bob", "chen", "dana"]
NOTES = {
    "zh": [
        "新人提问集中在发货时间",
        "今天的话题讨论热烈",
        "有两位成员反馈图片加载慢",
        "活动报名比上周多",
        "有广告号试图进群，已拦截",
        "核心成员主动分享了使用心得",
    ],
    "en": [
        "Newcomers mostly asked about shipping times",
        "Today's topic got a lively thread",
        "Two members said images load slowly",
        "More sign-ups than last week",
        "An ad account tried to join; blocked",
        "A core member shared a long how-to",
    ],
}
REASONS = {
    "zh": ["太忙", "今天没有合适的话题", "负责人请假"],
    "en": ["too busy", "no good topic today", "owner on leave"],
}
RANGES = {
    "members.new": (15, 60),
    "members.total": (3000, 3000),
    "members.active": (380, 720),
    "messages.count": (700, 2200),
    "activity.rate": (20, 32),
    "interaction.rate": (4, 12),
    "content.reads": (1500, 4200),
    "content.shares": (40, 220),
    "satisfaction.score": (3.9, 4.7),
    "members.removed": (5, 40),
    "event.participants": (40, 160),
    "members.inactive-contacted": (10, 45),
}


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _value(spec: InputSpec, rng: random.Random, day_index: int, total: list[int], language: str) -> str:
    if spec.type == "yes-no":
        return "yes" if rng.random() < 0.12 else "no"
    if spec.type == "choice":
        return rng.choice(spec.choices or ["-"])
    if spec.type == "text":
        return rng.choice(NOTES[language])
    low, high = RANGES.get(spec.metric or "", (1, 20))
    if spec.metric == "members.total":
        total[0] += rng.randint(15, 60)
        return str(total[0])
    value = rng.uniform(low, high) * (1 + day_index * 0.01)
    if spec.min is not None:
        value = max(value, spec.min)
    if spec.max is not None:
        value = min(value, spec.max)
    return str(round(value)) if spec.type == "integer" else f"{value:.1f}"


def _walk(
    recorder: Recorder,
    state: RunState,
    clock: _Clock,
    rng: random.Random,
    day_index: int,
    total: list[int],
    language: str,
    finish: bool,
) -> None:
    for step_id in list(state.steps):
        state = recorder.state(state.run_id)
        step = state.steps[step_id]
        if step.status != "pending":
            continue
        clock.now += timedelta(minutes=rng.randint(1, 9))
        if not finish and rng.random() < 0.3:
            return
        try:
            if step.step.optional and rng.random() < 0.25:
                recorder.skip(state.run_id, step_id)
            elif rng.random() < 0.06:
                recorder.skip(state.run_id, step_id, rng.choice(REASONS[language]))
            else:
                value = _value(step.step.input, rng, day_index, total, language) if step.step.input else None
                recorder.complete(state.run_id, step_id, value)
            if rng.random() < 0.08:
                recorder.note(state.run_id, rng.choice(NOTES[language]), step_id)
        except ActionError:
            continue


def fill_demo(
    journal: Journal,
    library: Library,
    zone: ZoneInfo,
    now: datetime,
    language: str,
    days: int = 28,
    seed: int = 48,
) -> None:
    """Write ``days`` days of history up to ``now`` (today's runs only as far as they got)."""
    now = now.astimezone(zone)
    today = now.date()
    rng = random.Random(seed)
    start = today - timedelta(days=days)
    clock = _Clock(datetime.combine(start, time(8, 0), zone))
    recorders = {name: Recorder(journal, library, zone, Identity(name, name, "demo"), clock) for name in TEAM}
    with journal.writing():
        journal.mark_seen([e.playbook.id for e in library], clock.now)
    total = [3200]
    routines: list[Playbook] = [e.playbook for e in library if e.playbook.is_routine]
    for index in range(days + 1):
        day = start + timedelta(days=index)
        for playbook in routines:
            period = period_of(playbook.cadence, day)
            due = due_at(playbook, period, zone)
            if (due - timedelta(minutes=1)).date() != day:
                continue
            if rng.random() < 0.1 and day < today:
                continue  # missed
            recorder = recorders[rng.choice(TEAM)]
            clock.now = due - timedelta(minutes=rng.randint(-40, 90))
            if clock.now >= now:
                continue
            state = recorder.routine_run(playbook.id)
            _walk(recorder, state, clock, rng, index, total, language, finish=day < today)
        if index in (6, 17, days - 1) and datetime.combine(day, time(21), zone) < now:
            _incident(recorders, library, clock, rng, day, zone, language, resolve=index != days - 1)


def _incident(
    recorders: dict[str, Recorder],
    library: Library,
    clock: _Clock,
    rng: random.Random,
    day: date,
    zone: ZoneInfo,
    language: str,
    resolve: bool,
) -> None:
    incidents = [e.playbook for e in library if e.playbook.is_incident]
    if not incidents:
        return
    playbook = rng.choice(incidents)
    clock.now = datetime.combine(day, time(rng.randint(10, 20), rng.randint(0, 59)), zone)
    opener = recorders[rng.choice(TEAM)]
    titles = {
        "zh": ["微博差评扩散", "会员投诉退款被拒", "夜间广告刷屏"],
        "en": [
            "Bad review spreading on Weibo",
            "Member complaint about a refused refund",
            "Overnight ad flood",
        ],
    }
    state = opener.open_incident(
        playbook.id, rng.choice(titles[language]), playbook.severities[min(1, len(playbook.severities) - 1)]
    )
    for step_id in list(state.steps):
        clock.now += timedelta(minutes=rng.randint(3, 25))
        try:
            recorders[rng.choice(TEAM)].complete(
                state.run_id, step_id, _demo_input(state, step_id, rng, language)
            )
        except ActionError:
            continue
        if not resolve and rng.random() < 0.5:
            return
    if resolve:
        clock.now += timedelta(minutes=10)
        summary = (
            "已私信当事人并公开回应" if language == "zh" else "Reached out privately and replied publicly"
        )
        opener.resolve(state.run_id, summary)


def _demo_input(state: RunState, step_id: str, rng: random.Random, language: str) -> str | None:
    spec = state.steps[step_id].step.input
    return None if spec is None else _value(spec, rng, 0, [0], language)


def demo_periods(today: date, days: int) -> list[str]:
    return periods_between("daily", today - timedelta(days=days), today)
