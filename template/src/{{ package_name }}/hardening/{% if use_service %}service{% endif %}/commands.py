"""The service's commands: ``tokens create|list|revoke`` and ``users create|disable``.

A new token is printed once, as the last line of standard output, and only
its keyed hash is stored. A password is read from a prompt (or, when
standard input is not a terminal, from its first line), never from the
command line, where other users and the shell's history would see it.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from ..database import InputError, connect
from ..settings import HardenedSettings
from . import accounts
from .monitoring import security_event

if TYPE_CHECKING:
    from ..commands import ProjectFolders

log = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace, HardenedSettings, "ProjectFolders"], int]
Handler = Callable[[argparse.Namespace, HardenedSettings], int]


def add_service_commands(
    commands: argparse._SubParsersAction[Any], bind: Callable[[Command], Handler]
) -> None:
    """Add ``tokens`` and ``users``; ``bind`` gives each command the project's folders."""
    tokens = commands.add_parser("tokens", help="API tokens of the service: create, list, revoke")
    token_commands = tokens.add_subparsers(required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="make a token; it is printed once")
    create.add_argument("name", help="a name for whoever uses it (a-z, 0-9, . _ -)")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        choices=accounts.SCOPES,
        required=True,
        help="what it may do; repeatable",
    )
    create.add_argument("--expires-days", type=int, default=None, help="days until it expires")
    create.set_defaults(handler=bind(create_token), failure="Cannot create the token")
    listed = token_commands.add_parser("list", help="names, scopes, dates; never the tokens")
    listed.set_defaults(handler=bind(list_tokens), failure="Cannot list the tokens")
    revoke = token_commands.add_parser("revoke", help="refuse a token from its next request")
    revoke.add_argument("name")
    revoke.set_defaults(handler=bind(revoke_token), failure="Cannot revoke the token")

    users = commands.add_parser("users", help="accounts for the service's pages: create, disable")
    user_commands = users.add_subparsers(required=True, metavar="ACTION")
    add_user = user_commands.add_parser(
        "create", help="make an account; the password is read from a prompt or standard input"
    )
    add_user.add_argument("name")
    add_user.add_argument("--role", choices=sorted(accounts.ROLES), required=True)
    add_user.set_defaults(handler=bind(create_user), failure="Cannot create the user")
    disable = user_commands.add_parser("disable", help="end an account and its sessions")
    disable.add_argument("name")
    disable.set_defaults(handler=bind(disable_user), failure="Cannot disable the user")


def _engine(settings: HardenedSettings, folders: ProjectFolders) -> Engine:
    engine = connect(settings.database(), folders.database)
    accounts.create_tables(engine)
    return engine


def _date(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def create_token(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    engine = _engine(settings, folders)
    try:
        token = accounts.create_token(
            engine,
            accounts.token_key(settings.service_key()),
            args.name,
            args.scopes,
            args.expires_days,
        )
    finally:
        engine.dispose()
    security_event("tokens_changed", action="created", caller=args.name)
    log.info(
        "Created the token %s; it is printed below, once: keep it in a secret store", args.name
    )
    print(token, flush=True)
    return 0


def list_tokens(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    engine = _engine(settings, folders)
    try:
        found = accounts.list_tokens(engine)
    finally:
        engine.dispose()
    print("name\tscopes\tcreated\tlast used\texpires\tstate")
    for token in found:
        state = "revoked" if token.revoked_at else "live"
        print(
            "\t".join(
                (
                    token.name,
                    ",".join(token.scopes),
                    _date(token.created_at),
                    _date(token.last_used_at),
                    _date(token.expires_at),
                    state,
                )
            )
        )
    return 0


def revoke_token(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    engine = _engine(settings, folders)
    try:
        done = accounts.revoke_token(engine, args.name)
    finally:
        engine.dispose()
    if not done:
        raise InputError("no live token has that name")
    security_event("tokens_changed", action="revoked", caller=args.name)
    log.info("Revoked the token %s", args.name)
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise InputError("the two passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def create_user(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    accounts.check_name(args.name, "a user name")
    password = _read_password()
    engine = _engine(settings, folders)
    try:
        accounts.create_user(engine, args.name, args.role, password)
    finally:
        engine.dispose()
    security_event("users_changed", action="created", user=args.name, role=args.role)
    log.info("Created the user %s (%s)", args.name, args.role)
    return 0


def disable_user(
    args: argparse.Namespace, settings: HardenedSettings, folders: ProjectFolders
) -> int:
    engine = _engine(settings, folders)
    try:
        done = accounts.disable_user(engine, args.name)
    finally:
        engine.dispose()
    if not done:
        raise InputError("no user has that name")
    security_event("users_changed", action="disabled", user=args.name)
    log.info("Disabled the user %s", args.name)
    return 0
