"""A real PostgreSQL server for the tests: Debian's binaries, a throwaway cluster.

The cluster lives in a temporary folder, listens on a Unix socket there and on
a free loopback port, and requires a password over TCP (scram-sha-256), so a
generated project reaches it through an ordinary ``postgresql://`` URL with
credentials. TLS is on (``ssl=on``), with a certificate for ``localhost``
from a throwaway CA (trustme) made when the cluster starts: a client that
trusts ``Server.ca`` can connect with ``sslmode=verify-full``; every
connection is logged, with whether it used TLS. PostgreSQL refuses to run as
root: as root, every command runs as the ``postgres`` user the Debian package
creates.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

SUPERUSER = "postgres"
# The name the server's first certificate is issued for.
TLS_HOST = "localhost"


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
    ca: trustme.CA

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

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

    def query(self, statement: str) -> str:
        """The one value ``statement`` returns, as the superuser over the Unix socket."""
        return self.run(
            str(self.bin / "psql"),
            "--no-psqlrc",
            "--no-align",
            "--tuples-only",
            f"--host={self.folder}",
            f"--port={self.port}",
            f"--username={SUPERUSER}",
            "--dbname=postgres",
            f"--command={statement}",
        ).strip()

    def write_certificate(self, certificate: trustme.LeafCert) -> None:
        """Put ``certificate`` and its key where postgresql.conf names them, the
        key readable by the server's user alone (PostgreSQL refuses it otherwise)."""
        for name, pem in [
            ("server.crt", b"".join(blob.bytes() for blob in certificate.cert_chain_pems)),
            ("server.key", certificate.private_key_pem.bytes()),
        ]:
            path = self.folder / name
            path.unlink(missing_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(pem)
            if self.as_user:
                shutil.chown(path, SUPERUSER, SUPERUSER)

    def use_certificate(self, certificate: trustme.LeafCert) -> None:
        """Serve ``certificate`` from the next connection on: PostgreSQL reloads
        its TLS files with its configuration; wait until new sessions see that."""
        self.write_certificate(certificate)
        loaded = self.query("SELECT pg_conf_load_time()")
        self.run(str(self.bin / "pg_ctl"), f"--pgdata={self.folder / 'data'}", "reload")
        deadline = time.monotonic() + 30
        while self.query("SELECT pg_conf_load_time()") == loaded:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not reload its configuration:\n{self.log}")
            time.sleep(0.05)

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
    ca = trustme.CA()
    server = Server(folder_bin, folder, free_port(), as_user, ca)
    server.write_certificate(ca.issue_cert(TLS_HOST))
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
            "-c fsync=off -c full_page_writes=off "
            f"-c ssl=on -c ssl_cert_file={folder / 'server.crt'} "
            f"-c ssl_key_file={folder / 'server.key'} -c log_connections=on"
        )
        server.run(
            str(folder_bin / "pg_ctl"),
            f"--pgdata={data}",
            f"--log={server.log}",
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
