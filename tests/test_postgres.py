"""The PostgreSQL journal (issue 19): one interface with the SQLite file, the same answers,
credentials kept out of settings and messages, live updates through LISTEN/NOTIFY, copies
between backends, and merged teams.

The journal, recorder, concurrency and review tests run on both backends through the
``backend`` fixture (tests/pg_support.py); the tests here are about what only PostgreSQL has,
or compare the two backends directly.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from soptui.events import FIRST_INSTANT, LAST_INSTANT, Event
from soptui.journal import Journal, JournalBusy, JournalError, JournalReadOnly, JournalStore, open_journal_at
from soptui.journal.base import shown, url_problem
from soptui.journal.exchange import export_jsonl
from soptui.journal.postgres import PostgresJournal
from soptui.journal.postgres_schema import SCHEMA_VERSION
from soptui.recorder import Recorder
from soptui.search import search
from tests.conftest import REPO, Run, write
from tests.helpers import DAILY, INCIDENT, Clock, library_from, recorder_for
from tests.pg_support import Backend, PostgresServer
from tests.test_search import TEXTS


def public_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    }


def test_both_journals_have_the_same_public_methods_and_signatures() -> None:
    """Whatever is added to one journal must be added to the other (and to the interface)."""
    sqlite, postgres = public_methods(Journal), public_methods(PostgresJournal)
    assert sqlite - postgres == set(), "missing in PostgresJournal"
    assert postgres - sqlite == set(), "missing in Journal"
    interface = {name for name in vars(JournalStore) if not name.startswith("_")} - {"readonly", "warnings"}
    assert interface - sqlite == set()
    assert sqlite - interface == {"open"}, "add the new methods to JournalStore (journal/base.py)"
    for name in sorted(sqlite - {"open"}):
        one, other = getattr(Journal, name), getattr(PostgresJournal, name)
        if isinstance(one, property):
            continue
        assert list(inspect.signature(one).parameters) == list(inspect.signature(other).parameters), name


def test_a_url_with_a_password_is_refused_and_never_shown() -> None:
    for url in (
        "postgresql://ops:s3cret@db.example/soptui",
        "postgres://db.example/soptui?password=s3cret",
        "postgresql://db.example/soptui?sslmode=require&sslpassword=s3cret",
    ):
        problem = url_problem(url)
        assert problem is not None and "contains a password" in problem and "s3cret" not in problem
        with pytest.raises(JournalError, match="~/.pgpass") as refused:
            open_journal_at(url)
        assert "s3cret" not in str(refused.value)
    assert url_problem("postgresql://ops@db.example:5433/soptui?sslmode=require") is None
    assert shown("postgresql://ops:x@db.example/soptui?options=-csearch_path%3Dx&host=/run/pg") == (
        "postgresql://ops@db.example/soptui?host=/run/pg"
    )


def test_without_psycopg_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(JournalError, match=r"pip install 'soptui\[postgresql\]'"):
        open_journal_at("postgresql://db.example/soptui")


def test_psycopg_is_imported_only_for_a_postgresql_journal(cli: Callable[..., Run]) -> None:
    code = (
        "import sys\nfrom soptui.cli import main\nimport soptui.context, soptui.journal, soptui.recorder\n"
        "print('psycopg' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


def test_connection_errors_are_one_clear_line(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SOPTUI_JOURNAL", "postgresql:///soptui?host=/nonexistent/socket/dir&connect_timeout=2"
    )
    code, out, err = cli("due")
    assert code == 1 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("soptui: error: cannot connect to the journal database postgresql:///soptui")
    monkeypatch.setenv("SOPTUI_JOURNAL", "postgresql://ops:hunter2@127.0.0.1:1/soptui")
    code, _out, err = cli("journal", "export")
    assert code == 1 and "contains a password" in err and "hunter2" not in err


def test_a_team_config_may_name_a_database(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg_server: PostgresServer
) -> None:
    url = pg_server.fresh_url("config")
    config = tmp_path / "config"
    write(config, "config.toml", f'journal = "{url}"\n')
    monkeypatch.setenv("SOPTUI_CONFIG_DIR", str(config))
    monkeypatch.delenv("SOPTUI_JOURNAL")
    assert cli("done", "morning", "welcome")[0] == 0
    code, out, _err = cli("paths")
    assert code == 0 and f"journal    {shown(url)}" in out and "search_path" not in out
    with open_journal_at(url, readonly=True) as journal:
        assert [e.kind for e in journal.events_between()] == ["run.opened", "step.done"]
    write(config, "config.toml", 'journal = "postgresql://ops:hunter2@127.0.0.1:1/soptui"\n')
    code, _out, err = cli("due")
    assert code == 1 and "contains a password" in err and "hunter2" not in err


def test_file_only_commands_say_what_to_do_instead(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, pg_server: PostgresServer
) -> None:
    monkeypatch.setenv("SOPTUI_JOURNAL", pg_server.fresh_url("fileonly"))
    assert cli("note", "quiet morning")[0] == 0
    code, _out, err = cli("journal", "backup")
    assert code == 1 and "pg_dump" in err and "soptui journal copy" in err
    code, out, _err = cli("journal", "check")
    assert code == 0 and "answers: 1 event(s)" in out


def test_a_new_database_works_from_the_first_command(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, pg_server: PostgresServer
) -> None:
    """A file is created by the first command; a database is always there: its tables too."""
    monkeypatch.setenv("SOPTUI_JOURNAL", pg_server.fresh_url("first"))
    assert cli("due")[0] == 0
    code, out, _err = cli("review", "--format", "json")
    assert code == 0 and json.loads(out)["routines"]
    assert cli("journal", "export") == (0, "", "")


def test_a_newer_schema_is_refused_and_left_alone(pg_server: PostgresServer) -> None:
    url = pg_server.fresh_url("newer")
    PostgresJournal.open(url).close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE soptui_schema_version SET version = 99")
        tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()
    with pytest.raises(JournalError, match=f"newer soptui .schema 99, this one knows {SCHEMA_VERSION}"):
        PostgresJournal.open(url)
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("SELECT version FROM soptui_schema_version").fetchone() == (99,)
        assert db.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchone() == (tables)


def test_a_role_that_may_only_read_gets_a_read_only_journal(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.fresh_url("reader")
    schema = url.rsplit("search_path%3D", 1)[1].split("%2C")[0]
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=open_journal_at(url))
    recorder.routine_run("morning")
    recorder.journal.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP ROLE IF EXISTS reader")
        db.execute("CREATE ROLE reader LOGIN")
        db.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO reader')
        db.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO reader')
    reader = url.replace("postgresql://postgres@", "postgresql://reader@")
    with open_journal_at(reader) as journal:
        assert journal.readonly
        assert journal.warnings == [
            f"the journal {shown(reader)} is read-only here: you can look, but actions cannot be saved"
        ]
        assert journal.event_count() == 1
        with pytest.raises(JournalReadOnly), journal.writing():
            pass


def test_without_pg_trgm_search_still_works(pg_server: PostgresServer, tmp_path: Path) -> None:
    """A role that may not create extensions gets a journal without the trigram index."""
    import psycopg

    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS plain")
        admin.execute("DROP ROLE IF EXISTS plain")
        admin.execute("CREATE ROLE plain LOGIN")
        admin.execute("CREATE DATABASE plain")
    with psycopg.connect(pg_server.url("plain"), autocommit=True) as db:
        db.execute("CREATE SCHEMA journal AUTHORIZATION plain")
    url = pg_server.url("plain", schema="journal").replace("postgresql://postgres@", "postgresql://plain@")
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY), journal=open_journal_at(url))
    recorder.note(recorder.routine_run("morning").run_id, "退款 requested")
    assert [e.payload["text"] for e, _text in recorder.journal.search(["退款 r"], ["款"], None, None, 5)] == [
        "退款 requested"
    ]
    with psycopg.connect(pg_server.url("plain"), autocommit=True) as db:
        assert db.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").fetchone() == (0,)
    recorder.journal.close()


def test_a_second_writer_waits_for_the_first_and_gives_up_when_asked(pg_server: PostgresServer) -> None:
    url = pg_server.fresh_url("lock")
    first, second = PostgresJournal.open(url), PostgresJournal.open(url)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with first.writing():
            held.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    assert held.wait(10)
    started = time.monotonic()
    with pytest.raises(JournalBusy, match="another program is writing"), second.writing(wait=0.3):
        pass
    assert 0.25 < time.monotonic() - started < 5
    release.set()
    worker.join(10)
    with second.writing():
        pass
    first.close()
    second.close()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_other_connections_commits_arrive_through_notify(pg_server: PostgresServer, tmp_path: Path) -> None:
    """data_version counts other writers' commits (their NOTIFY), presence included, never our own."""
    url = pg_server.fresh_url("notify")
    library = library_from(tmp_path, morning=DAILY)
    mine = recorder_for(tmp_path, library, "alice", journal=open_journal_at(url))
    theirs = recorder_for(tmp_path, library, "bob", journal=open_journal_at(url))
    run_id = mine.routine_run("morning").run_id
    before = mine.journal.data_version()
    assert before is not None
    time.sleep(0.5)  # the listener connects
    mine.note(run_id, "my own note")
    mine.here(run_id, "welcome")
    time.sleep(0.5)
    assert mine.journal.data_version() == before
    theirs.note(run_id, "bob's note")
    assert wait_for(lambda: mine.journal.data_version() != before)
    after_note = mine.journal.data_version()
    theirs.here(run_id, "welcome")
    assert wait_for(lambda: mine.journal.data_version() != after_note)
    assert [op for op, _step in mine.others_here(run_id)] == ["bob"]
    mine.journal.close()
    theirs.journal.close()


