"""Search on a large journal: ``python bench/search.py [JOURNAL] [--repeat N]``.

Without JOURNAL, generates the five-year journal of bench/generate.py (about a minute) in a
temporary directory. Opening it migrates an older journal (schema 3) to the search index:
that time is printed too. Then each query is timed in-process (median and worst of
``--repeat``), through soptui.search.search as the CLI and the app call it (50 results, newest
first, highlighted).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from soptui.journal import Journal
from soptui.search import search

QUERIES = [
    ("2 chars, common", "广告"),
    ("2 chars, rare", "心得"),
    ("2 chars, none", "退款"),
    ("3+ chars, common", "发货时间"),
    ("3+ chars, none", "差评太多"),
    ("mixed: 3+ and 2 chars", "活动报名 上周"),
    ("1 char", "图"),
    ("ASCII, none", "refund"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("journal", type=Path, nargs="?", help="a journal to copy and search")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "journal.sqlite3"
        if args.journal is None:
            sys.path.insert(0, str(Path(__file__).parent))
            from generate import generate

            count, seconds = generate(path, 5 * 365, date.today())
            print(f"generated {count} events in {seconds:.1f} s (indexed as they were written)")
        else:
            shutil.copyfile(args.journal, path)
        started = time.perf_counter()
        journal = Journal.open(path)
        print(f"open (and migrate if older): {time.perf_counter() - started:.2f} s")
        print(f"events: {journal.event_count():,}; with searchable text: {journal.search_index_size():,}")
        print(f"{'query':<26} {'terms':<16} {'hits':>5} {'median':>9} {'worst':>9}")
        for label, query in QUERIES:
            times = []
            hits = 0
            for _ in range(args.repeat):
                begin = time.perf_counter()
                hits = len(search(journal, query))
                times.append(time.perf_counter() - begin)
            print(
                f"{label:<26} {query:<16} {hits:>5} {statistics.median(times) * 1000:>7.1f}ms "
                f"{max(times) * 1000:>7.1f}ms"
            )
        journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
