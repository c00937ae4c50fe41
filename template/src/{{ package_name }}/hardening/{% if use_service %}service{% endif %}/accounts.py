"""API tokens for programs and accounts for people, stored in the project's database.

A token is shown once, when it is made; the database keeps only its keyed
hash (HMAC-SHA256 under SERVICE_SECRET_KEY), so a copy of the database
yields no usable token, and a token is found by its hash alone. Passwords
are hashed with Argon2id (argon2-cffi's defaults, RFC 9106). Every query
binds its values (SQLAlchemy Core); names are checked before they are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from ..database import InputError

# What a token may do; a route declares the one it needs.
SCOPES = ("predict", "read", "metrics")
# What a person may do: a viewer reads the runs; an admin also sees metrics.
ROLES = {"viewer": ("read",), "admin": ("read", "metrics")}
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Every token starts so: a secret scanner, or a person, can tell one at a glance.
MARK = "svc_"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # Argon2 takes any length; a bound keeps hashing cheap
MAX_EXPIRY_DAYS = 3650

metadata = MetaData()

tokens = Table(
    "service_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scopes", Text, nullable=False),  # space-separated, from SCOPES
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

users = Table(
    "service_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Sessions are kept here, not only in the cookie, so signing out or disabling
# an account ends them at once, for every copy of the cookie.
sessions = Table(
    "service_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_hash", String(64), nullable=False, unique=True),
    Column("user_name", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

# A session ends after this long, however active, and after this long idle.
SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE = timedelta(minutes=30)

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Token:
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool

    @property
    def scopes(self) -> tuple[str, ...]:
        return ROLES[self.role]


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)


def check_name(name: str, what: str) -> str:
    """Raise :class:`InputError` unless ``name`` is a short lower-case name (never quoted)."""
    if not NAME.fullmatch(name):
        raise InputError(
            f"{what} must be 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )
    return name


def derived_key(key: bytes, purpose: bytes) -> bytes:
    """A key for one purpose only, so a cookie key can never check a token."""
    return hmac.new(key, purpose, hashlib.sha256).digest()


def token_key(service_key: bytes) -> bytes:
    """The key of the tokens' hashes, from SERVICE_SECRET_KEY."""
    return derived_key(service_key, b"api tokens")


