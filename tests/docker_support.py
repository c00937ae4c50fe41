"""Docker for the container tests: a client that can use BuildKit, a running
daemon, and a local stand-in for the official slim Python base image.

Docker Hub cannot be reached from the test machines, so the base is a Debian
bookworm root filesystem made with debootstrap (Python 3.11, venv and CA
certificates, like the slim image) and loaded with `docker import`. It is
built once and kept as an image, so later runs reuse it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

STAND_IN = "hardened-ds-template/python-stand-in:3.11"
DEBIAN_MIRROR = "http://deb.debian.org/debian"


def _ok(*command: str) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def buildkit_client() -> str | None:
    """A docker client that builds with BuildKit: with buildx, or older than 23."""
    candidates = [shutil.which("docker"), "/usr/bin/docker"]
    for client in dict.fromkeys(c for c in candidates if c and Path(c).exists()):
        if _ok(client, "buildx", "version"):
            return client
        version = subprocess.run(
            [client, "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if version and int(version.split(".")[0]) < 23:
            return client  # BuildKit is built into the classic `docker build`
    return None


def daemon_running(client: str) -> bool:
    return _ok(client, "info")


def stand_in_base(client: str) -> str:
    """Return the stand-in base image, building it with debootstrap if missing."""
    if _ok(client, "image", "inspect", STAND_IN):
        return STAND_IN
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed; it builds the stand-in base image")
    with tempfile.TemporaryDirectory(prefix="stand-in-") as tmp:
        root = Path(tmp) / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                "bookworm",
                str(root),
                DEBIAN_MIRROR,
            ],
            check=True,
            capture_output=True,
        )
        with subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE) as tar:
            subprocess.run(
                [client, "import", "-", STAND_IN],
                stdin=tar.stdout,
                check=True,
                capture_output=True,
            )
    return STAND_IN
