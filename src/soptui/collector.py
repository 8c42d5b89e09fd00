"""Python's cyclic garbage collector, held back while soptui builds what it keeps.

A command builds tens of thousands of objects that live until it ends (the modules, the
playbook library, a review's runs) and makes almost no garbage cycles; reference counting
frees everything else at once. With Python's default thresholds the collector walks those
objects over a hundred times during `soptui review --format json` on a five-year journal
(119 young, 11 middle and one full collection: about 30 ms of 350 ms, measured). Held back,
it collects once the young generation holds :data:`HELD_BACK_YOUNG` objects instead of 700.

The app releases the hold after its first frame (and keeps what start-up built out of full
collections with ``gc.freeze``): a long session makes garbage cycles as it goes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

HELD_BACK_YOUNG = 100_000

_held: list[tuple[int, int, int]] = []
"""The thresholds in force before each hold still in place (innermost last)."""


@contextmanager
def held_back() -> Iterator[None]:
    """Collect rarely inside the block; the thresholds before it are back after it."""
    previous = gc.get_threshold()
    _held.append(previous)
    gc.set_threshold(max(HELD_BACK_YOUNG, previous[0]), previous[1], previous[2])
    try:
        yield
    finally:
        _held.pop()
        gc.set_threshold(*previous)


def release() -> None:
    """Collect at the pace of before the hold again (no hold: nothing changes)."""
    if _held:
        gc.set_threshold(*_held[0])
