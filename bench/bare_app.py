"""The floor for start-up, memory and key latency: a bare Textual app that shows one Static.

``space`` marks it done and ``u`` undoes, so the same tmux key-to-screen measurement that
times soptui can time a Textual app doing nothing else.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    BINDINGS = [("q", "quit", "quit"), ("space", "mark(True)", "done"), ("u", "mark(False)", "undo")]

    def compose(self) -> ComposeResult:
        yield Static("bare app ready\n3 · Review content", id="text")

    def action_mark(self, done: bool) -> None:
        self.query_one("#text", Static).update(
            "bare app ready\n" + ("✓ 3 done" if done else "3 · Review content")
        )


if __name__ == "__main__":
    Bare().run()