def token_hash(token: str, key: bytes) -> str:
    return hmac.new(key, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns times without their zone; every time stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def create_token(
    engine: Engine, key: bytes, name: str, scopes: list[str], expires_days: int | None
) -> str:
    """Store a new token's hash under ``name``; return the token, which is never stored."""
    check_name(name, "a token name")
    if not scopes or any(scope not in SCOPES for scope in scopes):
        raise InputError(f"each scope must be one of: {', '.join(SCOPES)}")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise InputError(f"--expires-days must be 1 to {MAX_EXPIRY_DAYS}")
    token = MARK + secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as connection:
        taken = connection.execute(select(tokens.c.id).where(tokens.c.name == name)).first()
        if taken is not None:
            raise InputError("a token of that name exists; revoke it or choose another name")
        connection.execute(
            insert(tokens).values(
                name=name,
                token_hash=token_hash(token, key),
                scopes=" ".join(sorted(set(scopes))),
                created_at=now,
                expires_at=None if expires_days is None else now + timedelta(days=expires_days),
            )
        )
    return token


def list_tokens(engine: Engine) -> list[Token]:
    with engine.connect() as connection:
        rows = connection.execute(select(tokens).order_by(tokens.c.name)).mappings().all()
    return [
        Token(
            name=row["name"],
            scopes=tuple(row["scopes"].split()),
            created_at=_aware(row["created_at"]) or _now(),
            last_used_at=_aware(row["last_used_at"]),
            expires_at=_aware(row["expires_at"]),
            revoked_at=_aware(row["revoked_at"]),
        )
        for row in rows
    ]


def revoke_token(engine: Engine, name: str) -> bool:
    """Revoke the token ``name``; False when no live token has that name."""
    check_name(name, "a token name")
    with engine.begin() as connection:
        done = connection.execute(
            update(tokens)
            .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    return bool(done.rowcount)


def authenticate_token(engine: Engine, key: bytes, token: str) -> Token | None:
    """The live token ``token`` is, or ``None``; its last use is recorded.

    Found by its keyed hash (an index lookup on a value no caller can choose),
    then compared in constant time; revoked and expired tokens are refused on
    the request after it happens.
    """
    if not token.startswith(MARK) or len(token) > 256:
        return None
    wanted = token_hash(token, key)
    now = _now()
    with engine.begin() as connection:
        row = (
            connection.execute(select(tokens).where(tokens.c.token_hash == wanted))
            .mappings()
            .first()
        )
        if row is None or not hmac.compare_digest(row["token_hash"], wanted):
            return None
        expires_at = _aware(row["expires_at"])
        if row["revoked_at"] is not None or (expires_at is not None and expires_at <= now):
            return None
        connection.execute(update(tokens).where(tokens.c.id == row["id"]).values(last_used_at=now))
    return Token(
        name=row["name"],
        scopes=tuple(row["scopes"].split()),
        created_at=_aware(row["created_at"]) or now,
        last_used_at=now,
        expires_at=expires_at,
        revoked_at=None,
    )


def check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InputError(
            f"a password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


def create_user(engine: Engine, name: str, role: str, password: str) -> None:
    check_name(name, "a user name")
    if role not in ROLES:
        raise InputError(f"the role must be one of: {', '.join(ROLES)}")
    check_password(password)
    with engine.begin() as connection:
        taken = connection.execute(select(users.c.id).where(users.c.name == name)).first()
        if taken is not None:
            raise InputError("a user of that name exists")
        connection.execute(
            insert(users).values(
                name=name,
                password_hash=_hasher.hash(password),
                role=role,
                disabled=False,
                created_at=_now(),
            )
        )


def disable_user(engine: Engine, name: str) -> bool:
    """Disable ``name`` and end every session of theirs. False if unknown."""
    check_name(name, "a user name")
    with engine.begin() as connection:
        done = connection.execute(update(users).where(users.c.name == name).values(disabled=True))
        connection.execute(delete(sessions).where(sessions.c.user_name == name))
    return bool(done.rowcount)


def start_session(engine: Engine, key: bytes, user: User) -> str:
    """A new session of ``user``; the cookie carries the secret, the table its keyed hash."""
    secret = secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as connection:
        connection.execute(
            insert(sessions).values(
                session_hash=token_hash(secret, key),
                user_name=user.name,
                created_at=now,
                last_seen_at=now,
            )
        )
    return secret


def find_session(engine: Engine, key: bytes, secret: str) -> User | None:
    """The enabled user of a live session, or ``None``; a dead session is removed."""
    wanted = token_hash(secret, key)
    now = _now()
    with engine.begin() as connection:
        row = (
            connection.execute(select(sessions).where(sessions.c.session_hash == wanted))
            .mappings()
            .first()
        )
        if row is None or not hmac.compare_digest(row["session_hash"], wanted):
            return None
        created = _aware(row["created_at"]) or now
        seen = _aware(row["last_seen_at"]) or now
        if now - created > SESSION_LIFETIME or now - seen > SESSION_IDLE:
            connection.execute(delete(sessions).where(sessions.c.id == row["id"]))
            return None
        connection.execute(
            update(sessions).where(sessions.c.id == row["id"]).values(last_seen_at=now)
        )
    return find_user(engine, row["user_name"])


def end_session(engine: Engine, key: bytes, secret: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            delete(sessions).where(sessions.c.session_hash == token_hash(secret, key))
        )


def find_user(engine: Engine, name: str) -> User | None:
    """The enabled user ``name``, or ``None``."""
    with engine.connect() as connection:
        row = connection.execute(select(users).where(users.c.name == name)).mappings().first()
    if row is None or row["disabled"] or row["role"] not in ROLES:
        return None
    return User(name=row["name"], role=row["role"], disabled=False)


# Verified in place of a missing user's hash, so an unknown name costs the
# same Argon2 work as a wrong password and the answer cannot tell them apart.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def authenticate_user(engine: Engine, name: str, password: str) -> User | None:
    """The enabled user whose password this is, or ``None``, in the same time either way."""
    row = None
    if NAME.fullmatch(name) and len(password) <= MAX_PASSWORD_LENGTH:
        with engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name)).mappings().first()
    stored = _DUMMY_HASH if row is None else row["password_hash"]
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"] or row["role"] not in ROLES:
        return None
    if _hasher.check_needs_rehash(stored):
        with engine.begin() as connection:
            connection.execute(
                update(users)
                .where(users.c.id == row["id"])
                .values(password_hash=_hasher.hash(password))
            )
    return User(name=row["name"], role=row["role"], disabled=False)
