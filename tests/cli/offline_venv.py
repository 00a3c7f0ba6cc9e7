"""A fresh virtual environment with retrogen's wheel and no index: the dependencies come from this
interpreter's installed distributions, each packed back into a wheel (pip cannot download offline, and
`pip wheel` would need their sources), so pip resolves retrogen's declared requirements for real."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# What pip writes on install, not part of a wheel; RECORD is written anew.
_INSTALL_ONLY = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def installed_closure(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions that `names` need, by canonical name, following their requirements as
    pip would on this interpreter (markers evaluated, no extras)."""
    environment = {**default_environment(), "extra": ""}
    found: dict[str, metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        found[name] = metadata.distribution(name)
        for line in found[name].requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                pending.append(requirement.name)
    return found


def _wheel_name(distribution: metadata.Distribution) -> str:
    tags = [
        line.split(":", 1)[1].strip()
        for line in (distribution.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    if not tags:
        raise RuntimeError(f"{distribution.metadata['Name']} was not installed from a wheel (no WHEEL tags)")
    parts = [sorted({tag.split("-")[i] for tag in tags}) for i in range(3)]
    name = re.sub(r"[-_.]+", "_", distribution.metadata["Name"]).lower()
    return f"{name}-{distribution.version}-{'-'.join('.'.join(p) for p in parts)}.whl"


def repack(distribution: metadata.Distribution, folder: Path) -> Path:
    """The installed distribution as a wheel in `folder`: its files inside site-packages, its metadata, a new
    RECORD. Scripts outside site-packages are left out: pip writes console scripts from entry_points.txt."""
    target = folder / _wheel_name(distribution)
    records = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as wheel:
        info = None
        for file in distribution.files or []:
            posix = file.as_posix()
            if posix.startswith("..") or "__pycache__" in posix or posix.endswith(".pyc"):
                continue
            if file.parent.name.endswith(".dist-info"):
                info = file.parent.as_posix()
                if file.name in _INSTALL_ONLY:
                    continue
            data = Path(str(file.locate())).read_bytes()
            wheel.writestr(posix, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{posix},sha256={digest},{len(data)}")
        if info is None:
            raise RuntimeError(f"{distribution.metadata['Name']} lists no .dist-info files")
        wheel.writestr(f"{info}/RECORD", "\n".join([*records, f"{info}/RECORD,,"]) + "\n")
    return target


def offline_venv(folder: Path, wheel: Path, extra: list[str]) -> Path:
    """A fresh venv in `folder` (no system site-packages) with `wheel` and the installed distributions
    `extra` (e.g. pre-commit), installed with pip from a local wheelhouse only; returns its bin folder."""
    requirements = [canonicalize_name(line) for line in _requirement_names(wheel)]
    house = folder / "wheelhouse"
    house.mkdir(parents=True)
    for name, distribution in installed_closure([*requirements, *extra]).items():
        if name != "retrogen":
            repack(distribution, house)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # the running interpreter's pip installs into the venv (no pip inside it, no network)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-index",
            "--no-compile",
            "--disable-pip-version-check",
            "-q",
            "--find-links",
            str(house),
            str(wheel),
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return venv / "bin"


def _requirement_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(name).decode().splitlines()
    environment = {**default_environment(), "extra": ""}
    names = []
    for line in lines:
        if line.startswith("Requires-Dist:"):
            requirement = Requirement(line.split(":", 1)[1].strip())
            if requirement.marker is None or requirement.marker.evaluate(environment):
                names.append(requirement.name)
    return names
