"""Masking of secrets and neutralising of line breaks in log text.

Kept apart from the logging set-up so the rules can be read, and tested, on
their own. Two kinds of secret are masked:

- the values of the secret settings, however they are written: as is, inside
  a ``repr`` (of the text or of its UTF-8 bytes) or a JSON or HTML string,
  and URL-encoded in any way (any safe characters, ``+`` for spaces, upper-
  or lower-case hex, encoded twice);
- text that looks like a secret wherever it comes from: any user or password
  in a URL, whole ``Authorization`` and ``Cookie`` header values, bearer
  tokens, AWS access key ids, and values whose name says they are secret
  (``password=...``, ``"api_key": "..."``, ``('token', '...')``).

Structured values (a log call's ``extra=`` fields) are masked by name too, at
any depth: ``{"auth": {"password": 1234}}`` keeps its shape, not the password.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MASK = "***"

# What a name has in it when its value is a secret: the same rule for text
# (`password=...`) and for the keys of structured values. Short words count
# only as words of their own (DB_PASS, X-Auth, sig; not bypass or author).
_SENSITIVE_WORDS = (
    r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|credentials?|session[_-]?id|cookie|authorization|signature"
    r"|(?<![a-z])(?:pass|pw|sig|auth)(?![a-z])"
)
SENSITIVE_NAME = re.compile(_SENSITIVE_WORDS, re.IGNORECASE)

# Every pattern below is linear in the length of the text: names are whole
# words (possessive, starting where a word starts) and every run is bounded.
_NAME = r"(?<![\w.-])(?P<name>[\w.-]{1,256}+)"
# After a quoted name (also JSON-escaped: \"name\"), a value follows ':', '=',
# '=>' or ',' (a (name, value) tuple); after a bare name, ':', '=' or '=>'.
_SEPARATOR = r"(?P<sep>\\?[\"']?\s*(?:=>|[:=])\s*|\\?[\"']\s*,\s*)"
_QUOTED = r"[bB]?\"(?:[^\"\\]|\\.)*+\"|[bB]?'(?:[^'\\]|\\.)*+'"
_ESCAPED_QUOTED = r'\\"(?:[^"\\]|\\[^"])*+\\"'
# Brackets hold up to one level of brackets of their kind.
_BRACKETED = "|".join(
    f"{o}(?:[^{o}{c}]|{o}[^{o}{c}]" + "{0,200}+" + f"{c})" + "{0,1000}+" + c
    for o, c in (map(re.escape, pair) for pair in ("{}", "[]", "()"))
)
_VALUE = (
    "(?P<value>" + _ESCAPED_QUOTED + "|" + _QUOTED + "|" + _BRACKETED + r"|[bB]?[\"']?[^\s\"';&]++)"
)
# A scheme, also with JSON-escaped slashes (https:\/\/); then any userinfo.
# With a password, up to the last '@' of the word, as a password may hold an
# unescaped '@' or '/'; otherwise up to the last '@' before the path.
_SCHEME = r"[a-z][a-z0-9+.-]{0,30}:(?://|\\/\\/)"
_USERINFO = r"(?:[^\s/?#:@]{0,256}:\S{0,512}|[^\s/?#]{0,512})@"
_AWS_KEY_ID = (
    r"(?<![A-Z])(?:A3T[A-Z0-9]|ABIA|ACCA|AGPA|AIDA|AIPA|AKIA|ANPA|ANVA|APKA|AROA|ASCA|ASIA)"
    r"[A-Z0-9]{16}(?![A-Z0-9])"
)


def _masked_if_named(match: re.Match[str]) -> str:
    """``name<sep>***`` when the name says the value is secret. Otherwise the value
    itself is searched, when it is quoted or bracketed: it may hold named values."""
    value = match["value"]
    if SENSITIVE_NAME.search(match["name"]):
        return match["name"] + match["sep"] + MASK
    if value[:1] in "\"'{[(\\" or value[:2] in {'b"', "b'"}:
        value = _apply_patterns(value)
    return match["name"] + match["sep"] + value


def _apply_patterns(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _keep(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match["keep"] + replacement


PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # userinfo of a URL, of a scheme-relative URL, and of a URL-encoded URL
    (re.compile(rf"(?P<keep>{_SCHEME}){_USERINFO}", re.IGNORECASE), _keep(MASK + "@")),
    (re.compile(r"(?P<keep>(?<![:\w/\\])//)[^\s/?#:@]{0,256}:\S{0,512}@"), _keep(MASK + "@")),
    (
        re.compile(
            r"(?P<keep>[a-z][a-z0-9+.-]{0,30}%3A%2F%2F)(?:(?!%2F|%40)[^\s/?#&]){0,512}%40",
            re.IGNORECASE,
        ),
        _keep(MASK + "%40"),
    ),
    # the whole value of a credential header, whatever its scheme
    (
        re.compile(
            r"(?P<keep>(?<![\w-])(?:proxy-authorization|authorization|set-cookie|cookie)(?![\w-]))"
            rf"(?P<sep>[\"']?\s*[:=]\s*|[\"']\s*,\s*)(?:{_QUOTED}|[^\r\n]*+)",
            re.IGNORECASE,
        ),
        lambda match: match["keep"] + match["sep"] + MASK,
    ),
    (re.compile(r"(?P<keep>(?<![\w-])bearer\s++)[\w.~+/-]++=*", re.IGNORECASE), _keep(MASK)),
    (re.compile(rf"(?P<keep>){_AWS_KEY_ID}"), _keep(MASK)),
    # name=value, name: value, "name": "value", ('name', 'value'), --name value
    (re.compile(_NAME + _SEPARATOR + _VALUE, re.IGNORECASE), _masked_if_named),
    (
        re.compile(r"(?<!\S)(?P<name>--?[\w-]{1,100}+)(?P<sep>\s++)" + _VALUE),
        _masked_if_named,
    ),
]

# Characters that end a line for a terminal, a file reader or str.splitlines(),
# the other C0 and C1 controls (ANSI escapes), and the invisible direction
# marks and overrides that make a line read as something else.
_LINE_BREAKS = re.compile(
    r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)

# Deeper structures are masked whole: a cycle or a huge tree ends here.
_MAX_DEPTH = 8


def secret_patterns(secret: str) -> list[re.Pattern[str]]:
    """Match ``secret`` as written, escaped (repr, JSON, HTML, \\u), URL-encoded in
    any way, and as base64 or hex of its UTF-8 bytes."""
    raw = utf8(secret)
    whole = [
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]
    return [
        re.compile("".join(_any_spelling(char) for char in secret)),
        re.compile(raw.hex(), re.IGNORECASE),
        *(re.compile(re.escape(encoded) + "=*") for encoded in whole),
        *(re.compile(re.escape(core)) for core in _base64_cores(raw)),
    ]


def _base64_cores(raw: bytes) -> list[str]:
    """The base64 characters that depend on ``raw`` alone, wherever it starts.

    Encoded after other bytes (``user:`` and a password, a key inside a
    blob), ``raw`` starts 0, 1 or 2 bytes into a 3-byte group, and each
    start spells it differently; the characters that mix in a neighbour's
    bits differ again. These are the ones that do not, at each start.
    """
    cores = []
    for start in range(3):
        padded = bytes(start) + raw + bytes(2)
        first = -(-8 * start // 6)  # the first character of raw's bits only
        end = 8 * (start + len(raw)) // 6  # past the last one
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            cores.append(encode(padded).decode()[first:end])
    return list(dict.fromkeys(core for core in cores if core))


def _any_spelling(char: str) -> str:
    spellings = {char, repr(char)[1:-1], json.dumps(char)[1:-1], html.escape(char)}
    if char == " ":
        spellings.add("+")  # quote_plus and HTML forms
    if char == "'":
        spellings.add("\\'")  # repr of a string that holds both quotes
    if char == "/":
        spellings.add("\\/")  # JSON may escape a slash
    escaped = [re.escape(spelling) for spelling in sorted(spellings)]
    code = ord(char)
    # \u00e9, \x41, &#233;, &#xe9; in any case and with any leading zeros
    escaped.append(rf"\\u(?i:{code:04x})" if code <= 0xFFFF else rf"\\U(?i:{code:08x})")
    if code < 0x100:
        escaped.append(rf"\\x(?i:{code:02x})")
    if code >= 0x80:  # the repr of the UTF-8 bytes: b'P\xc3\xa4ss'
        escaped.append("".join(rf"\\x(?i:{byte:02x})" for byte in utf8(char)))
    escaped.append(rf"&#0*{code};|&#[xX]0*(?i:{code:x});")
    # %XX for each UTF-8 byte, any hex case, and %25XX when encoded twice.
    escaped.append("".join(f"%(?:25)?(?i:{byte:02x})" for byte in utf8(char)))
    return "(?:" + "|".join(escaped) + ")"


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, also when it holds lone surrogates: an environment
    variable's bytes that are not UTF-8 reach Python that way."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def is_sensitive_name(name: object) -> bool:
    """True when a field, key or header named ``name`` holds a secret.

    A name may be bytes, or any object (an Enum member) read by its ``str``.
    """
    if name is None:
        return False
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    elif not isinstance(name, str):
        name = _text(name, str)
    return SENSITIVE_NAME.search(name) is not None


class Redactor:
    """Masks ``secrets`` and secret-looking text in strings and structured values."""

    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole;
        # masking "a" or "1" would garble every line.
        long_enough = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._secrets = [pattern for secret in long_enough for pattern in secret_patterns(secret)]
        # The project's own rules (Settings.redaction_patterns): whole match masked.
        self._secrets += [re.compile(pattern) for pattern in patterns]

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = secret.sub(MASK, text)
        return _apply_patterns(text)

    def line(self, text: str) -> str:
        """Masked, and made one line."""
        return one_line(self(text))

    def value(self, value: Any, name: object = None, depth: int = 0) -> Any:
        """Mask a structured value: by its name, then by its content, at any depth.

        Strings are masked and made one line; numbers stay numbers unless one
        is a secret; mappings and sequences keep their shape (as dicts and
        lists); a ``(name, value)`` pair is read as a named value; anything
        else becomes its masked ``repr``.
        """
        if is_sensitive_name(name) or depth >= _MAX_DEPTH:
            return MASK
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value if self(str(value)) == str(value) else MASK
        if isinstance(value, str):
            return self.line(value)
        if hasattr(value, "_asdict"):  # a named tuple: its field names are names
            value = value._asdict()
        if isinstance(value, Mapping):
            return {self.line(_text(k)): self.value(v, k, depth + 1) for k, v in value.items()}
        if type(value) in (list, tuple) and len(value) == 2 and _is_name(value[0]):
            return [self.line(_text(value[0])), self.value(value[1], value[0], depth + 1)]
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item, None, depth + 1) for item in value]
        return self.line(_text(value))


def _is_name(value: object) -> bool:
    return isinstance(value, str | bytes) and len(value) <= 100


def _text(value: object, describe: Callable[[object], str] = repr) -> str:
    """A string as is, else ``describe(value)``; an object that fails is named only."""
    if isinstance(value, str):
        return value
    try:
        return describe(value)
    except Exception:  # any error of any object's own __repr__ or __str__
        return f"<unprintable {type(value).__name__}>"


def one_line(text: str) -> str:
    """Escape line breaks and other control characters so ``text`` cannot forge a log line."""
    return _LINE_BREAKS.sub(lambda match: repr(match.group())[1:-1], text)
