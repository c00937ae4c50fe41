"""Fail on SQL text built from strings: `make audit-code` runs it after bandit.

Usage: ``python tools/check_sql.py [FOLDER_OR_FILE ...]`` (default: ``src``)

bandit (B608) and ruff (S608) flag a query written as one f-string, ``%``,
``.format()`` or ``+`` expression, but not one assembled in steps
(``sql += label``) and then passed on. This check follows strings within each
function (and at module level) and fails where SQL text can come from
anything but a literal:

- the functions that turn a string into SQL (``text``, ``TextClause``,
  ``literal_column``, ``DDL``, ``column(..., is_literal=True)``,
  ``exec_driver_sql``, ``executescript``) must be called directly, with a
  string literal or a name only ever bound to one; passing them around
  (an alias, ``getattr``, ``partial``) or unpacking ``**`` into them fails;
- ``execute``, ``executemany``, ``read_sql`` and ``read_sql_query`` must
  not be given a string built at run time, directly or through a name.

It cannot follow a string into another function through its parameters:
keep queries as SQLAlchemy statements (``select``, ``insert``, bound values)
and those calls have nothing to check.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

# Calls that turn their argument into SQL text: it must be a literal.
MAKES_SQL = {
    "text",
    "TextClause",
    "literal_column",
    "DDL",
    "exec_driver_sql",
    "executescript",
}
# Keyword names under which those calls take the SQL text.
SQL_KEYWORDS = {"text", "sql", "statement", "operation", "sql_script"}
# Calls that also accept statement objects: only a run-time string is refused.
EXECUTES = {"execute", "executemany", "read_sql", "read_sql_query"}
# Methods and functions that make a new string from others.
BUILDS = {"format", "format_map", "join", "replace", "substitute", "safe_substitute", "dedent"}
BUILDS |= {"strip", "lstrip", "rstrip", "lower", "upper", "__add__", "__mod__", "str"}


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def is_literal(node: ast.expr) -> bool:
    """A plain string constant (adjacent ones are joined by Python)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def is_built_string(node: ast.expr, built: set[str]) -> bool:
    """An expression that makes a string at run time, or a name bound to one."""
    if isinstance(node, ast.Name):
        return node.id in built
    if isinstance(node, ast.NamedExpr):
        return is_built_string(node.value, built)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    if isinstance(node, ast.IfExp):
        return is_built_string(node.body, built) or is_built_string(node.orelse, built)
    if isinstance(node, ast.Call):
        # "name()" stands for a function of the module that returns a built string.
        return called_name(node) in BUILDS or f"{called_name(node)}()" in built
    return False


def scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield node


def own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``scope``, not of the functions defined inside it."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield child
        yield from own_nodes(child)


def functions_returning_built_strings(tree: ast.Module) -> set[str]:
    """``"name()"`` for each function of the module that returns a built string."""
    builders: set[str] = set()
    changed = True
    while changed:  # a function returning another's result is one too
        changed = False
        for scope in scopes(tree):
            if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            built = bindings(scope, builders).built
            returns = [node for node in own_nodes(scope) if isinstance(node, ast.Return)]
            if f"{scope.name}()" not in builders and any(
                node.value is not None and is_built_string(node.value, built) for node in returns
            ):
                builders.add(f"{scope.name}()")
                changed = True
    return builders


class Bindings(NamedTuple):
    """What the names of one scope are bound to."""

    built: set[str]  # a string made at run time
    unsafe: set[str]  # anything but a string literal, at least once
    literal: set[str]  # string literals only

    def __or__(self, other: Bindings) -> Bindings:
        return Bindings(
            self.built | other.built,
            self.unsafe | other.unsafe,
            (self.literal | other.literal) - self.unsafe - other.unsafe,
        )


