"""`retrogen serve`: the site with live reload.

One watcher, one build loop: MkDocs' live-reload server watches the knowledge base's inputs (the reviews,
mkdocs.yml, the schema copy, the roster and the theme overrides), and its builder regenerates the pages and
then rebuilds with MkDocs. Only pages whose inputs changed are rendered again (site/memo.py) and only pages
whose content changed are rewritten, and MkDocs' dirty build renders only those, so one edit costs little; a
page added or removed gets a clean build, so nothing stale stays served. Two plugins of serve's own go with
MkDocs': site/blocks.py converts each chart and table once, site/dirty.py keeps a dirty build's search index
and tags whole. The generated pages are not watched:
they change only when the builder writes them, and watching them would turn every regeneration into the next
one. MkDocs serves from a temporary folder of its own: serving never writes into site_dir."""

from __future__ import annotations

import errno
import gc
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2

from retrogen.core.errors import BuildError, ConfigError
from retrogen.formats.render import CompiledTemplates
from retrogen.gate.config import Config, load_config
from retrogen.site.blocks import KeptBlocks
from retrogen.site.build import BuildReport, generate, load_mkdocs_config, quiet_toolchain
from retrogen.site.dirty import WholeDirtyBuilds
from retrogen.site.memo import PageMemo
from retrogen.site.output import check_places, exclusive

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer


@dataclass(frozen=True)
class Regeneration:
    """What one save led to: the check and the pages written (or the configuration error that stopped it),
    and how long it took."""

    report: BuildReport | None
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.report is not None and self.report.ok

    @property
    def changed(self) -> int:
        """Pages written or removed: zero means the save changed nothing the site shows."""
        pages = self.report.pages if self.report is not None else None
        return len(pages.written) + len(pages.removed) if pages is not None else 0


def theme_overrides(config: Config) -> Path | None:
    theme = config.mkdocs.get("theme")
    custom_dir = theme.get("custom_dir") if isinstance(theme, dict) else None
    return config.root / custom_dir if isinstance(custom_dir, str) else None


def watched_inputs(config: Config) -> list[Path]:
    """What the site is made from. The generated pages and the site are not watched: the builder writes them,
    and watching them would turn each regeneration into the next."""
    people = config.settings.people
    candidates = [config.reviews_dir, config.config_file, config.schema_copy.parent, theme_overrides(config)]
    if isinstance(people, str):
        candidates.append(config.root / people)
    return [path for path in candidates if path is not None and path.exists()]


def site_stamp(config: Config) -> frozenset[tuple[str, int, int]]:
    """The state of what MkDocs reads besides the pages (mkdocs.yml and the theme overrides): a change of it
    needs a new build even when no page changed."""
    overrides = theme_overrides(config)
    files = [config.config_file]
    if overrides is not None and overrides.is_dir():
        files += [path for path in overrides.rglob("*") if path.is_file()]
    stamps = set()
    for path in files:
        try:
            stat = path.stat()
        except OSError:  # removed between the listing and now
            continue
        stamps.add((str(path), stat.st_mtime_ns, stat.st_size))
    return frozenset(stamps)


class Regenerator:
    """Regenerates the pages before each MkDocs build. A failed check keeps the last good pages; a changed
    mkdocs.yml or roster is read again before the pages are."""

    def __init__(self, config: Config, today: date, *, use_git: bool) -> None:
        self.config, self.today, self.use_git = config, today, use_git
        self.memo = PageMemo()  # the pages of the last regeneration: those whose inputs are unchanged are kept

    def regenerate(self) -> Regeneration:
        start = time.monotonic()
        try:
            # Read on every regeneration: an edited mkdocs.yml or roster changes the pages.
            self.config = load_config(self.config.config_file)
            # One process: forking worker processes from a server full of threads is how processes
            # deadlock or outlive the server.
            with exclusive(self.config.generated_dir):  # a `build` running beside it writes the same pages
                report = generate(self.config, self.today, use_git=self.use_git, jobs=1, memo=self.memo)
        except (ConfigError, BuildError) as exc:
            return Regeneration(None, time.monotonic() - start, str(exc))
        return Regeneration(report, time.monotonic() - start)


def address_error(dev_addr: str, exc: OSError) -> ConfigError:
    reason = "address in use" if exc.errno == errno.EADDRINUSE else f"cannot listen there ({exc.strerror})"
    return ConfigError(f"{dev_addr}: {reason}; choose another with -a, e.g. -a 127.0.0.1:8001")


