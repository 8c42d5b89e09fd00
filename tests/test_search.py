"""Search (issue 18): Chinese and English queries, the FTS index kept in step with the journal
across undo, import and migration, the CLI; and a step's history of values."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soptui.events import Event, search_text
from soptui.journal import Journal
from soptui.journal.exchange import export_jsonl, import_events, parse_lines
from soptui.journal.schema import MIGRATIONS, SCHEMA_VERSION
from soptui.recorder import Recorder
from soptui.search import SearchError, search, spans_of, sparkline, terms_of
from tests.helpers import DAILY, INCIDENT, Clock, library_from, recorder_for

TEXTS = """\
title = "Feedback"
cadence = "daily"
[[steps]]
id = "summary"
title = "Summarise feedback"
[steps.input]
type = "text"
[[steps]]
id = "count"
title = "Count complaints"
[steps.input]
type = "integer"
min = 0
"""

NOTES = [
    "今天有三条差评，都是关于物流",
    "用户要求退款，已转给客服",
    "差评已回复",
    "A/B测试：新版欢迎语点击率更高",
    "Refund requested by a VIP member",
    "群里有人发广告，已移出",
]


def _recorder(tmp_path: Path) -> Recorder:
    library = library_from(tmp_path, morning=DAILY, spam=INCIDENT, feedback=TEXTS)
    return recorder_for(tmp_path, library, clock=Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC)))


def _texts(recorder: Recorder, query: str, **options: object) -> list[str]:
    return [hit.text for hit in search(recorder.journal, query, **options)]  # type: ignore[arg-type]


@pytest.fixture
def filled(tmp_path: Path) -> Recorder:
    """A journal with notes, a skip reason, a text value, an incident and a day note."""
    recorder = _recorder(tmp_path)
    clock = recorder.clock
    assert isinstance(clock, Clock)
    run_id = recorder.routine_run("morning").run_id
    for text in NOTES:
        recorder.note(run_id, text, "welcome")
        clock.advance(minutes=1)
    recorder.skip(run_id, "topic", "群里太忙，没空发话题")
    feedback = recorder.routine_run("feedback").run_id
    recorder.complete(feedback, "summary", "顾客抱怨退款太慢")
    recorder.complete(feedback, "count", "7")
    incident = recorder.open_incident("spam", "广告刷屏：差评轰炸", "P1")
    clock.advance(minutes=5)
    recorder.resolve(incident.run_id, "封禁了 12 个广告号")
    recorder.note(None, "day log: 明天跟进退款")
    return recorder


def test_two_character_chinese_words_find_every_note_holding_them(filled: Recorder) -> None:
    assert _texts(filled, "差评") == ["广告刷屏：差评轰炸", "差评已回复", "今天有三条差评，都是关于物流"]
    assert _texts(filled, "退款") == ["day log: 明天跟进退款", "顾客抱怨退款太慢", "用户要求退款，已转给客服"]


def test_one_three_and_longer_characters_and_substrings_of_phrases(filled: Recorder) -> None:
    assert _texts(filled, "物流") == ["今天有三条差评，都是关于物流"]
    assert _texts(filled, "三条差评") == ["今天有三条差评，都是关于物流"]
    assert _texts(filled, "要求退款，已转") == ["用户要求退款，已转给客服"]  # punctuation inside
    assert _texts(filled, "慢") == ["顾客抱怨退款太慢"]
    assert _texts(filled, "差评太多") == []


def test_english_mixed_scripts_and_several_terms(filled: Recorder) -> None:
    assert _texts(filled, "refund") == ["Refund requested by a VIP member"]  # case folded
    assert _texts(filled, "REFUND vip") == ["Refund requested by a VIP member"]
    assert _texts(filled, "A/B测试") == ["A/B测试：新版欢迎语点击率更高"]
    assert _texts(filled, "B测") == ["A/B测试：新版欢迎语点击率更高"]  # two characters, two scripts
    assert _texts(filled, "差评 物流") == ["今天有三条差评，都是关于物流"]  # every term must appear
    assert _texts(filled, "100%") == []  # LIKE wildcards are literal
    assert _texts(filled, 'say "hi"') == []  # FTS syntax is literal


def test_what_is_searched_and_where_results_point(filled: Recorder) -> None:
    [skip] = search(filled.journal, "没空")
    assert skip.event.kind == "step.skipped" and skip.event.step_id == "topic"
    summary, title, note = search(filled.journal, "广告")
    assert summary.event.kind == "incident.resolved" and summary.text == "封禁了 12 个广告号"
    assert title.event.kind == "run.opened" and title.event.run_id == summary.event.run_id
    assert note.event.kind == "note" and note.event.step_id == "welcome"
    [value] = search(filled.journal, "抱怨")
    assert value.event.kind == "step.done" and value.event.step_id == "summary"
    assert search(filled.journal, "7") == []  # numbers are values, not text
    [day] = search(filled.journal, "跟进")
    assert day.event.run_id is None


def test_newest_first_limit_and_dates(filled: Recorder) -> None:
    hits = search(filled.journal, "差评", limit=2)
    assert len(hits) == 2 and hits[0].at >= hits[1].at
    later = datetime(2026, 11, 24, tzinfo=UTC)
    assert search(filled.journal, "差评", start=later) == []
    assert len(search(filled.journal, "差评", end=later)) == 3


def test_highlight_spans_and_marked_snippets(filled: Recorder) -> None:
    [hit] = search(filled.journal, "差评 物流")
    assert hit.spans == ((5, 7), (12, 14))
    assert hit.marked() == "今天有三条【差评】，都是关于【物流】"
    assert spans_of("Refund refund", ["REFUND"]) == ((0, 6), (7, 13))
    long = "前" * 100 + "退款" + "后" * 100
    marked = search_snippet(long, "退款")
    assert "【退款】" in marked and marked.startswith("…") and marked.endswith("…") and len(marked) < 80


def search_snippet(text: str, query: str) -> str:
    from soptui.search import SearchHit

    event = Event(kind="note", at=datetime.now(UTC), operator="a", login="a", host="h")
    return SearchHit(event, text, spans_of(text, terms_of(query))).marked()


def test_empty_or_overlong_queries_are_refused() -> None:
    with pytest.raises(SearchError):
        terms_of("   ")
    with pytest.raises(SearchError):
        terms_of("x" * 201)
    assert terms_of("差评 差评 Refund refund") == ["差评", "Refund"]


def test_an_undone_note_leaves_the_index(filled: Recorder) -> None:
    run_id = filled.routine_run("morning").run_id
    filled.note(run_id, "临时备注：稍后删除")
    assert _texts(filled, "临时备注") == ["临时备注：稍后删除"]
    assert _texts(filled, "删") == ["临时备注：稍后删除"]
    filled.undo(run_id)
    assert _texts(filled, "临时备注") == []
    assert _texts(filled, "删") == []


def test_a_failed_action_leaves_no_index_entry(filled: Recorder) -> None:
    from soptui.recorder import ActionError

    run_id = filled.routine_run("morning").run_id
    with pytest.raises(ActionError):
        filled.complete(run_id, "nope", note="孤儿备注")  # the step does not exist: nothing recorded
    assert _texts(filled, "孤儿备注") == []


def _index(journal: Journal) -> list[tuple[str, str]]:
    rows = journal._db.execute(
        "SELECT e.uuid, t.body FROM search_text t JOIN events e ON e.seq = t.seq ORDER BY e.uuid"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def test_import_indexes_new_events_and_an_undo_arriving_first(filled: Recorder, tmp_path: Path) -> None:
    run_id = filled.routine_run("morning").run_id
    filled.note(run_id, "将被撤销的备注")
    filled.undo(run_id)
    lines = list(export_jsonl(filled.journal, None, None))
    versions, events = parse_lines(lines, "export")
    # The undo first: its target arrives after it and must stay out of the index.
    events.sort(key=lambda e: e.kind != "undo")
    with Journal.open(tmp_path / "other.sqlite3") as other:
        import_events(other, versions, events, lambda run: None)
        assert _index(other) == _index(filled.journal)
        assert [h.text for h in search(other, "撤销")] == []
        assert len(search(other, "差评")) == 3
        import_events(other, versions, events, lambda run: None)  # twice changes nothing
        assert _index(other) == _index(filled.journal)


def test_migration_4_builds_the_same_index_as_live_recording(filled: Recorder, tmp_path: Path) -> None:
    run_id = filled.routine_run("morning").run_id
    filled.note(run_id, "撤销我")
    filled.undo(run_id)
    live = _index(filled.journal)
    assert len(live) == len(NOTES) + 5  # skip reason, text value, title, summary, day note
    # A version 3 journal holding the same events: migrating it builds the index from them.
    path = tmp_path / "v3.sqlite3"
    db = sqlite3.connect(path)
    for version in (1, 2, 3):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
    columns = "uuid, at, recorded_at, operator, login, host, playbook_id, playbook_hash, run_id, step_id, "
    columns += "group_id, kind, payload"
    rows = filled.journal._db.execute(f"SELECT {columns} FROM events ORDER BY seq").fetchall()
    db.executemany(f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * 13)})", [tuple(r) for r in rows])
    db.execute(
        "INSERT INTO events (uuid, at, recorded_at, operator, login, host, kind, payload) VALUES "
        "('bad', '2026-11-23T01:00:00.000000Z', '2026-11-23T01:00:00.000000Z', 'a', 'a', 'h', 'note', "
        "'{\"text\": NaN}')"
    )  # an unreadable payload is left out, never fatal
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    with Journal.open(path) as journal:
        assert journal._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 4
        assert _index(journal) == live
        assert [h.text for h in search(journal, "差评")] == [h.text for h in search(filled.journal, "差评")]
        assert search(journal, "撤销我") == []


def test_search_text_picks_the_field_of_each_kind() -> None:
    def event(kind: str, **payload: object) -> Event:
        return Event(kind=kind, at=datetime.now(UTC), operator="a", login="a", host="h", payload=payload)

    assert search_text(event("note", text="备注")) == "备注"
    assert search_text(event("step.skipped", reason="太忙")) == "太忙"
    assert search_text(event("run.opened", title="刷屏", period=None)) == "刷屏"
    assert search_text(event("run.opened", period="2026-11-23")) is None
    assert search_text(event("incident.resolved", summary="已处理")) == "已处理"
    assert search_text(event("step.done", value="文字")) == "文字"
    assert search_text(event("step.done", value=3)) is None
    assert search_text(event("undo", target="x")) is None


def test_search_and_step_history_use_indexes(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        plans = {
            "fts": "SELECT t.seq FROM search_fts f JOIN search_text t ON t.seq = f.rowid "
            "WHERE search_fts MATCH 'abc' AND t.at >= '' AND t.at < '~' ORDER BY t.at DESC LIMIT 5",
            "short": "SELECT seq FROM search_text t WHERE t.at >= '2026' AND t.at < '2027' "
            "AND body LIKE '%差%' ORDER BY t.at DESC LIMIT 5",
            "history": "SELECT * FROM events WHERE playbook_id = 'p' AND step_id = 's' "
            "AND kind = 'step.done' ORDER BY at DESC LIMIT 90",
        }
        for name, sql in plans.items():
            plan = " ".join(str(r[-1]) for r in journal._db.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "SCAN t " not in plan + " " and "SCAN events" not in plan, (name, plan)


# -- the command line ---------------------------------------------------------------------------


def test_cli_search_prints_marked_matches_and_json(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("note", "morning", "差评回复了\x1b[31m红色")[0] == 0
    assert cli("note", "今天没有差评")[0] == 0
    code, out, _ = cli("search", "差评")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TIME", "WHO", "PLAYBOOK", "STEP", "TEXT"]
    assert "今天没有【差评】" in lines[1] and "day log" in lines[1]
    assert "【差评】回复了␛[31m红色" in lines[2] and "morning" in lines[2] and "\x1b" not in out
    code, out, _ = cli("search", "差评", "--json")
    data = json.loads(out)
    assert data["query"] == "差评"
    first = data["results"][0]
    assert set(first) >= {"at", "operator", "kind", "playbook", "run", "step", "text", "matches", "snippet"}
    assert first["operator"] == "alice" and first["matches"] == [[4, 6]] and first["run"] is None
    assert first["at"].endswith("+08:00")  # team-local time
    code, out, _ = cli("search", "差评", "--since", "2000-01-01", "--until", "2000-01-02")
    assert code == 0 and "nothing found" in out


def test_cli_search_refusals(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("search", "差评")
    assert code == 1 and "no journal" in err
    cli("note", "x")
    code, _, err = cli("search", " ")
    assert code == 2 and "nothing to search for" in err
    code, _, err = cli("search", "x", "--since", "2026-11-02", "--until", "2026-11-01")
    assert code == 2 and "swap" in err
    code, _, err = cli("search", "x", "--limit", "0")
    assert code == 2


def test_cli_history_lists_values_with_sparklines(cli) -> None:  # type: ignore[no-untyped-def]
    for day, count in [("2026-11-20", "3"), ("2026-11-21", "9"), ("2026-11-22", "5")]:
        assert cli("done", "morning", "new-members", "--value", count, "--at", f"{day}T09:00")[0] == 0
    code, out, _ = cli("history", "morning", "new-members")
    assert code == 0
    assert "last 3: ▁█▃" in out and out.count("last ") == 1
    assert "2026-11-22  5      alice" in out and out.index("2026-11-22") < out.index("2026-11-20")
    code, out, _ = cli("history", "morning", "new-members", "--json")
    data = json.loads(out)
    assert [v["value"] for v in data["values"]] == [5, 9, 3]
    assert data["values"][0]["date"] == "2026-11-22" and data["values"][0]["operator"] == "alice"
    code, _, err = cli("history", "morning", "welcome")
    assert code == 1 and "records no value" in err
    code, _, err = cli("history", "morning", "nope")
    assert code == 1 and "new-members" in err
    code, _, err = cli("history", "mornin", "new-members")
    assert code == 1 and "did you mean" in err


def test_history_leaves_out_undone_values_and_keeps_groups(tmp_path: Path) -> None:
    from soptui.search import sparklines, step_history

    recorder = _recorder(tmp_path)
    clock = recorder.clock
    assert isinstance(clock, Clock)
    for value in ("4", "6"):
        run_id = recorder.routine_run("feedback").run_id
        recorder.complete(run_id, "count", value)
        clock.advance(days=1)
    run_id = recorder.routine_run("feedback").run_id
    recorder.complete(run_id, "count", "99")
    recorder.undo(run_id)
    history = step_history(recorder.journal, "feedback", "count")
    assert [h.value for h in history] == [6, 4]
    assert sparklines(history, 30) == {None: "▁█"}
    assert sparkline(["a", True, 2, 2]) == "▅▅"  # flat: mid height; text and yes-no left out
    assert sparkline([]) == ""
    assert history[0].at - history[1].at == timedelta(days=1)
