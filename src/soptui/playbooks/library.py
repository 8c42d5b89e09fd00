"""The playbook library: every playbook on the search path, later directories winning.

Search order: the bundled set (in the chosen language), the user's directory, then
directories from ``SOPTUI_PLAYBOOKS`` and ``--playbooks``. One bad file never hides the
good ones: it becomes a problem and the rest still load.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from soptui.i18n import _
from soptui.playbooks.cache import ValidatedCache
from soptui.playbooks.loader import GOALS_FILE, LoadedPlaybook, load_goals, load_playbook
from soptui.playbooks.models import Goal, InputSpec, Playbook, Step
from soptui.playbooks.problems import Problem
from soptui.playbooks.roster import GROUPS_FILE, PEOPLE_FILE, ROSTER_FILES, Roster, load_roster
from soptui.playbooks.workdays import CALENDAR_FILE, WorkCalendar, load_calendar
from soptui.team import group_members, trust_problems

CADENCE_ORDER = {"daily": 0, "weekly": 1, "monthly": 2, "sequence": 3, "incident": 4}
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Source:
    """A directory on the search path and how to describe where its playbooks came from."""

    directory: Path
    origin: str
    shared: bool = False
    """A team directory: symbolic links in it are refused, never followed."""
    group: int | None = None
    """The team's group, for a shared directory outside the team's own (default: its group)."""
    enabled: tuple[str, ...] = ()
    """The bundled source only: keep just the playbooks with one of these ids or tags (empty: all)."""
    disabled: tuple[str, ...] = ()
    """The bundled source only: leave out the playbooks with one of these ids or tags."""

    def selects(self, playbook: Playbook) -> bool:
        """Whether this source's selection (config ``enabled`` / ``disabled``) keeps ``playbook``."""
        names = {playbook.id, *playbook.tags}
        if self.disabled and names & set(self.disabled):
            return False
        return not self.enabled or bool(names & set(self.enabled))

    def trust_gid(self) -> int | None:
        """The group whose members may write this directory's files; None if not shared."""
        if not self.shared:
            return None
        return self.group if self.group is not None else self.directory.stat().st_gid


@dataclass(frozen=True)
class MetricDefinition:
    """Where a metric is recorded: the playbook, the step and its input."""

    metric: str
    playbook: Playbook
    step: Step
    spec: InputSpec


@dataclass
class Library:
    """The playbooks that loaded, their goals, and every problem met on the way."""

    entries: dict[str, LoadedPlaybook] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sample_goals: set[str] = field(default_factory=set)
    """Goals from the bundled sample goals.toml (kept only while the team has none of its own)."""
    roster: Roster = field(default_factory=Roster)
    """The team's groups and people (groups.toml, people.toml); empty when it keeps none."""
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    """Working days: weekends, Chinese public holidays and the team's calendar.toml days off."""
    hidden: dict[str, LoadedPlaybook] = field(default_factory=dict)
    """Bundled playbooks left out by the team's ``enabled`` / ``disabled`` settings."""
    cache: ValidatedCache | None = field(default=None, compare=False, repr=False)
    """The validated-file cache the library was loaded through (stored versions use it too)."""

    def get(self, playbook_id: str) -> Playbook | None:
        entry = self.entries.get(playbook_id)
        return entry.playbook if entry else None

    def __iter__(self) -> Iterator[LoadedPlaybook]:
        """Playbooks in agenda order: daily, weekly, monthly, incident; then by id."""
        return iter(
            sorted(
                self.entries.values(),
                key=lambda e: (CADENCE_ORDER[e.playbook.cadence], e.playbook.id),
            )
        )

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def metrics(self) -> dict[str, MetricDefinition]:
        """Every metric a step records, first definition wins."""
        found: dict[str, MetricDefinition] = {}
        for entry in self:
            for step in entry.playbook.steps:
                if step.input is not None and step.input.metric:
                    found.setdefault(
                        step.input.metric,
                        MetricDefinition(step.input.metric, entry.playbook, step, step.input),
                    )
        return found


