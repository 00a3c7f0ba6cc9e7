"""What `serve` keeps between two regenerations: for each generated file, a digest of what it was rendered
from and the file as written, so that a file whose inputs did not change is neither rendered nor written
again."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from retrogen.core import digests
from retrogen.core.status import State
from retrogen.engine.analysis import Analysis
from retrogen.engine.loop import FollowUp
from retrogen.engine.model import Action, Review
from retrogen.engine.teams import TeamView
from retrogen.gate.glossary import Glossary
from retrogen.gate.loop_rules import by_team

T = TypeVar("T")


class Kept:
    """In place of a file's content: the file is as the last regeneration wrote it, leave it."""

    def __repr__(self) -> str:
        return "KEPT"


KEPT = Kept()

# What a regeneration gives each file: its content, or KEPT.
Content = str | bytes | Kept


def digest(inputs: object, dispatch: dict[type, Any] | None = None) -> bytes:
    """A digest of everything `inputs` holds (pickled by `dispatch`, by default each value by its own). Pickling
    walks every value, so two inputs that pickle alike render alike; the reverse need not hold (a set may
    pickle in another order), which costs a render, never a wrong page."""
    return digests.digest(inputs, _BY_VALUE if dispatch is None else dispatch)  # without pickle's memo


def _glossary_by_entries(glossary: Glossary) -> tuple[type[Glossary], tuple[dict[str, tuple[str, ...]]]]:
    return Glossary, (dict(glossary.entries),)


# A glossary by its entries alone, not what it has worked out from them once asked (its cached pattern): that
# depends on what the run asked before, and the configuration digested apart on the first save after `serve`
# started, which forgot every page.
_BY_VALUE = {**digests.BY_VALUE, Glossary: _glossary_by_entries}


# What many inputs share, each digested once per regeneration (see PageMemo.digest): a review is in the
# inputs of its own page, its report and the pages that link to it; an action in every later follow-up of its
# team; a team's view (its frames) in the dashboard's, the teams' and the metrics page's inputs and its own
# page's (0.5 s of a figure's save at 1,000 reviews, pickled again for each). By their fields, not their
# __dict__: that also holds what was cached on them (a review's language, a team's trends), which the fields
# determine.
_SHARED: dict[type, tuple[str, ...]] = {
    kind: tuple(field.name for field in fields(kind)) for kind in (Review, Action, TeamView)
}


# What of a review only its own page and its own report show. An edit of nothing else (an objective, the
# review group, a comment, which changes no field) leaves every other file as it was, and `serve` renders
# only that review's page and report, without working out the site-wide pages' inputs (2 s of a save at
# 1,000 reviews). tests/site/test_serve_regeneration.py edits each of them and checks the claim against a
# full generation. The review's language, which its objective can decide, is digested with the rest.
OWN_FIELDS = ("objective", "participants", "materials", "timeline", "feedback")
# A review's figures: what a KPI's or a funnel stage's save changes. Read by the metrics' tables and the pages
# that show them, and by the closed loop's verdicts (loop.verify); by nothing else (see PageMemo.figures_aside).
FIGURE_FIELDS = ("metrics", "funnel")
_SITE_FIELDS = tuple(field.name for field in fields(Review) if field.name not in OWN_FIELDS + FIGURE_FIELDS)


class SiteWide(NamedTuple):
    """What every file but a review's own page and report is made from (see site_wide)."""

    inputs: tuple[list[bytes], object]  # the reviews' site-wide part, and what is read beside the reviews
    own: dict[str, bytes]  # a digest of what of each review only its own files show, by review id
    whole: list[bytes]  # a digest of each whole review: every field, as PageMemo digests a review it has not seen
    figureless: list[bytes]  # a digest of each review's site-wide part but its figures (FIGURE_FIELDS)


def site_wide(analysis: Analysis) -> SiteWide:
    """What every file but a review's own page and report is made from, besides the configuration and the
    day (the memo's setting): see SiteWide."""
    reviews = analysis.knowledge_base.reviews
    figureless = digests.digests(
        ([review.language, *(getattr(review, name) for name in _SITE_FIELDS)] for review in reviews), _BY_VALUE
    )
    figures = digests.digests(([getattr(review, name) for name in FIGURE_FIELDS] for review in reviews), _BY_VALUE)
    own = digests.digests(([getattr(review, name) for name in OWN_FIELDS] for review in reviews), _BY_VALUE)
    git = analysis.git
    beside = (analysis.reading_notices, (git.statuses, git.identities, git.commits, git.notice_key, git.notice_detail))
    # Each digest is 16 bytes: joined, they can be told apart.
    shown = [_joined(b"Site", rest, figured) for rest, figured in zip(figureless, figures, strict=True)]
    whole = [_joined(b"Review", site, mine) for site, mine in zip(shown, own, strict=True)]
    by_id = {review.id: key for review, key in zip(reviews, own, strict=True)}
    return SiteWide((shown, beside), by_id, whole, figureless)


