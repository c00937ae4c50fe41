"""Masking of secrets and neutralising of line breaks in log text.

Kept apart from the logging set-up so the rules can be read, and tested, on
their own. Two kinds of secret are masked:

- the values of the secret settings, however they are written: as is, inside
  a ``repr`` or a JSON or HTML string, and URL-encoded in any way (any safe
  characters, ``+`` for spaces, upper- or lower-case hex, encoded twice);
- text that looks like a secret wherever it comes from: any user or password
  in a URL, whole ``Authorization`` and ``Cookie`` header values, bearer
  tokens, AWS access key ids, and values whose name says they are secret
  (``password=...``, ``"api_key": "..."``, ``('token', '...')``).

Structured values (a log call's ``extra=`` fields) are masked by name too, at
any depth: ``{"auth": {"password": 1234}}`` keeps its shape, not the password.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# What a name has in it when its value is a secret: the same rule for text
# (`password=...`) and for the keys of structured values.
_SENSITIVE_WORDS = (
    r"password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?|session[_-]?id|cookie|authorization|signature|auth(?![a-z])"
)
SENSITIVE_NAME = re.compile(_SENSITIVE_WORDS, re.IGNORECASE)

# Headers whose whole value is a credential, whatever scheme it names.
_WHOLE_VALUE_NAME = r"(?:proxy-)?authorization|(?:set-)?cookie"
# After a quoted name, a value follows ':', '=' or ',' (a (name, value) tuple);
# after a bare name, ':' or '='.
_SEPARATOR = r"(?:[\"']\s*[:=,]|\s*[:=])\s*"
_QUOTED = r"[bB]?\"(?:[^\"\\]|\\.)*\"|[bB]?'(?:[^'\\]|\\.)*'"
_VALUE = rf"(?:{_QUOTED}|[^\s\"',;&]+)"
_URL_SCHEME = r"\b[a-z][a-z0-9+.-]*://"
# Any userinfo. With a password, up to the last '@' of the word, as a password
# may hold an unescaped '@' or '/'; otherwise up to the last '@' before the path.
_USERINFO = r"(?:[^\s/?#:@]*:\S*|[^\s/?#]*)@"

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?P<keep>{_URL_SCHEME}){_USERINFO}", re.IGNORECASE), MASK + "@"),
    (
        re.compile(
            rf"(?P<keep>\b(?:{_WHOLE_VALUE_NAME})\b{_SEPARATOR})(?:{_QUOTED}|[^\r\n]*)",
            re.IGNORECASE,
        ),
        MASK,
    ),
    (re.compile(r"(?P<keep>\bbearer\s+)[\w.~+/-]+=*", re.IGNORECASE), MASK),
    # AWS access key ids (the secret key itself is caught by the name rule)
    (re.compile(r"(?P<keep>)\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"), MASK),
    (
        re.compile(
            rf"(?P<keep>\b[\w.-]*(?:{_SENSITIVE_WORDS})[\w.-]*{_SEPARATOR}){_VALUE}",
            re.IGNORECASE,
        ),
        MASK,
    ),
]

# Characters that end a line for a terminal, a file reader or str.splitlines(),
# plus the bidirectional controls that make a line read as something else.
_LINE_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# Deeper structures are masked as text: a cycle or a huge tree ends here.
_MAX_DEPTH = 8


def secret_pattern(secret: str) -> re.Pattern[str]:
    """Match ``secret`` as written, escaped (repr, JSON, HTML) or URL-encoded in any way."""
    return re.compile("".join(_any_spelling(char) for char in secret))


def _any_spelling(char: str) -> str:
    spellings = {char, repr(char)[1:-1], json.dumps(char)[1:-1], html.escape(char)}
    if char == " ":
        spellings.add("+")  # quote_plus and HTML forms
    if char == "'":
        spellings.add("\\'")  # repr of a string that holds both quotes
    # %XX for each UTF-8 byte, any hex case, and %25XX when encoded twice.
    encoded = "".join(f"%(?:25)?(?i:{byte:02x})" for byte in char.encode())
    return "(?:" + "|".join([*map(re.escape, sorted(spellings)), encoded]) + ")"


def is_sensitive_name(name: object) -> bool:
    """True when a field, key or header named ``name`` holds a secret."""
    return isinstance(name, str) and SENSITIVE_NAME.search(name) is not None


class Redactor:
    """Masks ``secrets`` and secret-looking text in strings and structured values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole;
        # masking "a" or "1" would garble every line.
        long_enough = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._secrets = [secret_pattern(secret) for secret in long_enough]

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = secret.sub(MASK, text)
        for pattern, replacement in PATTERNS:
            text = pattern.sub(lambda match, r=replacement: match["keep"] + r, text)
        return text

    def line(self, text: str) -> str:
        """Masked, and made one line."""
        return one_line(self(text))

    def value(self, value: Any, name: object = None, depth: int = 0) -> Any:
        """Mask a structured value: by its name, then by its content, at any depth.

        Strings are masked and made one line; numbers stay numbers; mappings
        and sequences keep their shape (as dicts and lists); a ``(name,
        value)`` pair is read as a named value; anything else becomes its
        masked ``repr``.
        """
        if is_sensitive_name(name):
            return MASK
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.line(value)
        if depth >= _MAX_DEPTH:
            return self.line(repr(value))
        if isinstance(value, Mapping):
            return {self.line(str(k)): self.value(v, k, depth + 1) for k, v in value.items()}
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            return [self.line(value[0]), self.value(value[1], value[0], depth + 1)]
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item, None, depth + 1) for item in value]
        return self.line(repr(value))


def one_line(text: str) -> str:
    """Escape CR, LF and other control characters so ``text`` cannot forge a log line."""
    return _LINE_BREAKS.sub(lambda match: repr(match.group())[1:-1], text)
