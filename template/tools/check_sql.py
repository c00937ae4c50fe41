"""Fail on SQL text built from strings: `make audit-code` runs it after bandit.

Usage: ``python tools/check_sql.py [FOLDER_OR_FILE ...]`` (default: ``src``)

bandit (B608) and ruff (S608) flag a query written as one f-string, ``%``,
``.format()`` or ``+`` expression, but not one assembled in steps
(``sql += label``, ``" ".join(parts)``) and then passed on. This check closes
that gap by where the text ends up: the functions that take SQL text
(``text``, ``literal_column``, ``exec_driver_sql``, ``executescript``) must
get a string literal, and no ``execute`` call may be given a string built at
run time. Values go in as bound parameters; names come from an allow-list.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

# Calls whose first argument is SQL text: it must be a literal.
TAKES_SQL_TEXT = {"text", "literal_column", "exec_driver_sql", "executescript"}
# Calls that also accept statement objects: only a run-time string is refused.
EXECUTES = {"execute", "executemany", "read_sql", "read_sql_query"}


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def is_literal(node: ast.expr) -> bool:
    """A plain string constant, or several adjacent ones (Python joins them)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def is_built_string(node: ast.expr) -> bool:
    """An expression that makes a new string at run time."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"format", "join", "replace", "format_map"}
    return False


def aliases(tree: ast.AST) -> dict[str, str]:
    """Local names of the SQL-text functions: ``from sqlalchemy import text as t``."""
    found = {name: name for name in TAKES_SQL_TEXT | EXECUTES}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname and alias.name in found:
                    found[alias.asname] = alias.name
    return found


def findings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    names = aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = names.get(called_name(node) or "")
        first = node.args[0]
        if name in TAKES_SQL_TEXT and not is_literal(first):
            yield node.lineno, f"{name}() is given SQL text that is not a string literal"
        elif name in EXECUTES and is_built_string(first):
            yield node.lineno, f"{name}() is given SQL text built at run time"


def python_files(targets: list[Path]) -> Iterator[Path]:
    for target in targets:
        yield from sorted(target.rglob("*.py")) if target.is_dir() else [target]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", type=Path, default=[Path("src")])
    args = parser.parse_args(argv)
    failed = 0
    for path in python_files(args.targets):
        tree = ast.parse(path.read_bytes(), filename=str(path))
        for line, problem in findings(tree):
            print(f"{path}:{line}: {problem}; bind values as parameters instead", file=sys.stderr)
            failed += 1
    if failed:
        print(
            f"error: {failed} place(s) build SQL from strings; see docs in tools/check_sql.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
