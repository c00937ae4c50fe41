"""Masking of secrets and neutralising of line breaks in log text.

Kept apart from the logging set-up so the rules can be read, and tested, on
their own. Two kinds of secret are masked:

- the values of the secret settings (exact text, and as they look inside a
  ``repr`` or a URL);
- text that looks like a secret wherever it comes from: credentials in URLs,
  ``Authorization`` headers and bearer tokens, AWS access key ids, and
  ``key=value`` / ``"key": "value"`` pairs whose key names a password, secret,
  token or key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"

_SENSITIVE_NAME = (
    r"[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|credentials?|session[_-]?id|cookie)[\w.-]*"
)
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"',;&]+)"
_URL_SCHEME = r"\b[a-z][a-z0-9+.-]*://"
_URL_USERINFO = r"[^/\s:@]+:[^/\s@]+@"  # user:password@

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # A user name and password before the host of a URL become ***@host.
    (re.compile(rf"(?P<keep>{_URL_SCHEME}){_URL_USERINFO}", re.IGNORECASE), MASK + "@"),
    # Authorization: Bearer abc / "authorization": "Basic xyz"
    (
        re.compile(
            r"(?P<keep>\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest)\s+)?)"
            r"[^\s\"',;]+",
            re.IGNORECASE,
        ),
        MASK,
    ),
    (re.compile(r"(?P<keep>\bbearer\s+)[\w.~+/-]+=*", re.IGNORECASE), MASK),
    # AWS access key ids (the secret key itself is caught by the key=value rule)
    (re.compile(r"(?P<keep>)\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"), MASK),
    # password=..., "api_key": "...", token: ...
    (re.compile(rf"(?P<keep>\b{_SENSITIVE_NAME}[\"']?\s*[:=]\s*){_VALUE}", re.IGNORECASE), MASK),
]

# Characters that end a line for a terminal, a file reader or str.splitlines().
_LINE_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


class Redactor:
    """Callable that masks ``secrets`` and secret-looking text in a string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = set()
        for secret in secrets:
            if len(secret) >= 4:  # masking "a" or "1" would garble every line
                variants.update({secret, repr(secret)[1:-1], quote(secret, safe="")})
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in PATTERNS:
            text = pattern.sub(lambda match, r=replacement: match["keep"] + r, text)
        return text


def one_line(text: str) -> str:
    """Escape CR, LF and other control characters so ``text`` cannot forge a log line."""
    return _LINE_BREAKS.sub(lambda match: repr(match.group())[1:-1], text)
