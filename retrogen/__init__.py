"""retrogen: after-action reviews (复盘) kept in git, checked, measured and published."""

from __future__ import annotations

__version__ = "0.1.0"
