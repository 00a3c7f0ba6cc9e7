"""`retrogen serve`: the site with live reload. A review edit regenerates the pages; only files whose
content changed are rewritten, and MkDocs' dirty reload rebuilds only those, so one edit costs little.
MkDocs serves from a temporary folder of its own: serving never writes into site_dir."""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from retrogen.config import Config
from retrogen.errors import BuildError, ConfigError
from retrogen.site.build import BuildReport, generate, quiet_toolchain
from retrogen.site.output import check_places

DEBOUNCE_SECONDS = 0.3


class Regenerator(FileSystemEventHandler):
    """Regenerates the pages after changes under reviews/, once per burst of events (editors save in
    several steps). A failed check keeps the last good pages and tells `notify`."""

    def __init__(self, config: Config, today: date, use_git: bool, notify: Callable[[BuildReport], None]) -> None:
        self.config, self.today, self.use_git, self.notify = config, today, use_git, notify
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def regenerate(self) -> BuildReport:
        with self._lock:
            # One process: forking worker processes from a server full of threads is how processes
            # deadlock or outlive the server.
            report = generate(self.config, self.today, self.use_git, jobs=1)
        self.notify(report)
        return report

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = str(event.src_path)
        if event.is_directory or not path.endswith((".yaml", ".yml")):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(DEBOUNCE_SECONDS, self.regenerate)
        self._timer.daemon = True
        self._timer.start()


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


def serve_site(config: Config, today: date, dev_addr: str | None, use_git: bool,
               notify: Callable[[BuildReport], None], allow_outside: bool = False) -> None:
    """Generate, then serve until interrupted; raises BuildError when there is no good site to show and
    ConfigError when the address cannot be served."""
    check_places(config, None, allow_outside)
    if dev_addr:
        check_address(dev_addr)
    regenerator = Regenerator(config, today, use_git, notify)
    if not regenerator.regenerate().ok and not (config.generated_dir / "index.md").is_file():
        raise BuildError("no site to serve: fix the errors above")
    observer = Observer()
    observer.schedule(regenerator, str(config.reviews_dir), recursive=True)
    observer.start()
    try:
        from mkdocs.commands.serve import serve

        quiet_toolchain()
        # docs_dir given explicitly: without it in mkdocs.yml MkDocs would serve docs/, not what retrogen wrote.
        options: dict[str, Any] = {"docs_dir": str(config.generated_dir)}
        if dev_addr:
            options["dev_addr"] = dev_addr
        # livereload passed explicitly: MkDocs 1.6 with Click 8.2+ turns it off by default.
        serve(config_file=str(config.config_file), livereload=True, build_type="dirty", **options)
    except OSError as exc:  # taken between the check above and the server's start, or not checked (no -a)
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
            raise
        raise address_error(dev_addr or "the address (dev_addr in mkdocs.yml, default 127.0.0.1:8000)",
                            exc) from None
    finally:
        observer.stop()
        observer.join()
