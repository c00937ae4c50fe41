"""A real PostgreSQL server for the tests: Debian's binaries, a throwaway cluster.

The cluster lives in a temporary folder, listens on a Unix socket there and on
a free loopback port, and requires a password over TCP (scram-sha-256), so a
generated project reaches it through an ordinary ``postgresql://`` URL with
credentials. PostgreSQL refuses to run as root: as root, every command runs
as the ``postgres`` user the Debian package creates.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"


def binaries() -> Path | None:
    """The folder of the newest installed PostgreSQL's server programs, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    bin: Path
    folder: Path
    port: int
    as_user: tuple[str, ...]

    def run(self, *command: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [*self.as_user, *command],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def sql(self, statement: str) -> None:
        """Run ``statement`` as the superuser, over the Unix socket."""
        self.run(
            str(self.bin / "psql"),
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            f"--host={self.folder}",
            f"--port={self.port}",
            f"--username={SUPERUSER}",
            "--dbname=postgres",
            stdin=statement,
        )

    def new_database(self, name: str) -> str:
        """A fresh database with its own owner; return its URL (password included)."""
        password = secrets.token_urlsafe(18)
        self.sql(
            f"CREATE ROLE {name} LOGIN PASSWORD '{password}';\n"
            f"CREATE DATABASE {name} OWNER {name};\n"
        )
        return f"postgresql://{name}:{password}@127.0.0.1:{self.port}/{name}"


@contextmanager
def postgres() -> Iterator[Server]:
    """Start a cluster; stop it and delete every file of it afterwards."""
    folder_bin = binaries()
    if folder_bin is None:
        raise FileNotFoundError("PostgreSQL's initdb is not installed (Debian: postgresql)")
    as_user: tuple[str, ...] = ()
    # /tmp, not pytest's tmp_path: the postgres user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SUPERUSER, SUPERUSER)
        as_user = ("runuser", "-u", SUPERUSER, "--")
    server = Server(folder_bin, folder, free_port(), as_user)
    data = folder / "data"
    try:
        server.run(
            str(folder_bin / "initdb"),
            f"--pgdata={data}",
            f"--username={SUPERUSER}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} "
            "-c fsync=off -c full_page_writes=off"
        )
        server.run(
            str(folder_bin / "pg_ctl"),
            f"--pgdata={data}",
            f"--log={folder / 'server.log'}",
            f"--options={options}",
            "--wait",
            "start",
        )
        try:
            yield server
        finally:
            server.run(str(folder_bin / "pg_ctl"), f"--pgdata={data}", "--mode=immediate", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