def bindings(scope: ast.AST, builders: set[str]) -> Bindings:
    """How each name of ``scope`` is bound; ``builders`` as found by the function above.

    A name never bound here (an import, a global of another module) is in no
    set: only a name seen bound to literals alone counts as a literal.
    """
    built: set[str] = set(builders)
    unsafe: set[str] = set()
    literal: set[str] = set()
    changed = True
    while changed:  # a name built from a built name is built too
        changed = False
        for node in own_nodes(scope):
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr | ast.AugAssign):
                targets, value = [node.target], node.value
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                augmented = isinstance(node, ast.AugAssign)
                if (value is not None and not is_literal(value)) or augmented:
                    unsafe.add(target.id)
                elif value is not None:
                    literal.add(target.id)
                if (augmented or (value is not None and is_built_string(value, built))) and (
                    target.id not in built
                ):
                    built.add(target.id)
                    changed = True
        for node in own_nodes(scope):  # loop targets are never literals
            if isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
                unsafe.add(node.target.id)
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        arguments = scope.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]
        unsafe.update(arg.arg for arg in every)  # a parameter can hold anything
    return Bindings(built, unsafe, literal - unsafe)


def sql_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in SQL_KEYWORDS:
            return keyword.value
    return None


def findings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    # Bare names count when imported (from sqlalchemy import text), so a
    # variable that happens to be called ``text`` is left alone.
    names: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in MAKES_SQL | EXECUTES and alias.asname:
                    yield node.lineno, f"{alias.name} imported under another name"
                if alias.name in MAKES_SQL:
                    names.add(alias.name)
        elif isinstance(node, ast.Import):
            modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    calls: set[int] = set()
    builders = functions_returning_built_strings(tree)
    module = bindings(tree, builders)
    for scope in scopes(tree):
        # Module-level names are seen from every function.
        bound = bindings(scope, builders) | module
        for node in own_nodes(scope):
            if not isinstance(node, ast.Call):
                continue
            calls.add(id(node.func))
            yield from check_call(node, bound, names)
    for node in ast.walk(tree):
        yield from passed_around(node, names, modules, calls)


def passed_around(
    node: ast.AST, names: set[str], modules: set[str], calls: set[int]
) -> Iterator[tuple[int, str]]:
    """A SQL-making function used but not called: ``t = text``, ``partial(text)``, getattr."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        name, ours = node.id, node.id in names
    elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        # sqlalchemy.text, sa.text; not response.text, an attribute of a value.
        name = node.attr
        ours = isinstance(node.value, ast.Name) and node.value.id in modules
    else:
        name, ours = "", False
    if ours and name in MAKES_SQL and id(node) not in calls:
        yield node.lineno, f"{name} is passed around instead of called with a literal"
    if isinstance(node, ast.Attribute) and node.attr in EXECUTES and id(node) not in calls:
        # run = conn.execute; run(sql): the call would escape the check below.
        yield node.lineno, f"{node.attr} is passed around instead of called"
    if (
        isinstance(node, ast.Call)
        and called_name(node) == "getattr"
        and len(node.args) > 1
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value in MAKES_SQL | EXECUTES
    ):
        yield node.lineno, f"getattr() reaches {node.args[1].value}, which makes SQL text"


def check_call(node: ast.Call, bound: Bindings, names: set[str]) -> Iterator[tuple[int, str]]:
    name = called_name(node)
    argument = sql_argument(node)
    unpacked = any(keyword.arg is None for keyword in node.keywords)
    if name == "column" and any(
        keyword.arg == "is_literal"
        and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False)
        for keyword in node.keywords
    ):
        name = "literal_column"
    makes_sql = name in names if isinstance(node.func, ast.Name) else name in MAKES_SQL
    if makes_sql or name == "literal_column":
        literal_name = isinstance(argument, ast.Name) and argument.id in bound.literal
        if unpacked or argument is None or not (is_literal(argument) or literal_name):
            yield node.lineno, f"{name}() is given SQL text that is not a string literal"
    elif name in EXECUTES and (
        # Every positional argument: an unbound method takes the connection first.
        unpacked
        or any(is_built_string(value, bound.built) for value in [*node.args, argument] if value)
    ):
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
        for line, problem in sorted(set(findings(tree))):
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
