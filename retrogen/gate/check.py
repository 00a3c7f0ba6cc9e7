"""`retrogen check` as a function: paths in, a CheckResult out. Nothing here prints or exits."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

from retrogen.core.bulk import freed_memory_returned
from retrogen.core.errors import ConfigError, ReviewFileError
from retrogen.core.workers import exit_with_parent
from retrogen.gate.config import Config
from retrogen.gate.findings import Finding, Severity
from retrogen.gate.glossary import TagSpeller, TagVocabulary, team_hint
from retrogen.gate.heads import Around, Head, heads_around, link_leaves, review_files
from retrogen.gate.hints import is_placeholder
from retrogen.gate.index import (
    Entry,
    IndexFormatError,
    KeptFacts,
    ReviewIndex,
    Stamp,
    dumps,
    fresh,
    now_ns,
    settings_key,
    stamp_of,
    stat_of,
)
from retrogen.gate.loader import (
    Document,
    FieldPath,
    Position,
    field_name,
    load_review,
    read_bounded,
)
from retrogen.gate.loop_checks import (
    FIGURE_CODES,
    FIGURES_FOLLOWED_BY,
    CrossIssue,
    ReviewFacts,
    cross_issues,
    facts_of,
    figure_issues,
)
from retrogen.gate.loop_rules import carried_key
from retrogen.gate.review_checks import days_alike, entries, review_issues
from retrogen.gate.schema import schema_issues
from retrogen.gate.settings import DEFAULTS
from retrogen.gate.snapshot import (
    BASE_NAME,
    Record,
    Snapshot,
    SnapshotDamaged,
    StampTuple,
    plain,
    read_snapshot,
    remove_snapshot,
    write_snapshot,
)

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64


@dataclass(frozen=True)
class CheckOptions:
    today: date
    not_owners: tuple[str, ...] = DEFAULTS.not_owners
    max_file_size: int = DEFAULTS.max_file_size
    # A review that is a symbolic link is read only when it points inside this folder (the knowledge base):
    # a link to /etc/passwd must not put that file's lines into findings. None: the working folder.
    root: Path | None = None
    min_whys: int = DEFAULTS.min_whys
    # With require_known_owners: every name and alias of the roster (normalised), and its names for hints.
    known_owners: frozenset[str] | None = None
    roster_names: tuple[str, ...] = ()
    tags: TagVocabulary = field(default_factory=TagVocabulary)
    teams: tuple[str, ...] | None = None  # extra.retrogen.teams; None: any team
    repeated_miss_periods: int = DEFAULTS.repeated_miss_periods  # extra.retrogen.repeated_miss_periods

    @classmethod
    def of(cls, config: Config, today: date) -> CheckOptions:
        """The options the knowledge base's configuration sets."""
        known = config.roster.known() if config.settings.require_known_owners else None
        return cls(
            today,
            config.settings.not_owners,
            config.settings.max_file_size,
            config.root,
            config.settings.min_whys,
            known,
            config.roster.names(),
            config.tags,
            config.teams,
            config.settings.repeated_miss_periods,
        )


class TagUse(NamedTuple):
    """A tag as a review writes it, and where: what the warnings about slips in tags point at."""

    tag: str
    position: Position
    field: str


@dataclass(slots=True)
class FileResult:
    """What checking one file found."""

    path: Path
    display: str
    findings: list[Finding]
    review_id: str | None = None
    id_position: Position | None = None
    facts: ReviewFacts | None = None  # what the checks across reviews read of it
    tags: list[TagUse] = field(default_factory=list)
    # The days on which its findings stand as found (see review_checks.days_alike): the index keeps a check
    # for a month, and a run on another day uses it only within these.
    days: tuple[date, date] = (date.min, date.max)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


@dataclass
class CheckResult:
    files: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # about how it was read (the index rebuilt…), not the reviews

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)

    def failed(self, *, strict: bool = False) -> bool:
        return self.errors > 0 or (strict and self.warnings > 0)