def check_address(dev_addr: str) -> None:
    """Refuse an address the server could not listen on now, before the first build rather than after it."""
    from mkdocs.config.base import ValidationError
    from mkdocs.config.config_options import IpAddress

    try:
        host, port = IpAddress().run_validation(dev_addr)
    except ValidationError as exc:
        raise ConfigError(f"{dev_addr}: {exc}; write -a IP:PORT, e.g. -a 127.0.0.1:8001") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise address_error(dev_addr, exc) from None


# How long after a rebuild the server collects what it left: once the browser has reloaded the page, which
# the collection would hold up (it holds the interpreter for 0.4 s at 1,000 reviews).
COLLECT_DELAY_SECONDS = 2.0


# The delayed collection not yet run (at most one): a block that starts before it runs cancels it.
_pending_collection: list[threading.Timer] = []


@contextmanager
def collecting_after(delay: float = 0.0) -> Iterator[None]:
    """Python's cycle collector paused for the block and run once after it (`delay` seconds after it, in a
    thread of its own). A regeneration builds an analysis as large as the one it replaces, and the collector,
    which runs as the heap grows, went through the whole heap several times during one (1.7 s of 6.7 s of CPU
    at 1,000 reviews); once after it costs 0.4 s. A delayed collection still pending when the next block
    starts is cancelled, not run in the middle of it (it held up a save made within its delay, 0.5 s of the
    next regeneration at 1,000 reviews): the block's own collection comes after it."""
    while _pending_collection:
        _pending_collection.pop().cancel()
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        if delay > 0:
            collector = threading.Timer(delay, gc.collect)
            collector.daemon = True
            collector.start()
            _pending_collection.append(collector)
        else:
            gc.collect()


def keep_compiled(mkdocs_config: MkDocsConfig, templates: CompiledTemplates) -> None:
    """Make the theme's environments of every build of `mkdocs_config` use `templates`. MkDocs makes a new
    Jinja environment for each build, which compiled Material's templates again on every save (0.8 s of a
    one-page build)."""
    theme = mkdocs_config.theme
    make_environment = theme.get_env
    listed: dict[object, list[str]] = {}

    def environment() -> jinja2.Environment:
        made = make_environment()
        made.bytecode_cache = templates
        # The theme's files, listed and filtered once per configuration: MkDocs does it on every build (0.3 s of
        # a one-page build at 1,000 reviews), with the same filter (its code, over this configuration), and
        # they change only with the theme overrides, whose change reads mkdocs.yml again (SiteServer.build).
        list_templates = made.list_templates

        def listing(extensions: Any = None, filter_func: Any = None) -> list[str]:
            key = (None if extensions is None else tuple(extensions), getattr(filter_func, "__code__", filter_func))
            if key not in listed:
                listed[key] = list_templates(extensions, filter_func)
            return list(listed[key])

        made.list_templates = listing  # type: ignore[method-assign]
        return made

    theme.get_env = environment  # type: ignore[method-assign]


