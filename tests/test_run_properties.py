"""Property tests: random action sequences never lose or reorder events; undo restores;
a reopened journal resumes exactly where it stood."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soptui.recorder import ActionError
from soptui.runs import RunState
from tests.helpers import DAILY, library_from, recorder_for

STEPS = ["welcome", "found-negative", "escalate", "topic", "new-members"]
VALUES = st.sampled_from([None, "", "yes", "no", "3", "-1", "abc", "12"])
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("complete"), st.sampled_from(STEPS), VALUES),
        st.tuples(st.just("skip"), st.sampled_from(STEPS), st.sampled_from([None, "busy"])),
        st.tuples(st.just("note"), st.sampled_from([None, *STEPS]), st.just("n")),
        st.tuples(st.just("tick"), st.just("welcome"), st.sampled_from([0, 1, 5])),
        st.tuples(st.just("undo"), st.none(), st.none()),
        st.tuples(st.just("finish"), st.none(), st.none()),
    ),
    max_size=25,
)


def snapshot(state: RunState) -> Any:
    return (
        {k: (s.status, s.value, s.reason, frozenset(s.ticked), len(s.notes)) for k, s in state.steps.items()},
        len(state.notes),
        state.finished_at,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_sequences(actions: list[tuple[str, Any, Any]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        library = library_from(tmp, morning=DAILY)
        recorder = recorder_for(tmp, library)
        run_id = recorder.routine_run("morning").run_id
        recorded: list[str] = [recorder.journal.run_events(run_id)[0].uuid]
        history: list[Any] = []
        for kind, step, arg in actions:
            before = recorder.state(run_id)
            try:
                if kind == "complete":
                    after = recorder.complete(run_id, step, arg)
                elif kind == "skip":
                    after = recorder.skip(run_id, step, arg)
                elif kind == "note":
                    after = recorder.note(run_id, arg, step)  # type: ignore[assignment]
                elif kind == "tick":
                    after = recorder.tick(run_id, step, arg)
                elif kind == "finish":
                    after = recorder.finish(run_id)
                else:
                    after, _ = recorder.undo(run_id)
            except ActionError:
                assert len(recorder.journal.run_events(run_id)) == len(recorded)  # nothing written
                continue
            events = recorder.journal.run_events(run_id)
            assert [e.uuid for e in events[:-1]] == recorded  # nothing lost or reordered
            recorded.append(events[-1].uuid)
            if kind == "undo":
                assert snapshot(after) == history.pop()
            else:
                history.append(snapshot(before))
            assert snapshot(after) == snapshot(recorder.state(run_id))
        final = recorder.state(run_id)
        recorder.journal.close()
        resumed = recorder_for(tmp, library).state(run_id)
        assert snapshot(resumed) == snapshot(final)
        assert [e.uuid for e in resumed.events] == recorded