def display_path(path: Path, base: Path | None = None) -> str:
    """A path relative to `base` (default the working folder) where possible: what editors and GitHub
    annotations expect. Links are not resolved: the path is shown as the user named it."""
    try:
        return Path(os.path.abspath(path)).relative_to(base or Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def display_paths(paths: Iterable[Path], base: Path) -> list[str]:
    """display_path of each path, from its folder's, found once per folder: one by one, 10,000 reviews' took
    a fifth of a second of making and comparing Paths."""
    folders: dict[Path, str | None] = {}
    shown = []
    for path in paths:
        name, parent = path.name, path.parent
        if parent not in folders:
            try:
                folders[parent] = Path(os.path.abspath(parent)).relative_to(base).as_posix()
            except ValueError:
                folders[parent] = None
        folder = folders[parent]
        if folder is None or name in ("", ".."):  # outside `base`, or a name abspath would not simply append
            shown.append(display_path(path, base))
        else:
            shown.append(name if folder == "." else f"{folder}/{name}")
    return shown


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Review files named or found below the named folders, in a stable order, each once."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for parts, _ in review_files(path):
                found.setdefault(path.joinpath(*parts), None)
        elif path.exists():
            found.setdefault(path, None)
        else:
            raise ConfigError(f"{path}: no such file or folder")
    return list(found)


@dataclass
class Reading:
    """The knowledge base as `read_paths` found it: the check of every file, and the data of each file that
    has no error (what the typed reviews are built from; a file with an error is left out), or what
    read_paths' `convert` made of it."""

    check: CheckResult
    documents: list[tuple[Path, Any]] = field(default_factory=list)


def check_file(path: Path, options: CheckOptions, display: str | None = None) -> FileResult:
    """Load, validate and check one review."""
    return _read_file(path, options, display)[0]


def _read_file(
    path: Path, options: CheckOptions, display: str | None, raw: bytes | None = None
) -> tuple[FileResult, dict[str, Any] | None]:
    """Check one review, and its data when it loads (whatever its findings: the errors across files come later).
    `raw`: the file's bytes, read already."""
    shown = display or path.as_posix()
    try:
        if link_leaves(path, options.root or Path.cwd()):
            raise ReviewFileError(
                "RG010", "the file is a link to a file outside the knowledge base; copy the review into it instead"
            )
        document = load_review(path, options.max_file_size, raw)
    except ReviewFileError as exc:
        return FileResult(path, shown, [Finding(shown, exc.line, exc.column, exc.code, exc.message)]), None
    findings: list[Finding] = []

    def add(code: str, where: FieldPath, message: str, *, at_key: bool = False) -> None:
        pos = document.locate(where, key=at_key)
        findings.append(Finding(shown, pos.line, pos.column, code, message, field_name(where)))

    for code, where, at_key, message in schema_issues(document, options.today):
        add(code, where, message, at_key=at_key)
    for code, where, message in review_issues(
        document, options.today, options.not_owners, options.min_whys, (options.known_owners, options.roster_names)
    ):
        add(code, where, message)
    team = document.data.get("team")
    if options.teams is not None and isinstance(team, str) and team.strip() and not is_placeholder(team):
        hint = team_hint(team, options.teams)
        if hint:
            add("RG150", ("team",), f"team {team!r} is not in the team list (extra.retrogen.teams); {hint}")
    review_id = document.data.get("id")
    if isinstance(review_id, str):
        stem = path.name.rsplit(".", 1)[0]
        if review_id != stem:
            add(
                "RG110",
                ("id",),
                f"id {review_id!r} does not match the file name {path.name!r}; rename the "
                f"file to {review_id}.yaml or set id: {stem}",
            )
    else:
        review_id = None
    findings.sort()
    result = FileResult(
        path,
        shown,
        findings,
        review_id,
        document.locate(("id",)) if review_id else None,
        facts_of(document, shown),
        _tag_uses(document),
        days_alike(document.data, options.today),
    )
    return result, document.data


def _tag_uses(document: Document) -> list[TagUse]:
    data = document.data
    tagged: list[tuple[FieldPath, Any]] = [
        ((), data),
        *((("lessons", index), lesson) for index, lesson in entries(data, "lessons")),
    ]
    uses: list[TagUse] = []
    for where, item in tagged:
        tags = item.get("tags")
        for index, tag in enumerate(tags if isinstance(tags, list) else []):
            if isinstance(tag, str):
                path = (*where, "tags", index)
                uses.append(TagUse(tag, document.locate(path), field_name(path)))
    return uses


Batch = tuple[list[tuple[Path, str]], CheckOptions]  # (path, display) of each file, and the options


def _check_batch(args: Batch) -> list[FileResult]:
    batch, options = args
    return [check_file(path, options, shown) for path, shown in batch]


def _read_batch(args: Batch) -> list[tuple[FileResult, dict[str, Any] | None]]:
    batch, options = args
    return [_read_file(path, options, shown) for path, shown in batch]


# A file read for the index: the stamp of the bytes it was read from (None for what the index must not
# keep), its check and its data, pickled (see index.dumps) before the findings across files are added.
Stamped = tuple[Stamp | None, bytes, bytes]


def _read_stamped(path: Path, options: CheckOptions, shown: str) -> Stamped:
    """`_read_file`, from bytes whose hash and stat are kept with the result. A link is never kept: what
    it is checked as depends on where it points."""
    read_ns = now_ns()
    status = stat_of(path)
    raw = None
    if status is not None and stat.S_ISREG(status.st_mode) and not path.is_symlink():
        try:
            raw = read_bounded(path, options.max_file_size)
        except OSError:
            raw = None
    result, data = _read_file(path, options, shown, raw)
    stamp = stamp_of(status, raw, read_ns) if raw is not None and status is not None else None
    return stamp, dumps(result), dumps(data)


def _stamped_batch(args: Batch) -> list[Stamped]:
    batch, options = args
    return [_read_stamped(path, options, shown) for path, shown in batch]


Read = tuple[FileResult, Any]  # a file's check, and its data (None when not asked for or when it does not load)
# What read_paths may make of a file's data as soon as it is read (engine.model.review_from_data).
Convert = Callable[[dict[str, Any], Path], Any]
# Index entries read at a time.
_ENTRY_CHUNK = 1000
# Files read afresh kept in the index at a time, the memory of their data given back after each.
_STORE_CHUNK = 1000


def _from_index(
    index: ReviewIndex, entry: Entry | None, path: Path, shown: str, options: CheckOptions, *, with_data: bool
) -> tuple[Read, Stamp | None] | None:
    """The indexed check (and data) of a file when its bytes are the ones it was read from, and the new
    stamp to keep when only hashing them again could tell; None when the file must be read."""
    if entry is None or entry.display != shown or path.is_symlink():
        return None
    read_ns = now_ns()
    status = stat_of(path)
    if status is None or (fresh := entry.fresh(status)) is False:
        return None
    restamp = None
    if fresh is None:
        try:
            raw = read_bounded(path, options.max_file_size)
        except OSError:
            return None
        restamp = stamp_of(status, raw, read_ns)
        if restamp.sha256 != entry.stamp.sha256:
            return None
    result = index.load(entry.result, pathless=True)  # its path is set below
    data = index.load(entry.data) if with_data else None
    if not isinstance(result, FileResult) or not (data is None or isinstance(data, dict)):
        return None
    if not result.days[0] <= options.today <= result.days[1]:
        return None  # checked on another day of the month, and a done_on between the two days changes it
    result.path = path  # the same file, perhaps named otherwise (relative, absolute)
    return (result, data), restamp


def _read_indexed(
    files: Sequence[Path],
    options: CheckOptions,
    jobs: int | None,
    index: ReviewIndex | None,
    *,
    whole: bool,
    with_data: bool,
    convert: Convert | None = None,
) -> list[tuple[Read, Stamp | None, bytes]]:
    """Every file's check and (`with_data`) data: from the index when the file is unchanged, read (and
    indexed) when not; each with the stamp of the bytes it comes from (None without the index, and for a file
    it does not keep) and its check as the index keeps it (see dumps; empty without the index). `whole`: the
    files are the whole knowledge base, so entries of files that are gone are dropped. `convert`: see
    read_paths."""
    if index is None:
        if with_data:
            # each batch converted as it comes: every review's data at once was 600 MB at 10,000
            return [(_converted(item, convert), None, b"") for item in _per_file(_read_batch, files, options, jobs)]
        return [((result, None), None, b"") for result in check_files(files, options, jobs=jobs)]
    base = Path.cwd()
    named = list(zip(files, display_paths(files, base), strict=True))
    read: list[Read | None] = []
    stamps: list[tuple[Stamp | None, bytes]] = []
    new: list[tuple[Path, str, Stamp, bytes, bytes]] = []
    restamped: list[tuple[Path, Stamp]] = []
    missed: list[int] = []
    # A chunk of entries at a time: the whole index's entries at once would be held in memory together.
    for start in range(0, len(named), _ENTRY_CHUNK):
        chunk = named[start : start + _ENTRY_CHUNK]
        entries = index.entries([path for path, _ in chunk], with_data=with_data)
        for path, shown in chunk:
            entry = entries.pop(os.path.abspath(path), None)
            found = _from_index(index, entry, path, shown, options, with_data=with_data)
            if found is None:
                missed.append(len(read))
            elif found[1] is not None:
                restamped.append((path, found[1]))
            read.append(_converted(found[0], convert) if found else None)
            stamps.append((None, b"") if found is None or entry is None else (found[1] or entry.stamp, entry.result))
    done = _per_named(_stamped_batch, [named[i] for i in missed], options, jobs)
    if len(done) != len(missed):
        raise AssertionError("a worker's batch came back short")
    done.reverse()  # each file's taken off the end: once its chunk is stored, nothing holds its data
    for position in missed:
        stamp, result_blob, data_blob = done.pop()
        # Made by this run's own workers: plain unpickling, not the index's guarded one.
        result: FileResult = pickle.loads(result_blob)
        read[position] = _converted((result, pickle.loads(data_blob) if with_data else None), convert)
        stamps[position] = stamp, result_blob
        if stamp is not None:
            new.append((result.path, result.display, stamp, result_blob, data_blob))
        if len(new) == _STORE_CHUNK:
            # Kept, and the memory of its data given back for the reviews made next: a first run at 10,000
            # reviews held every file's data (70 MB) until all were made.
            index.store(new, restamped)
            new, restamped = [], []
            freed_memory_returned()
    index.store(new, restamped, keep=files if whole else None)
    return [(item, *stamp) for item, stamp in zip(read, stamps, strict=True) if item is not None]


def _converted(read: Read, convert: Convert | None) -> Read:
    """A file's reading with its data converted when it has no error of its own (`convert` needs data the
    schema accepted); the data as it is otherwise."""
    result, data = read
    if convert is None or data is None or result.has_errors:
        return read
    return result, convert(data, result.path)


def facts_of_file(path: Path, options: CheckOptions, display: str) -> ReviewFacts | None:
    """Only what the checks across reviews read of a file (no schema, no checks of its own): the facts of
    the reviews around the ones being checked. None for a file that does not load."""
    try:
        if link_leaves(path, options.root or Path.cwd()):
            return None
        return facts_of(load_review(path, options.max_file_size), display)
    except ReviewFileError:
        return None


def _facts_batch(args: Batch) -> list[ReviewFacts | None]:
    batch, options = args
    return [facts_of_file(path, options, shown) for path, shown in batch]


Work = TypeVar("Work")


def _per_file(
    work: Callable[[Batch], list[Work]], files: Sequence[Path], options: CheckOptions, jobs: int | None
) -> Iterator[Work]:
    """`work` on batches of the files, on every core when there are enough of them to pay for the processes;
    each batch's results given, in order, once it and those before it are done (see _per_named_lazily)."""
    base = Path.cwd()  # once, not once per file
    return _per_named_lazily(work, list(zip(files, display_paths(files, base), strict=True)), options, jobs)


def _per_named(
    work: Callable[[Batch], list[Work]], named: list[tuple[Path, str]], options: CheckOptions, jobs: int | None
) -> list[Work]:
    """`work` on batches of (path, display) pairs, on every core when there are enough of them."""
    return list(_per_named_lazily(work, named, options, jobs))


def _per_named_lazily(
    work: Callable[[Batch], list[Work]], named: list[tuple[Path, str]], options: CheckOptions, jobs: int | None
) -> Iterator[Work]:
    """_per_named, each batch's results given, in order, once it and those before it are done: what is made
    of them can be made, and they let go of, while the workers read on."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(named) < PARALLEL_THRESHOLD:
        yield from work((named, options))
        return
    # at most 128 files a batch: a worker holds its batch's data until it is sent, 130 MB each at 10,000
    size = min(max(16, len(named) // (jobs * 8)), 128)
    batches = [(named[i : i + size], options) for i in range(0, len(named), size)]
    from concurrent.futures import ProcessPoolExecutor  # only here: a check of one file must start fast

    with ProcessPoolExecutor(max_workers=jobs, initializer=exit_with_parent) as pool:
        for batch in pool.map(work, batches):
            yield from batch


def check_files(files: Sequence[Path], options: CheckOptions, *, jobs: int | None = None) -> list[FileResult]:
    """Check many files, on every core when there are enough of them."""
    return list(_per_file(_check_batch, files, options, jobs))


def duplicate_ids(results: Sequence[FileResult], others: Iterable[tuple[str, Path | str]]) -> Iterator[Finding]:
    """A finding on every file whose review id another file already uses."""
    others_by_id = dict(others)  # shown (display_path) only when one clashes: ten thousand never do
    firsts: dict[str, str] = {}
    for result in sorted(results, key=lambda r: r.display):
        if result.review_id is None or result.id_position is None:
            continue
        if result.review_id not in firsts:
            other = others_by_id.get(result.review_id)
            firsts[result.review_id] = result.display if other is None else display_path(Path(other))
        first = firsts[result.review_id]
        if first != result.display:
            pos = result.id_position
            yield Finding(
                result.display,
                pos.line,
                pos.column,
                "RG111",
                f"review id {result.review_id!r} is already used by {first}; choose another id",
                "id",
            )


def check_paths(
    paths: Sequence[Path],
    options: CheckOptions,
    *,
    reviews_dir: Path | None = None,
    jobs: int | None = None,
    index: ReviewIndex | None = None,
) -> CheckResult:
    """Check the named files and folders. Ids must be unique among them and, for files inside
    `reviews_dir`, against the rest of the knowledge base; a file elsewhere (a draft, an example) is not
    part of the knowledge base, so it cannot clash with it. The closed loop is checked the same way.
    `index`: where the unchanged files' results are kept between runs (see open_index)."""
    return _read_paths(paths, options, reviews_dir, jobs, index, with_data=False).check


def read_paths(
    paths: Sequence[Path],
    options: CheckOptions,
    *,
    reviews_dir: Path | None = None,
    jobs: int | None = None,
    index: ReviewIndex | None = None,
    warnings: bool = True,
    convert: Convert | None = None,
) -> Reading:
    """Check the named files and folders as check_paths does, in the same pass keeping the data of each file
    that has no error: what the knowledge base is loaded from, without parsing a file twice. Without
    `warnings` (a command that only reads the figures), the files without an error are not given the
    warnings across files, which cost most of that step and change nothing in the figures. `convert`: what
    each file's data is turned into as soon as it is read (the whole knowledge base's data is never held at
    once); the documents are then what it returned."""
    return _read_paths(paths, options, reviews_dir, jobs, index, with_data=True, warnings=warnings, convert=convert)


def _read_paths(
    paths: Sequence[Path],
    options: CheckOptions,
    reviews_dir: Path | None,
    jobs: int | None,
    index: ReviewIndex | None,
    *,
    with_data: bool,
    warnings: bool = True,
    convert: Convert | None = None,
) -> Reading:
    whole = reviews_dir is not None and [path.resolve() for path in paths] == [reviews_dir.resolve()]
    if whole and with_data and index is not None and isinstance(convert, Conversion) and paths[0].is_dir():
        kept = _read_kept(paths[0], options, jobs, index, convert, warnings=warnings)
        if kept is not None:
            return kept
    files = collect_files(paths)
    read = [
        item
        for item, *_ in _read_indexed(files, options, jobs, index, whole=whole, with_data=with_data, convert=convert)
    ]
    results = [result for result, _ in read]
    check = _across_files(files, results, options, reviews_dir, jobs, index, whole=whole, warnings=warnings)
    _judged(results)
    if index is not None:
        check.notices.extend(index.notices)
    return Reading(check, [(result.path, data) for result, data in read if data is not None and not result.has_errors])


@runtime_checkable
class Conversion(Protocol):
    """A `convert` whose results the snapshot may keep (gate/snapshot.py): `snapshot_key` changes whenever
    what it makes of the same data could (its code, the settings it applies), and `snapshot_classes` are the
    (module, name) of every class its results hold, which alone the snapshot may make when read back."""

    snapshot_classes: frozenset[tuple[str, str]]

    @property
    def snapshot_key(self) -> str: ...

    def __call__(self, data: dict[str, Any], path: Path, /) -> Any: ...


def _snapshot_key(index: ReviewIndex, convert: Conversion, folder: Path) -> str:
    """What a snapshot is made for: retrogen's code and the check's settings (as the index's), the
    conversion, the reviews folder as named and the working folder (a file's findings name it as shown
    from there)."""
    parts = (index.code, index.settings, convert.snapshot_key, str(folder), os.path.abspath(folder), os.getcwd())
    return hashlib.sha256("\0".join(parts).encode("utf-8", errors="surrogateescape")).hexdigest()


def _kept_stamp(record: Record, entry: os.DirEntry[str], max_size: int) -> Stamp | StampTuple | None:
    """The record's stamp when the file is untouched since it was taken, a new one when it was touched but
    its bytes are the same, None when it must be read."""
    read_ns = now_ns()
    try:
        status = entry.stat()
    except OSError:
        return None
    untouched = fresh(record[1], status)
    if untouched is False:
        return None
    if untouched:
        return record[1]
    try:
        raw = read_bounded(Path(entry.path), max_size)
    except OSError:
        return None
    stamp = stamp_of(status, raw, read_ns)
    return stamp if stamp.sha256 == record[1][4] else None


def _cross_inputs(result: FileResult) -> tuple[Any, ...]:
    """What the checks across files read of a file besides its name and whether it has an error: compared
    with what the snapshot kept of a file read again, to tell whether last run's findings across files
    stand."""
    return (result.review_id, result.id_position, result.facts, result.tags)


def _error_inputs(result: FileResult) -> tuple[Any, ...]:
    """What the errors across files read of a file (a duplicate id, RG111; a wrong carried_from,
    loop_checks.CARRY_ERRORS: its review's id, team and day, each action's id and carried_from), besides its
    name and whether it has an error of its own. The figures' reading judges nothing else across files
    while no file fails (the warnings of a file left out are the only others): an edit to a KPI or an
    action's status then leaves last run's findings across files standing."""
    facts = result.facts
    loop = (
        None
        if facts is None
        else (
            facts.id,
            facts.display,
            facts.team,
            facts.held_on,
            tuple((action.id, action.carried_from, action.carried_from_at) for action in facts.actions),
        )
    )
    return (result.review_id, result.id_position, loop)


def _has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def _read_kept(
    folder: Path, options: CheckOptions, jobs: int | None, index: ReviewIndex, convert: Conversion, *, warnings: bool
) -> Reading | None:
    """read_paths of the whole knowledge base through the snapshot: the unchanged files' records taken from
    it, the others read through the index, and the findings across files kept from the last run when nothing
    they are judged on changed (the files taken from the snapshot then have no facts nor tag uses: nothing
    reads them after the findings across files). None when the snapshot proves damaged once files were
    taken from it (said in the index's notices): the caller reads without it."""
    kept_in = index.path.parent
    key = _snapshot_key(index, convert, folder)
    allowed = convert.snapshot_classes
    listing = list(review_files(folder))
    paths = [folder.joinpath(*parts) for parts, _ in listing]
    # by the listing's strings, which are the Paths' own (str(path), as a review keeps its path) but where the
    # folder is named with "..": then the snapshot makes that Path again, no other
    known = dict(zip([entry.path for _, entry in listing], paths, strict=True))
    try:
        snapshot = read_snapshot(kept_in, key, allowed, known) or Snapshot(allowed=allowed)
    except Exception as exc:  # damage of any kind (whatever unpickling raises): rebuilt from the index
        _snapshot_damaged(index, kept_in, exc)
        snapshot = Snapshot(allowed=allowed)
    try:
        return _read_through(snapshot, key, folder, listing, paths, options, jobs, index, convert, warnings=warnings)
    except _MALFORMED as exc:  # a snapshot of the right sums but the wrong shapes: only one planted
        _snapshot_damaged(index, kept_in, exc)
        return None
    finally:
        snapshot.close()


# What reading a record or fact of the wrong shape raises: damage, like an unreadable snapshot.
_MALFORMED = (
    SnapshotDamaged,
    TypeError,
    ValueError,
    IndexError,
    KeyError,
    AttributeError,
    pickle.UnpicklingError,
    EOFError,
    IndexFormatError,
)


def _read_through(
    snapshot: Snapshot,
    key: str,
    folder: Path,
    listing: list[tuple[tuple[str, ...], os.DirEntry[str]]],
    paths: list[Path],
    options: CheckOptions,
    jobs: int | None,
    index: ReviewIndex,
    convert: Conversion,
    *,
    warnings: bool,
) -> Reading:
    """_read_kept once the snapshot is read (or found missing: then every file is read, and a base written)."""
    old = snapshot.records
    records: dict[str, Record] = {}
    changed: set[str] = set()
    missed: list[int] = []
    links = False
    for position, (_, entry) in enumerate(listing):
        record = old.get(entry.path)
        links = links or entry.is_symlink()  # never kept: what a link is checked as depends on its target
        if record is not None and not entry.is_symlink() and record[2][3][0] <= options.today <= record[2][3][1]:
            stamp = _kept_stamp(record, entry, options.max_file_size)
            if stamp is not None:
                if stamp is not record[1]:
                    record = (record[0], plain(stamp), record[2], record[3])
                    changed.add(entry.path)
                records[entry.path] = record
                continue
        missed.append(position)
    read = _read_indexed([paths[i] for i in missed], options, jobs, index, whole=False, with_data=True, convert=convert)
    reread = dict(zip(missed, read, strict=True))
    results: list[FileResult] = []
    documents: list[Any] = []
    for position, (path, (_, entry)) in enumerate(zip(paths, listing, strict=True)):
        if position in reread:
            (result, document), stamp, _ = reread[position]
            if stamp is not None:
                at = (result.id_position.line, result.id_position.column) if result.id_position else None
                own = (result.review_id, at, list(result.findings), result.days)
                records[entry.path] = (result.display, plain(stamp), own, None if result.has_errors else document)
                changed.add(entry.path)
        else:
            display, _, (review_id, at, findings, days), document = records[entry.path]
            result = FileResult(path, display, list(findings), review_id, Position(*at) if at else None, None, [], days)
        results.append(result)
        documents.append(document)
    check, judged = _kept_across_files(
        snapshot, old, folder, listing, paths, results, reread, options, jobs, index, warnings=warnings, links=links
    )
    _judged(results)  # before the snapshot is written, which keeps the facts pickled
    gone = set(old) - set(records)
    if gone:
        index.store([], keep=paths)
    snapshot.records = records
    for position, (_, _, blob) in reread.items():
        if listing[position][1].path in records:
            snapshot.facts[listing[position][1].path] = blob
    if changed or gone or judged or not snapshot.token:
        write_snapshot(index.path.parent, key, snapshot, changed, gone)
    check.notices.extend(index.notices)
    return Reading(
        check, [(r.path, d) for r, d in zip(results, documents, strict=True) if d is not None and not r.has_errors]
    )


def _judged(results: Iterable[FileResult]) -> None:
    """Let go of what the checks across files read of each file (its facts and tags) once they are judged:
    a reading's results carry their findings alone, as those read back from the snapshot do. A first run at
    10,000 reviews held every review's facts (some 60 MB) while it wrote the snapshot and worked out its
    figures, and a build beside MkDocs' process."""
    for result in results:
        result.facts, result.tags = None, []


def _kept_across_files(
    snapshot: Snapshot,
    old: dict[str, Record],
    folder: Path,
    listing: list[tuple[tuple[str, ...], os.DirEntry[str]]],
    paths: list[Path],
    results: list[FileResult],
    reread: dict[int, tuple[Read, Stamp | None, bytes]],
    options: CheckOptions,
    jobs: int | None,
    index: ReviewIndex,
    *,
    warnings: bool,
    links: bool,
) -> tuple[CheckResult, bool]:
    """The results with the findings across files added: last run's when they were judged on the same day
    (or only errors were, which no day changes), the same files, and the files read again give the checks
    across files what they gave before, or all of it but their figures while no file fails (_refigured);
    judged again otherwise (the facts of the files taken from the snapshot read back for it). True: judged
    again."""
    names = hashlib.sha256("\0".join(entry.path for _, entry in listing).encode("utf-8", "surrogateescape"))
    key = (options.today, warnings, names.hexdigest())
    earlier = snapshot.cross
    # with no file failing last time and warnings not asked for, only the errors' inputs need be the same
    errors_alone = not warnings and earlier is not None and not earlier[2]
    if (
        not links
        and earlier is not None
        and earlier[0][1:] == key[1:]
        # the errors across files (loop_checks.CARRY_ERRORS, RG111) do not depend on the day, only warnings
        # do (RG201, overdue): the first run of a new day judged every file's facts again for nothing
        and (errors_alone or earlier[0][0] == key[0])
    ):
        alike = {
            position: _alike(snapshot, old, listing[position][1].path, read[0][0], errors_alone=errors_alone)
            for position, read in reread.items()
        }
        if all(found is _Alike.SAME for found in alike.values()):
            for result in results:
                result.findings.extend(earlier[1].get(result.display, ()))
            return CheckResult(results, sorted(f for r in results for f in r.findings)), False
        # no file failed: no review id is another's (RG111), and a team's reviews are all its files'
        if not earlier[2] and all(found is not _Alike.OTHER for found in alike.values()):
            return _refigured(snapshot, listing, results, reread, alike, options), True
    for position, (result, (_, entry)) in enumerate(zip(results, listing, strict=True)):
        if position not in reread:
            kept = _kept_check(snapshot, entry.path)
            result.review_id, result.id_position, result.facts, result.tags = _cross_inputs(kept)
    before = [len(result.findings) for result in results]
    check = _across_files(paths, results, options, folder, jobs, index, whole=True, warnings=warnings)
    snapshot.cross = (
        key,
        {r.display: r.findings[n:] for r, n in zip(results, before, strict=True) if len(r.findings) > n},
        any(result.has_errors for result in results),
        {r.display: r.facts.team for r in results if r.facts is not None},
    )
    return check, True


def _refigured(
    snapshot: Snapshot,
    listing: list[tuple[tuple[str, ...], os.DirEntry[str]]],
    results: list[FileResult],
    reread: dict[int, tuple[Read, Stamp | None, bytes]],
    alike: dict[int, _Alike],
    options: CheckOptions,
) -> CheckResult:
    """The results with last run's findings across files added, but those that read the figures
    (loop_checks.FIGURE_CODES) of the teams whose files read again changed in their figures alone: judged
    again, within those teams (a figure's save judged the whole knowledge base again, 0.5 s at 1,000
    reviews)."""
    assert snapshot.cross is not None, "last run's findings across files first"
    key, earlier, failed, teams = snapshot.cross
    refigured = set()
    for position, found in alike.items():
        read = reread[position][0][0].facts
        if found is _Alike.FIGURES and read is not None:
            refigured.add(read.team)
    members = [position for position, result in enumerate(results) if teams.get(result.display) in refigured]
    facts = [
        reread[position][0][0].facts if position in reread else _kept_check(snapshot, listing[position][1].path).facts
        for position in members
    ]
    ids = {shown for position in members if (shown := results[position].review_id) is not None}
    issues = figure_issues([found for found in facts if found is not None], ids, options.repeated_miss_periods)
    judged: dict[str, list[Finding]] = {}
    for issue in issues:
        judged.setdefault(issue.display, []).append(_as_finding(issue))
    cross = dict(earlier)
    for position in members:
        shown = results[position].display
        was = cross.pop(shown, [])
        # in the order a whole judgement adds them (see _across_files and loop_checks.cross_issues)
        now = [
            *(f for f in was if f.code not in FIGURE_CODES and f.code not in _AFTER_FIGURES),
            *judged.get(shown, ()),
            *(f for f in was if f.code in _AFTER_FIGURES),
        ]
        if now:
            cross[shown] = now
    snapshot.cross = (key, cross, failed, teams)
    for result in results:
        result.findings.extend(cross.get(result.display, ()))
    return CheckResult(results, sorted(f for r in results for f in r.findings))


# The findings across files that come after those of FIGURE_CODES in a file's: the closed loop's, and the tags'.
_AFTER_FIGURES = FIGURES_FOLLOWED_BY | {"RG250"}


class _Alike(Enum):
    """How a file read again compares with its record and facts, as the checks across files read it."""

    SAME = "same"
    FIGURES = "figures"  # alike but in its figures (its facts' metrics), which those checks read within its team
    OTHER = "other"


def _alike(snapshot: Snapshot, old: dict[str, Record], path: str, result: FileResult, *, errors_alone: bool) -> _Alike:
    """Whether a file read again gives the checks across files what its record and facts gave (with
    `errors_alone`, what the errors across files read of it: see _error_inputs), or all of it but its figures."""
    earlier = old.get(path)
    if earlier is None or earlier[0] != result.display or _has_errors(earlier[2][2]) != result.has_errors:
        return _Alike.OTHER
    if snapshot.fact(path) is None:
        return _Alike.OTHER
    kept = _kept_check(snapshot, path)
    inputs = _error_inputs if errors_alone else _cross_inputs
    if inputs(kept) == inputs(result):
        return _Alike.SAME
    if errors_alone or result.facts is None:
        return _Alike.OTHER
    return _Alike.FIGURES if _figures_aside(kept) == _figures_aside(result) else _Alike.OTHER


def _figures_aside(result: FileResult) -> tuple[Any, ...]:
    """What the checks across files read of a file but its figures: _cross_inputs without its facts' metrics."""
    facts = None if result.facts is None else replace(result.facts, metrics=())
    return (result.review_id, result.id_position, facts, result.tags)


def _kept_check(snapshot: Snapshot, path: str) -> FileResult:
    """A file's check as the snapshot keeps it beside its record: as the index keeps it (see dumps), before
    the findings across files, what they are judged on (its path left out)."""
    result = snapshot.check_of(path)
    if not isinstance(result, FileResult):
        raise SnapshotDamaged("a check of the wrong type")
    return result


def _snapshot_damaged(index: ReviewIndex, folder: Path, problem: Exception) -> None:
    index.notices.append(f"{folder / BASE_NAME}: unreadable ({problem}); rebuilding it")
    remove_snapshot(folder)


def open_index(config: Config, options: CheckOptions, *, cache: bool = True) -> ReviewIndex | None:
    """The knowledge base's lasting index for checks with `options` (None with cache off, or where it
    cannot be kept); close it when done."""
    if not cache:
        return None
    # Keyed by the month, not the day: a check depends on the day only where a file says so (FileResult.days).
    month = replace(options, today=options.today.replace(day=1))
    return ReviewIndex.open(config.root, settings_key(month), avoid=config.generated_dir)


def read_knowledge_base(
    config: Config,
    today: date,
    *,
    paths: list[Path] | None = None,
    jobs: int | None = None,
    cache: bool = True,
    warnings: bool = True,
    convert: Convert | None = None,
) -> Reading:
    """Every review of the knowledge base (or the named files and folders), checked with its settings as of
    `today`; what the commands that analyse it load it from. `cache`: use the lasting index; `warnings` and
    `convert`: see read_paths."""
    options = CheckOptions.of(config, today)
    index = open_index(config, options, cache=cache)
    try:
        return read_paths(
            paths or [config.reviews_dir],
            options,
            reviews_dir=config.reviews_dir,
            jobs=jobs,
            index=index,
            warnings=warnings,
            convert=convert,
        )
    finally:
        if index is not None:
            index.close()


def _across_files(
    files: list[Path],
    results: list[FileResult],
    options: CheckOptions,
    reviews_dir: Path | None,
    jobs: int | None,
    index: ReviewIndex | None = None,
    *,
    whole: bool = False,
    warnings: bool = True,
) -> CheckResult:
    """The checked files' results with the findings across files added: duplicate ids, the closed loop and
    slips in tags, judged with the rest of the knowledge base around them. `whole`: the files are every
    review of `reviews_dir`, so there is no other review around them to read. Without `warnings`, a file
    without an error gets only the errors across files (see read_paths)."""
    folder = reviews_dir.resolve() if reviews_dir is not None else None
    inside: list[FileResult] = []
    outside: list[FileResult] = []
    real = _resolved([result.path for result in results])
    # A file is inside the folder when its (resolved) folder is: asked once per folder, as Path.relative_to
    # parses its argument again on every call (a second at 10,000 reviews).
    folders_inside: dict[Path, bool] = {}
    for result, path in zip(results, real, strict=True):
        parent = path.parent
        if parent not in folders_inside:
            folders_inside[parent] = folder is not None and parent.is_relative_to(folder)
        (inside if folders_inside[parent] else outside).append(result)
    around = Around([], Counter())
    if folder and not whole:
        ids = {r.review_id for r in inside if r.review_id} | {source for r in results for source in _sources(r)}
        teams = {r.facts.team for r in results if r.facts}
        around = heads_around(folder, set(_resolved(files)), index, ids=ids, teams=teams)
    heads = around.heads
    others = [(head.review_id, head.file) for head in heads if head.review_id] if inside else []
    # A draft outside reviews/ (the next review, a copy) is judged with the knowledge base around it too.
    related_inside = _related_facts(heads, inside, options, jobs, index) if inside else []
    related_outside = _related_facts(heads, outside, options, jobs, index) if outside else []
    by_display = {r.display: r for r in results}
    for finding in [
        *duplicate_ids(inside, others),
        *duplicate_ids(outside, ()),
        *_cross_findings(inside, related_inside, options, errors_only=not warnings),
        *_cross_findings(outside, related_outside, options, errors_only=not warnings),
        *(_tag_findings(results, around.tags, options.tags) if warnings else ()),
    ]:
        by_display[finding.path].findings.append(finding)
    failing = {r.display for r in results if r.has_errors} if not warnings else set()
    if failing:  # the files left out still get every finding: they are listed with the figures
        ids = {r.review_id for r in results if r.display in failing and r.review_id}
        for finding in [
            *_cross_findings(inside, related_inside, options, only=ids),
            *_cross_findings(outside, related_outside, options, only=ids),
            *_tag_findings(results, around.tags, options.tags, only=failing),
        ]:
            if finding.path in failing and finding.severity is Severity.WARNING:
                by_display[finding.path].findings.append(finding)
    findings = sorted(f for r in results for f in r.findings)
    return CheckResult(results, findings)


def _resolved(paths: Sequence[Path]) -> list[Path]:
    """Path.resolve() of each path, resolving each folder once: a file that is no link resolves to its resolved
    folder and its name (resolving 10,000 files one by one took seconds of lstat calls)."""
    folders: dict[Path, Path] = {}
    resolved = []
    for path in paths:
        if path.is_symlink() or path.name in ("", ".", ".."):
            resolved.append(path.resolve())
            continue
        parent = path.parent
        if parent not in folders:
            folders[parent] = parent.resolve()
        resolved.append(folders[parent] / path.name)
    return resolved


def _tag_findings(
    checked: list[FileResult], others: Counter[str], vocabulary: TagVocabulary, *, only: set[str] | None = None
) -> Iterator[Finding]:
    """A warning on each tag that looks like a slip for a known one: the vocabulary's, or one written at
    least as often (in the checked files and, `others`, the rest of the knowledge base). `only`: in these
    files alone."""
    used = Counter(others)
    used.update(use.tag for result in checked for use in result.tags)
    speller = TagSpeller(vocabulary, used)
    for result in checked if only is None else [r for r in checked if r.display in only]:
        for use in result.tags:
            meant = speller.suggestion(use.tag)
            if meant is not None:
                yield Finding(
                    result.display,
                    use.position.line,
                    use.position.column,
                    "RG250",
                    f"{use.field}: tag {use.tag!r} differs from the known tag {meant!r} only by case, "
                    f"spacing, hyphenation or a typo; did you mean {meant!r}?",
                    use.field,
                )


def _related_facts(
    heads: list[Head], checked: list[FileResult], options: CheckOptions, jobs: int | None, index: ReviewIndex | None
) -> list[ReviewFacts]:
    """Facts of the unchecked reviews that the checked ones are judged against: those of the same teams and
    those their actions are carried from. A head without a readable team is read to be sure; an unchanged
    file's facts come from the index."""
    teams = {r.facts.team for r in checked if r.facts}
    sources = {source for r in checked for source in _sources(r)}
    wanted = [h.path for h in heads if h.team is None or h.team.strip() in teams or h.review_id in sources]
    if index is None:
        return [facts for facts in _per_file(_facts_batch, wanted, options, jobs) if facts]
    return [facts for facts in _indexed_facts(wanted, options, jobs, index) if facts]


def _sources(result: FileResult) -> set[str]:
    """The reviews whose actions a checked file carries."""
    actions = result.facts.actions if result.facts else ()
    return {carried_key(action.carried_from)[0] for action in actions if action.carried_from}


def _indexed_facts(
    wanted: list[Path], options: CheckOptions, jobs: int | None, index: ReviewIndex
) -> list[ReviewFacts | None]:
    """The facts of the `wanted` files, in their order: kept ones while their files are unchanged, the
    others read (on every core when there are many) and kept for the next run."""
    base = Path.cwd()
    named = list(zip(wanted, display_paths(wanted, base), strict=True))
    keys = [os.path.abspath(path) for path in wanted]
    kept = index.stored_facts(keys)
    found: list[ReviewFacts | None] = []
    missed: list[int] = []
    store: list[tuple[str, KeptFacts]] = []
    for (path, shown), key in zip(named, keys, strict=True):
        hit = _kept_facts(index, kept.get(key), path, shown, options.max_file_size)
        if hit is None:
            missed.append(len(found))
        elif hit[1] is not None:
            store.append((key, hit[1]))
        found.append(hit[0] if hit else None)
    read = _per_named(_stamped_facts_batch, [named[i] for i in missed], options, jobs)
    for position, (stamp, blob) in zip(missed, read, strict=True):
        found[position] = pickle.loads(blob)  # made by this run's own workers
        if stamp is not None:
            store.append((keys[position], KeptFacts(named[position][1], options.max_file_size, stamp, blob)))
    index.store_facts(store)
    return found


def _kept_facts(
    index: ReviewIndex, kept: KeptFacts | None, path: Path, shown: str, max_size: int
) -> tuple[ReviewFacts | None, KeptFacts | None] | None:
    """A file's kept facts while its bytes are the ones they were read from (and the entry stamped again,
    when only hashing them could tell); None when the file must be read."""
    if kept is None or kept.display != shown or kept.limit != max_size or path.is_symlink():
        return None
    same = _unchanged(kept.fresh, kept.stamp, path, max_size)
    if same is None:
        return None
    facts = index.load(kept.facts)
    if index.broken or not (facts is None or isinstance(facts, ReviewFacts)):
        return None
    return facts, kept._replace(stamp=same) if same is not kept.stamp else None


def _unchanged(fresh: Callable[[os.stat_result], bool | None], stamp: Stamp, path: Path, max_size: int) -> Stamp | None:
    """`stamp` when the file is untouched since it was stamped, a new stamp when it was touched but its bytes
    are the same, None when it changed (or cannot be read)."""
    read_ns = now_ns()
    status = stat_of(path)
    if status is None or (untouched := fresh(status)) is False:
        return None
    if untouched:
        return stamp
    try:
        raw = read_bounded(path, max_size)
    except OSError:
        return None
    restamp = stamp_of(status, raw, read_ns)
    return restamp if restamp.sha256 == stamp.sha256 else None


def _stamped_facts_batch(args: Batch) -> list[tuple[Stamp | None, bytes]]:
    batch, options = args
    return [_read_facts_stamped(path, options, shown) for path, shown in batch]


def _read_facts_stamped(path: Path, options: CheckOptions, shown: str) -> tuple[Stamp | None, bytes]:
    """facts_of_file, from bytes whose stamp is kept with the facts (none for a link or an unreadable file:
    those are never kept)."""
    read_ns = now_ns()
    status = stat_of(path)
    if status is None or not stat.S_ISREG(status.st_mode) or path.is_symlink():
        return None, dumps(facts_of_file(path, options, shown))
    try:
        raw = read_bounded(path, options.max_file_size)
    except OSError:
        return None, dumps(facts_of_file(path, options, shown))
    try:
        facts = facts_of(load_review(path, options.max_file_size, raw), shown)
    except ReviewFileError:
        facts = None
    return stamp_of(status, raw, read_ns), dumps(facts)


def _cross_findings(
    checked: list[FileResult],
    related: list[ReviewFacts],
    options: CheckOptions,
    *,
    only: set[str] | None = None,
    errors_only: bool = False,
) -> Iterator[Finding]:
    """Closed-loop findings of the checked files, judged with the related reviews around them; a checked
    file's own facts come last, so they win over another file's with the same id. `only`: the findings of
    these review ids alone; `errors_only`: see cross_issues."""
    facts = [*related, *(r.facts for r in checked if r.facts)]
    ids = {r.review_id for r in checked if r.review_id}
    for issue in cross_issues(
        facts,
        ids if only is None else ids & only,
        options.today,
        options.repeated_miss_periods,
        errors_only=errors_only,
    ):
        yield _as_finding(issue)


def _as_finding(issue: CrossIssue) -> Finding:
    return Finding(issue.display, issue.position.line, issue.position.column, issue.code, issue.message, issue.field)