def bundled_root() -> Path:
    """The bundled playbooks: inside the wheel when installed, else the source tree's."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "_bundled"
    return installed if installed.is_dir() else here.parents[1] / "playbooks"


def bundled_source(language: str, enabled: Iterable[str] = (), disabled: Iterable[str] = ()) -> Source:
    """The bundled set in ``language``, narrowed to ``enabled`` and without ``disabled`` (ids or tags)."""
    root = bundled_root()
    return Source(
        root / "en" if language == "en" else root, "bundled", enabled=tuple(enabled), disabled=tuple(disabled)
    )


def playbook_files(directory: Path) -> list[Path]:
    """The playbook files of a directory (not recursive; goals.toml is not a playbook)."""
    try:
        files = sorted(p for p in directory.iterdir() if p.suffix == ".toml")
    except OSError:
        return []
    return [p for p in files if p.name not in (GOALS_FILE, CALENDAR_FILE) and p.name not in ROSTER_FILES]


def load_library(
    sources: Iterable[Source], today: date | None = None, cache: ValidatedCache | None = None
) -> Library:
    """Load every source in order; a later playbook with the same id replaces an earlier one.

    With a ``cache`` (see :mod:`soptui.playbooks.cache`), files unchanged since they last
    validated are rebuilt from it, and what was validated afresh is saved to it at the end.
    """
    library = Library(cache=cache)
    goal_files: list[Path] = []
    samples: set[Path] = set()
    roster_files: dict[str, Path] = {}  # the last directory holding each roster file wins
    for source in sources:
        try:
            if not source.directory.is_dir():
                continue
            source.directory.stat()
            next(iter(source.directory.iterdir()), None)
        except OSError as error:
            message = _("cannot read this playbook directory: {error}").format(error=error.strerror or error)
            library.problems.append(Problem(source.directory, 1, 1, message))
            continue
        _load_directory(library, source, today, cache)
        if source.origin == "bundled" and (source.enabled or source.disabled):
            _select_bundled(library, source)
        for name in (*ROSTER_FILES, CALENDAR_FILE):
            candidate = source.directory / name
            present = source.origin != "bundled" and (candidate.exists() or candidate.is_symlink())
            if present and (not source.shared or trusted_file(library, candidate, source) is not None):
                roster_files[name] = candidate
        goals = source.directory / GOALS_FILE
        if source.shared and trusted_file(library, goals, source) is None:
            continue
        if goals.exists() or goals.is_symlink():
            goal_files.append(goals)  # the loader refuses what is not a regular file
            if source.origin == "bundled":
                samples.add(goals)
    add_goals(library, goal_files, samples, cache)
    library.roster, problems = load_roster(
        roster_files.get(GROUPS_FILE), roster_files.get(PEOPLE_FILE), cache
    )
    library.problems += problems
    library.calendar, problems = load_calendar(roster_files.get(CALENDAR_FILE), cache)
    library.problems += problems
    if cache is not None:
        cache.save()
    return library


def _select_bundled(library: Library, source: Source) -> None:
    """Hide the bundled playbooks the team's selection leaves out; warn about names that match none."""
    bundled = {i: e for i, e in library.entries.items() if library.origins.get(i) == "bundled"}
    for playbook_id, entry in bundled.items():
        if not source.selects(entry.playbook):
            library.hidden[playbook_id] = library.entries.pop(playbook_id)
            del library.origins[playbook_id]
    known = {name for e in bundled.values() for name in (e.playbook.id, *e.playbook.tags)}
    for key, names in (("enabled", source.enabled), ("disabled", source.disabled)):
        for name in names:
            if name not in known:
                message = f"{name!r} is neither a bundled playbook id nor a tag"
                library.problems.append(Problem(source.directory, 1, 1, message, key, "warning"))


def _load_directory(
    library: Library, source: Source, today: date | None, cache: ValidatedCache | None = None
) -> None:
    in_this_directory: dict[str, Path] = {}
    team_gid = source.trust_gid()
    members = group_members(team_gid) if team_gid is not None else set()
    for path in playbook_files(source.directory):
        if team_gid is not None and trusted_file(library, path, source, members) is None:
            continue
        add_file(library, path, source.origin, today, in_this_directory, cache)


def trusted_file(
    library: Library, path: Path, source: Source, members: set[int] | None = None
) -> Path | None:
    """``path`` if the shared ``source`` may use it; else None, with the reasons as problems.

    A shared directory's files are data from many hands: refuse what the team did not write.
    """
    team_gid = source.trust_gid()
    if team_gid is None:
        return path
    refusals = trust_problems(path, team_gid, members)
    library.problems.extend(Problem(path, 1, 1, reason) for reason in refusals)
    return None if refusals else path


def add_file(
    library: Library,
    path: Path,
    origin: str,
    today: date | None,
    siblings: dict[str, Path] | None = None,
    cache: ValidatedCache | None = None,
) -> None:
    """Load one file into the library, recording its problems."""
    loaded, problems = load_playbook(path, today, cache)
    library.problems.extend(problems)
    if loaded is None:
        return
    library.problems.extend(loaded.warnings)
    playbook_id = loaded.playbook.id
    if siblings is not None:
        if playbook_id in siblings:
            message = _("duplicate playbook id {id!r} (also in {file})").format(
                id=playbook_id, file=siblings[playbook_id].name
            )
            library.problems.append(Problem(path, 1, 1, message, "id"))
            return
        siblings[playbook_id] = path
    library.entries[playbook_id] = loaded
    library.origins[playbook_id] = origin


def add_goals(
    library: Library,
    goal_files: Iterable[Path],
    samples: Collection[Path] = (),
    cache: ValidatedCache | None = None,
) -> None:
    """Load goals files in order (a later goal with the same id replaces an earlier one).

    ``samples`` are the bundled goals files: their goals are samples, used (and marked in
    ``library.sample_goals``) only while no other goals file is on the path.
    """
    files = list(goal_files)
    own = [path for path in files if path not in samples]
    metrics = library.metrics()
    # Sample goals may name a metric of a bundled playbook the team left out: drop those goals.
    hidden = {
        s.input.metric
        for e in library.hidden.values()
        for s in e.playbook.steps
        if s.input and s.input.metric
    }
    goals: dict[str, Goal] = {}
    for path in own or files:
        loaded, problems = load_goals(path, [*metrics, *hidden] if not own else metrics, cache)
        library.problems.extend(problems)
        goals.update((goal.id, goal) for goal in loaded if own or goal.metric in metrics)
    library.goals = list(goals.values())
    library.sample_goals = set() if own else set(goals)
