"""An installed service project, served for real: for tests/test_service.py and the benchmark.

``prepare`` gives an installed ``use_service`` project a `.env` of its own
(fresh keys from the project's ``new_key()``, TLS from a throwaway trustme
CA), a model from its own `make run`, and makes tokens and accounts with its
own commands (``tokens create``, ``users create`` with the password on
standard input). ``serving`` starts the project's own
``python -m <package>.serving`` on a free loopback port, with settings added
as environment variables (they take precedence over `.env`), until the block
ends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from commands import check, package_of, run_make

# The settings a test process may have in its environment that would reach
# the project's settings class: none of them is the test's to give.
_PROJECT_PREFIXES = ("SERVICE_", "DATABASE_", "DATA_ENCRYPTION", "MODEL_SIGNING", "LOG_")


@dataclass(frozen=True)
class ServedProject:
    """An installed service project with keys, a certificate and a signed model."""

    root: Path
    package: str
    ca: trustme.CA
    # base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo: what
    # chromium's --ignore-certificate-errors-spki-list takes.
    spki_sha256: str

    @property
    def python(self) -> Path:
        return self.root / ".venv" / "bin" / "python"

    def command(self, *argv: str, stdin: str | None = None) -> str:
        """``python -m <package> ARGV`` in the project; its standard output."""
        return check(
            subprocess.run(
                [str(self.python), "-m", self.package, *argv],
                cwd=self.root,
                env=environment(),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=300,
            )
        )

    def command_python(self, script: str) -> str:
        """``script`` run by the project's Python in the project; its standard output."""
        return check(
            subprocess.run(
                [str(self.python), "-c", script],
                cwd=self.root,
                env=environment(),
                capture_output=True,
                text=True,
                timeout=300,
            )
        )

    def example_rows(self, count: int = 2) -> list[dict[str, object]]:
        """Valid request rows: the example data's first, in the columns ``serving.ROWS`` names."""
        script = (
            f"from {self.package} import data\n"
            f"from {self.package}.serving import ROWS\n"
            f"frame = data.load_dataset()[list(ROWS.columns)].head({count})\n"
            "print(frame.to_json(orient='records'))\n"
        )
        rows: list[dict[str, object]] = json.loads(self.command_python(script))
        return rows

    def token(self, name: str, *scopes: str) -> str:
        """A new token: the last line `tokens create` prints."""
        argv = [arg for scope in scopes for arg in ("--scope", scope)]
        return self.command("tokens", "create", name, *argv).strip().splitlines()[-1]

    def user(self, name: str, role: str, password: str) -> None:
        """A new account; the password on standard input, never an argument."""
        self.command("users", "create", name, "--role", role, stdin=password + "\n")

    def context(self) -> ssl.SSLContext:
        """A client context that trusts the throwaway CA, and nothing else."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies host and chain
        self.ca.configure_trust(context)
        return context


def environment(settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the project's settings, plus ``settings``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(_PROJECT_PREFIXES)
    }
    return kept | dict(settings or {})


def spki_sha256(certificate_pem: bytes) -> str:
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def prepare(project: Path) -> ServedProject:
    """Keys, TLS and a signed model for the installed service project ``project``."""
    package = package_of(project)
    python = str(project / ".venv" / "bin" / "python")
    make_keys = f"from {package}.hardening import new_key\nfor _ in range(3): print(new_key())"
    new_keys = check(
        subprocess.run([python, "-c", make_keys], cwd=project, capture_output=True, text=True)
    ).split()
    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")
    cert, key = project / "service.crt", project / "service.key"
    issued.private_key_and_cert_chain_pem.write_to_path(str(key))
    key.chmod(0o600)
    for index, blob in enumerate(issued.cert_chain_pems):
        blob.write_to_path(str(cert), append=index > 0)
    settings = {
        "DATA_ENCRYPTION_KEY": new_keys[0],
        "MODEL_SIGNING_KEY": new_keys[1],
        "SERVICE_SECRET_KEY": new_keys[2],
        "SERVICE_TLS_CERT_FILE": str(cert),
        "SERVICE_TLS_KEY_FILE": str(key),
        "LOG_FORMAT": "json",
    }
    env_file = project / ".env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    env_file.chmod(0o600)
    # The project's own `make run`: the signed model the service serves, a run and its figures.
    check(run_make(project, "run", env=environment()))
    return ServedProject(project, package, ca, spki_sha256(issued.cert_chain_pems[0].bytes()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    """A running service: its https URL on loopback, its log, its process."""

    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    context: ssl.SSLContext

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.context, timeout=30)

    def events(self) -> list[str]:
        """The ``event`` of each security event the service has logged so far (JSON lines)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            event = record.get("event") or (record.get("extra") or {}).get("event")
            if event:
                found.append(str(event))
        return found


@contextmanager
def serving(served: ServedProject, settings: Mapping[str, str] | None = None) -> Iterator[Server]:
    """The project's own ``python -m <package>.serving`` over TLS on a free loopback port."""
    port = free_port()
    log = served.root / f"service-{port}.log"
    context = served.context()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(served.python), "-m", f"{served.package}.serving"],
            cwd=served.root,
            env=environment({"SERVICE_PORT": str(port), **dict(settings or {})}),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"https://localhost:{port}", port, log, process, context)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the service stopped:\n{log.read_text()}")
            try:
                with server.client() as client:
                    if client.get("/healthz").status_code == 200:
                        break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the service did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