class _NoDirtyWarning(logging.Filter):
    """MkDocs warns on every dirty build that navigation may be inaccurate. It is not here: a page added or
    removed, the only change that alters navigation, gets a clean build."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build")


@contextmanager
def _without_dirty_warning() -> Iterator[None]:
    logger, warning_filter = logging.getLogger("mkdocs.commands.build"), _NoDirtyWarning()
    logger.addFilter(warning_filter)
    try:
        yield
    finally:
        logger.removeFilter(warning_filter)


def serve_url(mkdocs_config: MkDocsConfig) -> str:
    host, port = mkdocs_config.dev_addr
    mount_path = ("/" + urlsplit(mkdocs_config.site_url or "/").path.lstrip("/")).rstrip("/") + "/"
    return f"http://{host}:{port}{mount_path}"


def announce_when_listening(server: LiveReloadServer, announce: Callable[[], None]) -> None:
    """Make `server` call `announce` once it listens and watches, as its thread starts serving requests.
    Announced before `serve()`, as it was, "Serving on" came before the watcher's first look at the inputs:
    a save made just after it (or during a slow start on a loaded machine) was part of that first look,
    changed nothing the watcher knew of, and was never shown."""
    shutdown_delay = server.shutdown_delay

    def serve_forever() -> None:
        announce()
        server.serve_forever(shutdown_delay)

    server.serve_thread = threading.Thread(target=serve_forever, name="retrogen-serve")


# The name of serve's own plugin among MkDocs' (site/blocks.py).
KEPT_BLOCKS = "retrogen-kept-blocks"
WHOLE_DIRTY_BUILDS = "retrogen-whole-dirty-builds"  # site/dirty.py


class SiteServer:
    """MkDocs' live-reload server, with a builder that regenerates the pages first."""

    def __init__(
        self, regenerator: Regenerator, site_dir: str, dev_addr: str | None, notify: Callable[[Regeneration], None]
    ) -> None:
        self.regenerator, self.site_dir, self.dev_addr, self.notify = regenerator, site_dir, dev_addr, notify
        self.templates = CompiledTemplates()
        self.blocks = KeptBlocks()  # each chart and table converted once, kept across the builds
        self.whole = WholeDirtyBuilds()  # a dirty build's search index and tags of every page
        self.mkdocs_config = self.load_mkdocs_config()
        self.url = serve_url(self.mkdocs_config)
        self.site_inputs = site_stamp(regenerator.config)

    def load_mkdocs_config(self) -> MkDocsConfig:
        options = {"dev_addr": self.dev_addr} if self.dev_addr else {}
        mkdocs_config = load_mkdocs_config(self.regenerator.config, self.site_dir, **options)
        keep_compiled(mkdocs_config, self.templates)
        mkdocs_config.plugins[KEPT_BLOCKS] = self.blocks
        mkdocs_config.plugins[WHOLE_DIRTY_BUILDS] = self.whole
        return mkdocs_config

    def build(self, *, clean: bool) -> None:
        from mkdocs.commands.build import build

        if clean:  # MkDocs reads mkdocs.yml again, as its own serve does when it changes
            self.mkdocs_config = self.load_mkdocs_config()
            self.mkdocs_config.site_url = self.url
        self.whole.dirty = not clean
        build(self.mkdocs_config, serve_url=self.url, dirty=not clean)

    def rebuild(self) -> None:
        """The builder MkDocs' server calls after a change of a watched input."""
        with collecting_after(COLLECT_DELAY_SECONDS):
            self._rebuild()

    def _rebuild(self) -> None:
        regeneration = self.regenerator.regenerate()
        if regeneration.changed or not regeneration.ok:
            self.notify(regeneration)  # a save that changes nothing the site shows says nothing
        pages = regeneration.report.pages if regeneration.report is not None else None
        if pages is None:
            return  # the last good site stays up
        site_inputs, self.site_inputs = self.site_inputs, site_stamp(self.regenerator.config)
        if pages.added or pages.removed or site_inputs != self.site_inputs:
            self.build(clean=True)  # navigation, search or the theme changed
        elif pages.written:
            self.build(clean=False)

    def serve(self, on_ready: Callable[[str], None]) -> None:
        from mkdocs.livereload import LiveReloadServer

        self.mkdocs_config.site_url = self.url
        self.mkdocs_config.plugins.on_startup(command="serve", dirty=True)
        host, port = self.mkdocs_config.dev_addr
        server = LiveReloadServer(
            builder=self.rebuild, host=host, port=port, root=self.site_dir, mount_path=urlsplit(self.url).path
        )
        server.error_handler = self.error_page
        try:
            self.build(clean=True)
            for path in watched_inputs(self.regenerator.config):
                server.watch(str(path))
            server = self.mkdocs_config.plugins.on_serve(server, config=self.mkdocs_config, builder=self.rebuild)
            announce_when_listening(server, lambda: on_ready(self.url))
            try:
                server.serve()  # type: ignore[no-untyped-call]
            except KeyboardInterrupt:
                pass
            finally:
                server.shutdown()
        finally:
            self.mkdocs_config.plugins.on_shutdown()

    def error_page(self, code: int) -> bytes | None:
        page = Path(self.site_dir) / f"{code}.html"
        return page.read_bytes() if code in (404, 500) and page.is_file() else None


def serve_site(
    config: Config,
    today: date,
    dev_addr: str | None,
    notify: Callable[[Regeneration], None],
    on_ready: Callable[[str], None],
    *,
    use_git: bool,
    allow_outside: bool = False,
) -> None:
    """Generate, then serve until interrupted; raises BuildError when there is no good site to show and
    ConfigError when the address cannot be served."""
    check_places(config, None, allow_outside=allow_outside)
    if dev_addr:
        check_address(dev_addr)
    quiet_toolchain()
    regenerator = Regenerator(config, today, use_git=use_git)
    with collecting_after():
        first = regenerator.regenerate()
    notify(first)
    if not first.ok and not (config.generated_dir / "index.md").is_file():
        raise BuildError("no site to serve: fix the errors above")
    site_dir = tempfile.mkdtemp(prefix="retrogen-serve-")
    try:
        with _without_dirty_warning():
            SiteServer(regenerator, site_dir, dev_addr, notify).serve(on_ready)
    except OSError as exc:  # taken between the check above and the server's start, or not checked (no -a)
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
            raise
        raise address_error(dev_addr or "the address (dev_addr in mkdocs.yml, default 127.0.0.1:8000)", exc) from None
    finally:
        shutil.rmtree(site_dir, ignore_errors=True)
