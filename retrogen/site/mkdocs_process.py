"""MkDocs' build of the generated pages, in a process of its own (`build` runs it: site/build.run_mkdocs).

    python -m retrogen.site.mkdocs_process MKDOCS_YML SITE_DIR [--strict]

Run in the process that had just made the pages, MkDocs took longer than on its own, and the more so the larger
the site: at 10,000 reviews, side by side, 1,500 s of CPU against 1,261 s for a bare `mkdocs build` of the same
pages (3,000 reviews: 250 s against 237 s), while a process of its own builds them in the bare build's time.
What MkDocs logs at WARNING or above is written to stdout, a JSON object a line, for the calling process to log
again; a build MkDocs refuses (MkDocsException, a warning under `--strict`) ends with one {"error": ...} line
and exit code 1."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TextIO


class _Forwarded(logging.Handler):
    """Each record as a line of JSON on `stream`, with its logger's name, level and message."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.WARNING)
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        line = {"logger": record.name, "level": record.levelno, "message": record.getMessage()}
        self.stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.stream.flush()


def main(argv: list[str]) -> int:
    from retrogen.core.errors import BuildError
    from retrogen.gate.config import load_config
    from retrogen.site.build import build_with_mkdocs

    config_file, site_dir, *options = argv
    logging.getLogger("mkdocs").addHandler(_Forwarded(sys.stdout))
    try:
        build_with_mkdocs(load_config(Path(config_file)), Path(site_dir), strict="--strict" in options)
    except BuildError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