async def test_the_app_shows_another_operators_action_and_presence_live(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    """The app's own once-a-second watch (data_version), unchanged, on PostgreSQL's notifications."""
    from soptui.tui.screens.run import RunScreen
    from tests.ui_support import MONDAY_9AM, build_app

    url = pg_server.fresh_url("app")
    app, alice = build_app(tmp_path, journal=open_journal_at(url))  # type: ignore[arg-type]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await pilot.pause(0.5)  # the listener connects
        bob, _ = build_app(tmp_path, operator="bob", journal=open_journal_at(url), clock=Clock(MONDAY_9AM))  # type: ignore[arg-type]
        bob.services.recorder.here(screen.state.run_id, "found-negative")
        started = time.monotonic()
        bob.services.recorder.complete(screen.state.run_id, "welcome")
        while screen.state.steps["welcome"].status != "done" and time.monotonic() - started < 3:
            await pilot.pause(0.1)
        assert time.monotonic() - started < 2.0
        assert screen.state.steps["welcome"].by == "bob"
        while (
            "with bob" not in str(screen.query_one("#run-header").render()) and time.monotonic() - started < 5
        ):
            await pilot.pause(0.1)  # presence is read on its own timer, every 2 s
        assert "with bob @2" in str(screen.query_one("#run-header").render())
        bob.services.recorder.journal.close()
    alice.journal.close()


def test_a_schema_with_a_long_chinese_name_works(pg_server: PostgresServer, tmp_path: Path) -> None:
    import psycopg

    schema = "客服团队二零二六年的操作日志"  # 14 characters, 42 bytes
    with psycopg.connect(pg_server.url(), autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    url = pg_server.url(schema=schema)
    library = library_from(tmp_path, morning=DAILY)
    mine = recorder_for(tmp_path, library, journal=open_journal_at(url))
    theirs = recorder_for(tmp_path, library, "bob", journal=open_journal_at(url))
    run_id = mine.routine_run("morning").run_id
    before = mine.journal.data_version()
    time.sleep(0.5)
    theirs.complete(run_id, "welcome")
    assert wait_for(lambda: mine.journal.data_version() != before)
    assert mine.state(run_id).steps["welcome"].by == "bob"
    mine.journal.close()
    theirs.journal.close()


@pytest.fixture
def both(tmp_path: Path, pg_server: PostgresServer) -> Iterator[tuple[Recorder, Recorder]]:
    """The same actions recorded in a SQLite file and in PostgreSQL."""
    library = library_from(tmp_path, morning=DAILY, spam=INCIDENT, feedback=TEXTS)
    recorders = []
    for journal in (Journal.open(tmp_path / "same.sqlite3"), open_journal_at(pg_server.fresh_url("same"))):
        clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
        recorder = recorder_for(tmp_path, library, clock=clock, journal=journal)
        run_id = recorder.routine_run("morning").run_id
        for text in [
            "今天有三条差评，都是关于物流",
            "用户要求退款，已转给客服",
            "Refund requested by a VIP",
            "50%_off",
        ]:
            clock.advance(minutes=1)
            recorder.note(run_id, text)
        recorder.skip(run_id, "welcome", "群里没有新人")
        recorder.complete(run_id, "found-negative", "yes")
        recorder.complete(run_id, "new-members", "12")
        recorder.undo(run_id)
        recorder.complete(run_id, "new-members", "14")
        feedback = recorder.routine_run("feedback").run_id
        recorder.complete(feedback, "summary", "差评 about refunds")
        recorder.complete(feedback, "count", "3")
        incident = recorder.open_incident("spam", "广告 wave", "P1").run_id
        clock.advance(minutes=5)
        recorder.resolve(incident, "banned 30 accounts")
        recorder.note(None, "quiet afternoon")
        recorders.append(recorder)
    yield recorders[0], recorders[1]
    for recorder in recorders:
        recorder.journal.close()


def comparable(value: object) -> object:
    """Events and runs as plain data (what differs by nature, seq, left out)."""
    if isinstance(value, dict):
        return {str(k): comparable(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple | set):
        items = [comparable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "__dataclass_fields__"):
        return {name: comparable(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def normaliser(journal: JournalStore) -> Callable[[object], str]:
    """The answer as JSON, with the random names (event UUIDs, incident run ids) replaced by
    their order of appearance, so two journals that saw the same actions compare equal."""
    names: list[str] = []
    for event in journal.events_between():
        names.append(event.uuid)
        if event.run_id and "#" in event.run_id and event.run_id not in names:
            names.append(event.run_id)

    def normal(answer: object) -> str:
        text = json.dumps(comparable(answer), default=str, ensure_ascii=False)
        for number, name in enumerate(names):
            text = text.replace(name, f"<{number}>")
        return text

    return normal


def test_both_backends_answer_every_query_alike(both: tuple[Recorder, Recorder]) -> None:
    sqlite, postgres = both
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    since = datetime(2026, 11, 1, tzinfo=UTC)
    questions: list[Callable[[JournalStore], object]] = [
        lambda j: j.events_between(),
        lambda j: j.events_between(start, end),
        lambda j: j.run_events("morning@2026-11-23"),
        lambda j: j.events_of_runs(["morning@2026-11-23", "feedback@2026-11-23", "nothing"]),
        lambda j: j.recorded_values(start, end),
        lambda j: j.recorded_values(start, end, steps=[("morning", "new-members"), ("feedback", "summary")]),
        lambda j: j.recorded_values(start, end, steps=[]),
        lambda j: sorted(j.value_steps(start, end)),
        lambda j: j.activity(start, end),
        lambda j: j.step_values("morning", "new-members", 5),
        lambda j: j.step_values("feedback", "summary", 5),
        lambda j: j.run("morning@2026-11-23"),
        lambda j: j.find_runs("MORN"),
        lambda j: j.runs_for_periods("morning", ["2026-11-23", "2026-11-24"]),
        lambda j: j.routine_runs(["2026-11-23"]),
        lambda j: j.incidents_opened_between(start, end),
        lambda j: j.first_periods(["morning", "feedback", "nothing"]),
        lambda j: j.first_periods([]),
        lambda j: j.recent_incidents(),
        lambda j: j.open_incidents(),
        lambda j: j.instance_runs(active_only=False),
        lambda j: j.runs_opened_between(start, end),
        lambda j: j.day_notes(start, end),
        lambda j: j.versions(),
        lambda j: j.last_hash_used_by("alice", "morning"),
        lambda j: j.presence(None, since),
        lambda j: j.events_of_kinds(["note", "undo"], start, end),
        lambda j: j.undone_among([e.uuid for e in j.events_between()]),
        lambda j: j.events_and_ticks_of_runs(["morning@2026-11-23", "feedback@2026-11-23"]),
        lambda j: j.flagged_groups("morning", ["found-negative"]),
        lambda j: j.event_count(),
        lambda j: j.search_index_size(),
    ]
    normal = [normaliser(sqlite.journal), normaliser(postgres.journal)]
    for number, question in enumerate(questions):
        one, other = question(sqlite.journal), question(postgres.journal)
        if isinstance(one, Iterator) and isinstance(other, Iterator):
            one, other = list(one), list(other)
        assert normal[0](one) == normal[1](other), number


@pytest.mark.parametrize(
    "query",
    ["差评", "退款", "款", "refund", "REFUND vip", "50%", "_off", "广告", "banned", "about 差评", "nothing"],
)
def test_both_backends_find_the_same_texts(both: tuple[Recorder, Recorder], query: str) -> None:
    sqlite, postgres = both
    found = [
        [(h.event.kind, h.event.at, h.text) for h in search(r.journal, query, None, None, 50)] for r in both
    ]
    assert found[0] == found[1]
    assert found[0] or query == "nothing"
    assert sqlite.journal.search_index_size() == postgres.journal.search_index_size()


def test_journal_copy_moves_a_team_and_back_without_losing_or_doubling(
    cli: Callable[..., Run], tmp_path: Path, pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for step in ("welcome", "topic"):
        assert cli("done", "morning", step)[0] == 0
    assert cli("incident", "open", "spam", "--title", "bots")[0] == 0
    assert cli("note", "夜班交接：一切正常")[0] == 0
    original = tmp_path / "j.sqlite3"
    url = pg_server.fresh_url("moved")
    code, out, _err = cli("journal", "copy", str(original), url)
    assert code == 0 and out.startswith("copied 5 new event(s)") and "0 already there" in out
    code, out, _err = cli("journal", "copy", str(original), url)
    assert code == 0 and out.startswith("copied 0 new event(s)") and "5 already there" in out
    monkeypatch.setenv("SOPTUI_JOURNAL", url)  # the team works on PostgreSQL now
    assert cli("done", "morning", "found-negative", "--value", "no")[0] == 0
    back = tmp_path / "back.sqlite3"
    assert cli("journal", "copy", url, str(back))[0] == 0
    code, out, _err = cli("journal", "copy", url, str(back))
    assert code == 0 and "0 new event(s)" in out and "6 already there" in out
    exported = [cli("--journal", str(where), "journal", "export")[1] for where in (url, back)]
    assert exported[0] == exported[1] and exported[0].count('"type":"event"') == 6
    with Journal.open(back) as copy, open_journal_at(url) as source:
        runs = copy.runs_opened_between(FIRST_INSTANT, LAST_INSTANT)
        assert runs == source.runs_opened_between(FIRST_INSTANT, LAST_INSTANT) and len(runs) == 2
        assert copy.search_index_size() == source.search_index_size() == 2  # the title and the note


def test_teams_merged_into_one_database_are_reviewed_apart(
    cli: Callable[..., Run], tmp_path: Path, pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two teams' journals hold runs with the same ids (morning@DAY); merged with --team, each
    team's review is the review of its own journal, and the journal copied back keeps its team."""
    teams = {"support": tmp_path / "support.sqlite3", "客服": tmp_path / "kefu.sqlite3"}
    for operator, (_team, path) in zip(("alice", "bob"), teams.items(), strict=True):
        monkeypatch.setenv("SOPTUI_JOURNAL", str(path))
        monkeypatch.setenv("SOPTUI_OPERATOR", operator)
        assert cli("done", "morning", "welcome")[0] == 0
        assert cli("done", "morning", "new-members", "--value", "7" if operator == "alice" else "9")[0] == 0
    merged = pg_server.fresh_url("merged")
    for team, path in teams.items():
        assert cli("journal", "copy", "--team", team, str(path), merged)[0] == 0
        assert "0 new event(s)" in cli("journal", "copy", "--team", team, str(path), merged)[1]
    for team, path in teams.items():
        alone = json.loads(cli("--journal", str(path), "review", "--format", "json")[1])
        together = json.loads(cli("--journal", merged, "review", "--format", "json", "--team", team)[1])
        for report in (alone, together):
            report["range"].pop("generated_at")
        assert together == alone
    code, _out, err = cli("--journal", merged, "review", "--format", "json", "--team", "sales")
    assert code == 1 and "no events of team 'sales'" in err and "support" in err and "客服" in err
    code, _out, err = cli("journal", "copy", "--team", " spaced ", str(teams["support"]), merged)
    assert code == 1 and "team name" in err
    back = tmp_path / "merged.sqlite3"
    assert cli("journal", "copy", merged, str(back))[0] == 0
    with Journal.open(back) as journal:
        assert sorted({str(e.team) for e in journal.events_between()}) == ["support", "客服"]
    kefu = json.loads(cli("--journal", str(back), "review", "--format", "json", "--team", "客服")[1])
    assert [p["names"] for p in kefu["people"]] == [["bob"]]


def test_a_journal_without_teams_exports_as_before(tmp_path: Path) -> None:
    recorder = recorder_for(tmp_path, library_from(tmp_path, morning=DAILY))
    recorder.complete(recorder.routine_run("morning").run_id, "welcome")
    events = [json.loads(line) for line in export_jsonl(recorder.journal, None, None)]
    assert [e.get("kind") for e in events] == [None, "run.opened", "step.done"]
    assert all("team" not in e for e in events)


class Interrupted(Exception):
    """The copy's process "dies" here."""


def test_a_copy_cut_short_is_finished_by_running_it_again(tmp_path: Path, backend: Backend) -> None:
    """Each batch is one transaction in the target: a copy stopped halfway leaves whole batches,
    and the next run adds exactly what is missing, with progress after every batch."""
    from soptui.journal.copying import copy_journal

    library = library_from(tmp_path, morning=DAILY)
    source = recorder_for(tmp_path, library, journal=Journal.open(tmp_path / "source.sqlite3"))
    run_id = source.routine_run("morning").run_id
    for number in range(9):
        source.note(run_id, f"note {number}")
    source.complete(run_id, "welcome")
    target = recorder_for(tmp_path, library, journal=backend.open("target"))

    def closed(run: str) -> datetime | None:
        return target.state(run).closed_at

    real_insert = target.journal.insert_event
    inserted: list[str] = []

    def dies_after_five(event: Event) -> bool:
        if len(inserted) == 5:
            raise Interrupted
        inserted.append(event.uuid)
        return real_insert(event)

    target.journal.insert_event = dies_after_five  # type: ignore[method-assign]
    with pytest.raises(Interrupted):
        copy_journal(source.journal, target.journal, closed, batch=4)
    target.journal.insert_event = real_insert  # type: ignore[method-assign]
    assert target.journal.event_count() == 4  # the first batch; the second was rolled back
    progress: list[tuple[int, int]] = []
    result = copy_journal(
        source.journal, target.journal, closed, batch=4, progress=lambda *a: progress.append(a)
    )
    assert (result.added, result.already, result.conflicts) == (7, 4, [])
    assert progress == [(4, 11), (8, 11), (11, 11)]
    assert [e.uuid for e in target.journal.events_between()] == [
        e.uuid for e in source.journal.events_between()
    ]
    assert target.state(run_id).steps["welcome"].status == "done"
    assert target.journal.run(run_id) == source.journal.run(run_id)
    source.journal.close()
