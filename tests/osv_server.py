"""A small OSV server on loopback: the `/v1/query` API that pip-audit speaks.

The real OSV service cannot be reached from the test machines, and pip-audit
passes silently when it sees no advisory, so the vulnerability gate is tested
against this stand-in. It answers each query the way OSV does: the advisories
whose ECOSYSTEM ranges contain the queried version, or ``{}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

# A real advisory, as OSV publishes it (trimmed to the fields pip-audit reads).
REQUESTS_VERIFY_FALSE = {
    "schema_version": "1.6.0",
    "id": "GHSA-9wx4-h78v-vm56",
    "aliases": ["CVE-2024-35195"],
    "summary": "Requests `Session` object does not verify requests after making "
    "first request with verify=False",
    "published": "2024-05-20T20:15:00Z",
    "affected": [
        {
            "package": {"name": "requests", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}],
        }
    ],
}


def affects(advisory: dict[str, Any], name: str, version: str) -> bool:
    """True when ``version`` of ``name`` lies in one of the advisory's ranges."""
    for affected in advisory["affected"]:
        if canonicalize_name(affected["package"]["name"]) != name:
            continue
        for span in affected["ranges"]:
            introduced = fixed = None
            for event in span["events"]:
                introduced = event.get("introduced", introduced)
                fixed = event.get("fixed", fixed)
            low = Version("0") if introduced in (None, "0") else Version(introduced)
            if low <= Version(version) and (fixed is None or Version(version) < Version(fixed)):
                return True
    return False


class OsvHandler(BaseHTTPRequestHandler):
    server: OsvServer

    def do_POST(self) -> None:
        if self.path != "/v1/query":
            self.send_error(404)
            return
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = canonicalize_name(query["package"]["name"])
        version = query["version"]
        self.server.queries.append((name, version))
        vulns = [a for a in self.server.advisories if affects(a, name, version)]
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `queries` instead."""


class OsvServer(ThreadingHTTPServer):
    def __init__(self, advisories: list[dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), OsvHandler)
        self.advisories = advisories
        self.queries: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1/query"

    def environment(self) -> dict[str, str]:
        """Environment that points pip-audit at this server."""
        return {"PIP_AUDIT_VULNERABILITY_SERVICE": "osv", "PIP_AUDIT_OSV_URL": self.url}


@contextmanager
def serving(advisories: list[dict[str, Any]]) -> Iterator[OsvServer]:
    server = OsvServer(advisories)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