def _joined(kind: bytes, *parts: bytes) -> bytes:
    return hashlib.blake2b(kind + b"".join(parts), digest_size=16).digest()


def _stands_for(known: bytes) -> None:
    """Stands for a shared value in a digest; never called."""


# Each state of an action as one byte (see PageMemo.follow_up_shown).
_STATE_CODE = {state: bytes([number]) for number, state in enumerate(State)}


Stamp = tuple[int, int, int]  # the written file's inode, size and mtime


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class _Entry:
    inputs: bytes
    # What the file looked up while it was rendered (a link's title...), with the answer it got then: asked
    # again before the file is kept.
    lookups: tuple[tuple[Any, Any], ...]
    stamp: Stamp | None = None
    # What the inputs were worked out from, when the file gave it (PageMemo.sourced), and a review page's
    # content digest then (PageMemo.contents).
    source: bytes | None = None
    content: bytes = b""


class PageMemo:
    """The files of the last regeneration. A file is kept when its inputs digest alike, its lookups answer
    alike, and it is still on disk as written (a `build` beside `serve` may have written it since).
    Everything is forgotten when what every file depends on (`begin`'s setting) changes."""

    def __init__(self) -> None:
        self._setting: bytes | None = None
        self._folder: Path | None = None
        self._entries: dict[str, _Entry] = {}
        self._rendered: dict[str, _Entry] = {}  # rendered by this regeneration, stamped once written
        self._shared: dict[int, tuple[object, bytes]] = {}  # by id(): this regeneration's reviews and actions
        self._dispatch = {**_BY_VALUE, **{kind: self._reduce_shared for kind in _SHARED}}
        # This regeneration's digest of each review's content (its page's inputs but its related lessons), by
        # review id: its Word report is made from them, so the report is kept when it is alike.
        self.contents: dict[str, bytes] = {}
        # Values computed from the whole knowledge base (every review's related lessons), by name: the digest
        # of what they were computed from, and the value.
        self._values: dict[str, tuple[bytes, Any]] = {}
        # Parts of pages (a chart's SVG, a table) by their inputs: the last regeneration's, and this one's.
        self._fragments: dict[bytes, str] = {}
        self._fragments_now: dict[bytes, str] = {}
        # The last regeneration's site_wide(): its digest and the digests of each review's own part; and this
        # regeneration's, remembered once it is written.
        self._site: tuple[bytes, dict[str, bytes]] | None = None
        self._site_now: tuple[bytes, dict[str, bytes]] | None = None
        self._only_own = False  # this regeneration keeps every file but the pages and reports of some reviews
        self._files: frozenset[str] = frozenset()  # the last regeneration's files
        # This regeneration's digest of each team's reviews (team_source), and the sources its files gave.
        self._teams: dict[str, bytes] = {}
        self._figureless = b""  # see figures_aside
        self._sources: dict[str, tuple[bytes, bytes]] = {}
        # Each team's view by its name, with what it was made from and what pages made of it (see team_views,
        # of_view): the last regeneration's, and this one's.
        self._views: dict[str, tuple[bytes, TeamView, dict[str, Any]]] = {}
        self._views_now: dict[str, tuple[bytes, TeamView, dict[str, Any]]] = {}

    def fragment(self, inputs: object, make: Callable[[], str]) -> str:
        """make(), or what it made from the same `inputs` in the last regeneration or this one."""
        key = self.digest(inputs)
        made = self._fragments_now.get(key)
        if made is None:
            made = self._fragments.get(key)
            self._fragments_now[key] = made = make() if made is None else made
        return made

    def value(self, name: str, inputs: object, make: Callable[[], T]) -> T:
        """make(), or what it made last time when `inputs` digest alike: for a value that takes long to make
        and whose inputs are few (every review's related lessons, from what the related index reads)."""
        key = self.digest(inputs)
        kept = self._values.get(name)
        if kept is not None and kept[0] == key:
            return cast(T, kept[1])
        made = make()
        self._values[name] = (key, made)
        return made

    def digest(self, inputs: object) -> bytes:
        """digest(inputs), each review and action in them by its own digest."""
        return digest(inputs, self._dispatch)

    def _reduce_shared(self, value: object) -> tuple[Callable[[bytes], None], tuple[bytes]]:
        return _stands_for, (self._shared_digest(value),)

    def _shared_digest(self, value: object) -> bytes:
        """The digest of a review, an action or a team's view (_SHARED), made once per regeneration."""
        known = self._shared.get(id(value))
        if known is None or known[0] is not value:
            known = (
                value,
                self.digest([type(value).__name__, *(getattr(value, name) for name in _SHARED[type(value)])]),
            )
            self._shared[id(value)] = known
        return known[1]

    def follow_up_shown(self, follow_up: FollowUp) -> object:
        """A follow-up as a page or a report shows it, to digest: the earlier reviews by their id, title and
        day held, not whole. A whole review would make every later page and report of its team render again
        when anything in it changed, its objective say, which they do not show."""
        previous = follow_up.previous
        groups = []
        for source, rows in follow_up.groups:
            # Each row as 17 bytes, its action's digest and its state's code, joined (no row's verdict but in
            # `verdicts`): a follow-up holds every open action of the team, and its rows pickled one by one,
            # each action through _reduce_shared, took a third longer (0.09 s of a save at 1,000 reviews).
            states = b"".join(self._shared_digest(row.action) + _STATE_CODE[row.state] for row in rows)
            verdicts = [(number, row.verification) for number, row in enumerate(rows) if row.verification is not None]
            groups.append(((source.id, source.title, source.held_on), states, verdicts))
        return ((previous.id, previous.title) if previous is not None else None, groups, follow_up.decided)

    def begin(self, folder: Path, setting: object) -> None:
        """Start a regeneration into `folder`, given what every file depends on (the configuration, the day)."""
        key = digest((str(folder), setting))
        if key != self._setting:
            self._entries.clear()
            self._fragments.clear()
            self._values.clear()
            self._views.clear()
            self._site = None
        self._setting, self._folder, self._rendered, self._shared = key, folder, {}, {}
        self.contents = {}
        self._fragments_now = {}
        self._site_now, self._only_own = None, False
        self._teams, self._sources, self._views_now, self._figureless = {}, {}, {}, b""

    def changed_reviews(self, analysis: Analysis) -> frozenset[str] | None:
        """The reviews whose own part alone changed since the last regeneration (see OWN_FIELDS), when
        nothing else did and every file is on disk as it was written; else None: any file may change."""
        inputs, own, whole, figureless = site_wide(analysis)
        # Each review digested once a regeneration, here rather than again as the pages' inputs (0.2 s of a
        # figure's save at 1,000 reviews).
        for review, key in zip(analysis.knowledge_base.reviews, whole, strict=True):
            self._shared[id(review)] = (review, key)
        beside = self.digest(inputs[1])
        self._teams = {
            team: digest((team, b"".join(self._shared[id(review)][1] for review in reviews), beside))
            for team, reviews in by_team(analysis.knowledge_base.reviews).items()
        }
        self._figureless = digest((b"".join(figureless), beside))
        self._site_now = (self.digest(inputs), own)
        if self._site is None or self._site[0] != self._site_now[0] or self._folder is None:
            return None
        if any(_stamp(self._folder / name) != entry.stamp for name, entry in self._entries.items()):
            return None  # written since (a `build` beside `serve`): the full regeneration sets it right
        known = self._site[1]
        return frozenset(review for review, key in own.items() if known.get(review) != key)

    def team_source(self, team: str) -> bytes:
        """A digest of everything of `team`'s reviews, in meeting order, and of what every file reads besides
        the reviews (git's history, the reading's notices): what the closed loop, the follow-ups and the
        metrics' comparisons of a review read, which never cross its team (engine/loop.py)."""
        return self._teams[team]

    def figures_aside(self, verdicts: object) -> bytes:
        """A digest of everything of the reviews but their figures (FIGURE_FIELDS), of what every file reads
        besides the reviews, and of `verdicts`: the source (see sourced) of a file that reads the figures
        only through the closed loop's verdicts, given as `verdicts` (the action tracker, the playbook). A
        figure's save that decides no verdict anew keeps such a file without working out its inputs."""
        return digest((self._figureless, verdicts))

    def team_views(self, slugs: Mapping[str, str], make: Callable[[set[str]], list[TeamView]]) -> list[TeamView]:
        """Every team's view, by name (`slugs`: each team's slug): the last regeneration's where its team's
        reviews (team_source) and its slug are as they were, which are all a view is made from besides the
        memo's setting (engine/teams.team_views); the others made by `make`, given their names. A figure's
        save makes its team's view alone (0.3 s of a save at 1,000 reviews for all of them), and the pages
        that show the views digest each as what it was made from, not its frames again."""
        keys = {name: digest((TeamView.__name__, self._teams[name], slug)) for name, slug in slugs.items()}
        kept = {name: entry for name, entry in self._views.items() if keys.get(name) == entry[0]}
        made = {view.name: view for view in make(set(keys) - set(kept))} if len(kept) < len(keys) else {}
        self._views_now = {name: kept[name] if name in kept else (keys[name], made[name], {}) for name in sorted(keys)}
        for key, view, _ in self._views_now.values():
            self._shared[id(view)] = (view, key)
        return [view for _, view, _ in self._views_now.values()]

    def of_view(self, view: TeamView, name: str, make: Callable[[], T]) -> T:
        """make(), or what it made for the same team's view (as team_views gave it) this regeneration or the
        last one: a page's part that shows the view alone, besides the memo's setting (the metrics page's
        section of a team)."""
        made = self._views_now[view.name][2]
        if name not in made:
            made[name] = make()
        return cast(T, made[name])

    def kept_from(self, name: str, source: bytes, lookup: Callable[[Any], Any]) -> bytes | None:
        """The content digest the file `name` was sourced() with (empty when none was given), when it was from
        the same `source`, its lookups answer alike and it is on disk as written; else None. A file kept so is
        kept without working out its inputs."""
        entry = self._entries.get(name)
        if entry is None or entry.source is None or entry.source != source:
            return None
        if any(lookup(key) != answer for key, answer in entry.lookups):
            return None
        if self._folder is None or entry.stamp is None or _stamp(self._folder / name) != entry.stamp:
            return None
        return entry.content

    def sourced(self, name: str, source: bytes, content: bytes = b"") -> None:
        """The file `name`, kept or rendered in this regeneration, had its inputs worked out from `source`
        alone (a digest of everything they read) and, for a review's page, its content digested as `content`."""
        self._sources[name] = (source, content)

    def kept_files(self, fresh: Iterable[str]) -> dict[str, Content] | None:
        """Every file of the last regeneration as KEPT, for a regeneration that keeps them all but those it
        makes again (their names in `fresh`, and the pages and reports of changed_reviews(), which replace
        their KEPT); None when one of them was written without the memo (it would be removed as stale)."""
        if set(self._files) - set(self._entries) - set(fresh):
            return None
        self._only_own = True
        return dict.fromkeys(self._entries, KEPT)

    def kept(self, name: str, inputs: bytes, lookup: Callable[[Any], Any]) -> bool:
        """True when the file `name`, rendered from `inputs`, is on disk as the last regeneration wrote it."""
        entry = self._entries.get(name)
        if entry is None or entry.inputs != inputs or self._folder is None:
            return False
        if any(lookup(key) != answer for key, answer in entry.lookups):
            return False
        return entry.stamp is not None and _stamp(self._folder / name) == entry.stamp

    def rendered(self, name: str, inputs: bytes, lookups: Iterable[tuple[Any, Any]] = ()) -> None:
        """`name` was rendered from `inputs`; it is kept next time once `written` has seen it on disk."""
        self._rendered[name] = _Entry(inputs, tuple(lookups))

    def written(self, files: Mapping[str, Content]) -> None:
        """The regeneration's files are on disk: remember the rendered ones as written, forget the others."""
        assert self._folder is not None, "begin() first"
        entries = {name: entry for name, entry in self._entries.items() if files.get(name) is KEPT}
        for name, entry in self._rendered.items():
            if name in files:
                entries[name] = _Entry(entry.inputs, entry.lookups, _stamp(self._folder / name))
        for name, (source, content) in self._sources.items():
            if name in entries:
                entries[name] = replace(entries[name], source=source, content=content)
        self._entries, self._rendered, self._shared, self._sources = entries, {}, {}, {}
        self._files, self._site = frozenset(files), self._site_now
        if not self._only_own:  # else this regeneration drew none of the charts the site-wide pages show
            self._fragments, self._views = self._fragments_now, self._views_now
        self._fragments_now = {}
