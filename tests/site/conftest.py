from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from retrogen.gate.config import load_config
from retrogen.site.build import build_site

from ..conftest import EXAMPLES, copy_knowledge_base

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture knowledge base plus the attack review, built once for the whole session."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    root = tmp_path_factory.mktemp("kb")
    copy_knowledge_base(root)
    shutil.copy(EXAMPLES / "attack" / "attack-review.yaml", root / "reviews" / "attack-review.yaml")
    report = build_site(load_config(root / "mkdocs.yml"), TODAY, use_git=False, strict=True)
    assert report.ok and report.site_dir is not None
    return report.site_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
