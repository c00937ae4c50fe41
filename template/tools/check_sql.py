"""Fail on SQL text built from strings: `make audit-code` runs it after ruff.

Usage: ``python tools/check_sql.py [FOLDER_OR_FILE ...]`` (default: ``src``)

ruff carries the main rule: ``pyproject.toml`` bans (TID251) the entry
points that run SQL text, ``sqlalchemy.text``, ``TextClause``,
``literal_column``, ``DDL``, ``pandas.read_sql*`` and the drivers
(``sqlite3``, ``psycopg``, ``psycopg2``), however the query was made and
wherever it comes from; S608 flags a query written as one string expression.
A ban sees imported names only. This check covers what it cannot:

1. **SQL-making functions and methods take literals.** ``text`` and the
   others above (reached through a path ruff does not list, such as a
   dialect module), ``column(..., is_literal=True)``, ``CheckConstraint``,
   ``Computed``, ``quoted_name``, psycopg's ``SQL``, psycopg2's ``AsIs``,
   and the methods ``exec_driver_sql``, ``executescript``, ``prefix_with``,
   ``suffix_with``, ``with_hint`` must be given a string literal, a choice of
   literals, or a name that is only ever bound, anywhere in the module, to a
   string literal (``QUERY = "SELECT ..."``). Anything else fails, from any
   module, and so does reaching them by a name in a string: an alias,
   ``partial``, ``getattr``, ``attrgetter``, ``methodcaller``.
2. **Nothing goes round the ban.** ``raw_connection()``, ``cursor()``,
   ``.driver_connection`` and ``.dbapi_connection`` hand out the driver,
   which runs any string, and ``import_module``, ``__import__``,
   ``pkgutil.resolve_name`` and ``sys.modules`` reach pandas or a SQL package
   by a string (or by a name not written out) where ruff cannot see it: each
   fails wherever it is used, but for ``import_module(".name", __name__)``,
   which reaches a module of the package itself.
3. **No built string reaches execute.** ``execute``, ``executemany``,
   ``read_sql`` and ``read_sql_query`` must not be given, as their statement,
   a string built at run time: an f-string, ``+`` or ``%`` with a string, a
   string method, a helper of the module that returns one, or a name, item
   or attribute bound to one anywhere in the module. This rule follows
   strings within one module only; SQLAlchemy's ``execute`` refuses a plain
   string at run time, and rules 1 and 2 and the ban close the other ways.

Not followed: ``exec``/``eval``, a function reached through another module's
helpers, and code outside the folders given (``make audit-code``: ``src``).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SQL_PACKAGES = {"sqlalchemy", "psycopg", "psycopg2", "sqlite3"}
# What ruff's ban covers by imported name: reaching them by a string instead
# (import_module("pandas").read_sql, sys.modules["sqlite3"]) is refused here.
BANNED_PACKAGES = SQL_PACKAGES | {"pandas"}
# What finds a module, or a name in one, from a string at run time.
FINDS_MODULES = {"import_module", "__import__", "resolve_name"}
# Functions of those packages that turn a string into SQL.
MAKES_SQL = {
    "text",
    "TextClause",
    "literal_column",
    "DDL",
    "CheckConstraint",
    "Computed",
    "quoted_name",  # quote=False renders a name as given
    "SQL",  # psycopg.sql.SQL
    "AsIs",  # psycopg2.extensions.AsIs
}
# Methods that do, whatever they are called on (their names are distinctive).
SQL_METHODS = {
    "exec_driver_sql",
    "executescript",
    "prefix_with",
    "suffix_with",
    "with_hint",
    "with_statement_hint",
    # column.op("@>"): the operator is rendered into the SQL as written.
    "op",
    "bool_op",
}
# Of those, the ones that take several pieces of SQL text, each a literal.
MULTIPLE = {"prefix_with", "suffix_with"}
# Of those, the ones whose SQL text is not their first argument.
TEXT_AT = {"with_hint": 1}
SQL_KEYWORDS = {"text", "sql", "sqltext", "statement", "operation", "sql_script", "query"}
# Calls that also take statement objects: only a built string is refused.
EXECUTES = {"execute", "executemany", "read_sql", "read_sql_query"}
# duckdb.sql, spark.sql, polars.read_database, psycopg2.extras helpers.
EXECUTES |= {"sql", "read_database", "execute_values", "execute_batch", "copy_expert"}
# Calls and attributes that hand out the driver, whose cursor runs any string.
DRIVER_CALLS = {"raw_connection", "cursor"}
# A Connection's .connection is the pool's driver connection: sqlite3's and
# psycopg's run a string given to .execute().
DRIVER_ATTRIBUTES = {"driver_connection", "dbapi_connection", "connection"}
# Functions that make one string of their string arguments.
COMBINERS = {"str", "add", "concat", "mod", "dedent", "indent", "sub"}
# Functions that reach an attribute by a name given as a string.
REACHES = {"getattr", "attrgetter", "methodcaller"}
# Built-ins that reach a module's names as a dictionary, or run code; and
# attributes that do (obj.__dict__, function.__globals__, frame.f_globals).
DYNAMIC = {"globals", "locals", "setattr", "exec", "eval"}
DYNAMIC_ATTRIBUTES = {"__dict__", "__globals__", "f_globals", "f_locals"}
# String methods that make a new string from a string bound to a name.
STRING_METHODS = {
    "format",
    "format_map",
    "join",
    "replace",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "casefold",
    "title",
    "__add__",
    "__mod__",
    "encode",
    "decode",
    "removeprefix",
    "removesuffix",
    "ljust",
    "rjust",
    "center",
    "zfill",
    "expandtabs",
    "translate",
}


class Module:
    """What one module binds: the facts both rules need."""

    def __init__(self) -> None:
        self.sinks: set[str] = set()  # bare names of SQL-making functions
        self.sql_modules: set[str] = set()  # names bound to SQL packages and their parts
        self.literal: set[str] = set()  # names only ever bound to string literals
        self.strings: set[str] = set()  # names bound to a string literal at least once
        self.bound: set[str] = set()  # every name the module binds
        self.built: set[str] = set()  # names, attributes, "helper()"s bound to built strings
        self.dynamic = False  # globals()[...] and friends: no name is known
        self.classes: set[str] = set()  # classes of the module, whose attributes are its own


def is_literal(node: ast.expr | None) -> bool:
    """A string literal, or a choice between string literals."""
    if isinstance(node, ast.IfExp):
        return is_literal(node.body) and is_literal(node.orelse)
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def package_named(node: ast.expr | None) -> str | None:
    """The top package a string literal names (``"pandas.io.sql"``, ``"pandas:read_sql"``),
    else None; a relative name (``".io"``) names none."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split(":")[0].split(".")[0] or None
    return None


def imports_own_module(call: ast.Call, tree: ast.Module) -> bool:
    """``import_module(".name", __name__)``: a relative name anchored at this module's
    own package reaches only the project's modules, which this check reads too. Not
    when the module binds ``__name__`` or ``__package__`` itself, anywhere."""
    if called_name(call) != "import_module" or len(call.args) != 2 or call.keywords:
        return False
    name, anchor = call.args
    start = name
    if isinstance(name, ast.JoinedStr) and name.values:
        start = name.values[0]
    elif isinstance(name, ast.BinOp) and isinstance(name.op, ast.Add):
        start = name.left
    relative = isinstance(start, ast.Constant) and str(start.value).startswith(".")
    anchors = {"__name__", "__package__"}
    if not (relative and isinstance(anchor, ast.Name) and anchor.id in anchors):
        return False
    return not any(
        (isinstance(node, ast.Name) and node.id in anchors and not isinstance(node.ctx, ast.Load))
        or (isinstance(node, ast.arg) and node.arg in anchors)
        or (isinstance(node, ast.alias) and (node.asname or node.name) in anchors)
        or (isinstance(node, ast.Global | ast.Nonlocal) and anchors & set(node.names))
        for node in ast.walk(tree)
    )


def root_name(node: ast.expr) -> str | None:
    """``sa`` in ``sa.sql.expression.text``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def relative_dunder_import(call: ast.Call) -> bool:
    """``__import__("io.sql", {"__package__": "pandas"}, None, [], 1)``: a level other
    than 0 resolves the name against whatever package the globals given claim."""
    if called_name(call) != "__import__":
        return False
    levels = [*call.args[4:5], *(k.value for k in call.keywords if k.arg == "level")]
    return any(not (isinstance(level, ast.Constant) and level.value == 0) for level in levels)


def binding_sites(tree: ast.Module) -> Iterator[tuple[ast.expr, ast.expr | None, bool]]:
    """Every place a name or attribute is bound: (target, value, value is the target's own)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value, isinstance(target, ast.Name | ast.Attribute)
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
            yield node.target, node.value, True
        elif isinstance(node, ast.AugAssign):
            yield node.target, node, False  # the whole statement: sql += label
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield node.target, node.iter, False
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield node.optional_vars, node.context_expr, False
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            yield ast.Name(node.name), None, False
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield ast.Name(node.rest), None, False
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield ast.Name(node.name), None, False
        elif isinstance(node, ast.arg):
            yield ast.Name(node.arg), None, False
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                yield ast.Name((alias.asname or alias.name).split(".")[0]), None, False
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:  # bound elsewhere, in a way not seen here
                yield ast.Name(name), None, False


def names_in(target: ast.expr) -> Iterator[str]:
    """Names and attribute names a target binds: ``a``, ``(a, b)``, ``self.sql``."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Attribute):
        base = root_name(target)
        yield f"{base}.{target.attr}" if base else target.attr
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from names_in(element)
    elif isinstance(target, ast.Starred | ast.Subscript):
        yield from names_in(target.value)


class Strings:
    """Which expressions of a module make a string at run time."""

    def __init__(self, module: Module) -> None:
        self.module = module

    def stringy(self, node: ast.expr) -> bool:
        """A string, literal or built."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str | bytes)
        if isinstance(node, ast.Name) and node.id in self.module.strings:
            return True
        if isinstance(node, ast.Call) and called_name(node) == "str":
            return True
        return self.built(node)

    def built(self, node: ast.expr) -> bool:
        """A string made at run time, or a name, item or attribute bound to one."""
        built = self.module.built
        if isinstance(node, ast.Name):
            return node.id in built
        if isinstance(node, ast.Attribute):  # self.sql, Q.SQL, a property, "...".format
            base = root_name(node) or ""
            own = base in {"self", "cls"} | self.module.classes
            return (
                f"{base}.{node.attr}" in built
                or (own and node.attr in built)
                or f"{node.attr}()" in built
                or (node.attr in STRING_METHODS and self.stringy(node.value))
            )
        if isinstance(node, ast.Subscript | ast.Starred):
            return self.carries(node.value)
        if isinstance(node, ast.NamedExpr):
            return self.built(node.value)
        if isinstance(node, ast.JoinedStr):
            return any(isinstance(part, ast.FormattedValue) for part in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod | ast.Mult):
            return self.stringy(node.left) or self.stringy(node.right)
        if isinstance(node, ast.IfExp):
            return self.built(node.body) or self.built(node.orelse)
        if isinstance(node, ast.Call):
            return self.built_by_call(node)
        return False

    def built_by_call(self, node: ast.Call) -> bool:
        func = node.func
        name = called_name(node)
        if isinstance(func, ast.Attribute) and (
            self.built(func.value)
            or isinstance(func.value, ast.Constant | ast.JoinedStr)
            or (func.attr in STRING_METHODS and self.stringy(func.value))
        ):
            return True  # a method of a string: .format, .casefold, .join, .decode ...
        if self.built(func):
            return True  # fmt = "...".format; fmt(label)
        if f"{name}()" in self.module.built:
            return True  # a helper of the module that returns a built string
        if name in {"getvalue", "substitute", "safe_substitute", "render"}:
            return True  # a StringIO written piece by piece; a template filled in
        if name == "join" and node.args and isinstance(node.args[0], ast.List | ast.Tuple):
            # os.linesep.join(["SELECT", label]): parts that are strings make one.
            return any(self.stringy(part) for part in node.args[0].elts)
        if (isinstance(func, ast.Attribute) and root_name(func) == "str") or name in COMBINERS:
            # str.format(sql, label), operator.add(a, b), textwrap.dedent(sql), ...
            return any(self.stringy(argument) for argument in node.args)
        return False

    def carries(self, node: ast.AST | None) -> bool:
        """``node`` is a built string, or a container, item or choice holding one.

        Only what keeps a string as it is counts: a call such as Table(...)
        or select(...) with a built string among its arguments does not.
        """
        if node is None:
            return False
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(self.carries(element) for element in node.elts)
        if isinstance(node, ast.Dict):
            return any(self.carries(value) for value in node.values)
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return self.carries(node.elt)
        if isinstance(node, ast.DictComp):
            return self.carries(node.value)
        if isinstance(node, ast.expr):
            return self.built(node)
        return False


def facts(tree: ast.Module) -> Module:
    module = Module()
    module.classes = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SQL_PACKAGES:
                    module.sql_modules.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_PACKAGES:
            for alias in node.names:
                if alias.name == "*":
                    module.sinks |= MAKES_SQL
                elif alias.name in MAKES_SQL:
                    module.sinks.add(alias.asname or alias.name)
                else:  # a submodule (from sqlalchemy import sql as s) or a class
                    module.sql_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Name) and node.id in DYNAMIC:
            module.dynamic = True  # globals()[...], g = globals; model.eval() is not this
        elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
            module.dynamic = True
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
            module.dynamic |= called_name(node.value) == "vars"  # vars(module)["name"]
    # Literal names: every binding a literal (a `global` or loop makes it not one).
    bindings: dict[str, list[bool]] = {}
    for target, value, own in binding_sites(tree):
        for name in names_in(target):
            literal = own and isinstance(target, ast.Name) and is_literal(value)
            bindings.setdefault(name, []).append(literal)
    module.bound = set(bindings)
    # lib = sqlalchemy: the name is the package too.
    for target, value, _ in binding_sites(tree):
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Name)
            and value.id in module.sql_modules
        ):
            module.sql_modules.add(target.id)
    module.strings = {name for name, kinds in bindings.items() if any(kinds)}
    if not module.dynamic:
        module.literal = {name for name, kinds in bindings.items() if all(kinds)}
    strings = Strings(module)
    changed = True
    while changed:  # built from built is built: repeat until nothing changes
        changed = False
        found: set[str] = set()
        for target, value, _ in binding_sites(tree):
            if isinstance(value, ast.AugAssign):  # sql += label, with a string on either side
                built = strings.stringy(value.target) or strings.stringy(value.value)
            else:
                built = strings.carries(value)
            if built:
                found.update(names_in(target))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                returns = [part for part in ast.walk(node) if isinstance(part, ast.Return)]
                if any(strings.carries(part.value) for part in returns):
                    found.add(f"{node.name}()")
        if not found <= module.built:
            module.built |= found
            changed = True
    return module


def sql_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in SQL_KEYWORDS:
            return keyword.value
    return None


def of_sql_module(node: ast.Attribute, module: Module) -> bool:
    """``sa.text``, ``sqlalchemy.sql.expression.text``, ``import_module("sqlalchemy").text``."""
    if node.attr not in MAKES_SQL:
        return False
    base = node.value
    while isinstance(base, ast.Attribute):
        base = base.value
    if isinstance(base, ast.Call):  # a module found at run time
        return called_name(base) in FINDS_MODULES
    if isinstance(base, ast.Subscript):  # sys.modules["sqlalchemy"]
        return getattr(base.value, "attr", None) == "modules"
    return isinstance(base, ast.Name) and base.id in module.sql_modules


def makes_sql(call: ast.Call, module: Module) -> str | None:
    """The name of the SQL-making function ``call`` calls, if it calls one."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in module.sinks:
        return func.id
    if isinstance(func, ast.Attribute):
        if func.attr in SQL_METHODS:
            return func.attr
        if of_sql_module(func, module):
            return func.attr
    if called_name(call) in {"column", "ColumnClause"}:
        # is_literal by keyword, third by position, or hidden in **options.
        flags = [keyword.value for keyword in call.keywords if keyword.arg == "is_literal"]
        flags += call.args[2:3]
        unpacked = any(keyword.arg is None for keyword in call.keywords)
        if unpacked or any(
            not (isinstance(flag, ast.Constant) and flag.value in {False, None}) for flag in flags
        ):
            return f"{called_name(call)}(is_literal=True)"
    return None


def findings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    module = facts(tree)
    strings = Strings(module)
    callees: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callees.add(id(node.func))
        unpacked = any(keyword.arg is None for keyword in node.keywords)
        sink = makes_sql(node, module)
        if sink:
            # prefix_with("a", "b") takes several: each must be a literal.
            if sink in MULTIPLE:
                given: list[ast.expr | None] = list(node.args)
            elif sink in TEXT_AT:
                given = node.args[TEXT_AT[sink] : TEXT_AT[sink] + 1] or [None]
            else:
                given = [sql_argument(node)]
            # DDL("... %(name)s", context={...}): the context is spliced in too.
            given += [
                value
                for keyword in node.keywords
                if keyword.arg == "context"
                for value in (
                    keyword.value.values if isinstance(keyword.value, ast.Dict) else [keyword.value]
                )
            ]
            fine = all(
                is_literal(value) or (isinstance(value, ast.Name) and value.id in module.literal)
                for value in given
            )
            if unpacked or not given or not fine:
                yield node.lineno, f"{sink}() is given SQL text that is not a string literal"
        elif called_name(node) in EXECUTES:
            statement = [sql_argument(node)]
            # sqlite3.Connection.execute(connection, sql): the connection comes first.
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            owner_name = getattr(owner, "attr", None) or getattr(owner, "id", "")
            if owner_name[:1].isupper():
                statement += node.args[1:2]
            # globals()["SQL"] = ...: a name bound nowhere in the module is not known.
            unknown = module.dynamic and any(
                isinstance(value, ast.Name) and value.id not in module.bound for value in statement
            )
            if unpacked or unknown or any(value and strings.built(value) for value in statement):
                yield node.lineno, f"{called_name(node)}() is given SQL text built at run time"
        if called_name(node) in REACHES and any(
            isinstance(value, ast.Constant) and value.value in MAKES_SQL | SQL_METHODS | EXECUTES
            for value in node.args
        ):
            yield node.lineno, f"{called_name(node)}() reaches a function that takes SQL text"
        if (
            called_name(node) == "getattr"
            and len(node.args) > 1
            and not isinstance(node.args[1], ast.Constant)
            and root_name(node.args[0]) in module.sql_modules
        ):
            yield node.lineno, "getattr() reaches into a SQL package by a name not written out"
        if called_name(node) in FINDS_MODULES and not imports_own_module(node, tree):
            package = package_named(node.args[0] if node.args else None)
            if package is None or package in BANNED_PACKAGES or relative_dunder_import(node):
                yield node.lineno, f"{called_name(node)}() reaches a module past ruff's SQL ban"
        if called_name(node) in DRIVER_CALLS:
            yield node.lineno, f"{called_name(node)}() reaches the driver, which runs any string"
        if called_name(node) == "compiles":
            yield node.lineno, "compiles() makes SQL by hand, which this check cannot follow"
        if isinstance(node.func, ast.Call) and called_name(node.func) == "type":
            inner = node.func.args[0] if node.func.args else None
            if isinstance(inner, ast.Call) and makes_sql(inner, module):
                yield node.lineno, "the type of a SQL-making call is called with SQL text"
    yield from passed_around(tree, module, callees)
    clauses = {
        target.id
        for target, value, _ in binding_sites(tree)
        if isinstance(target, ast.Name) and isinstance(value, ast.Call) and makes_sql(value, module)
    }
    for node in ast.walk(tree):
        # stmt = text("SELECT 1"); stmt.text = ...: the literal rule, undone afterwards.
        if isinstance(node, ast.Assign | ast.AugAssign) and any(
            isinstance(target, ast.Attribute) and root_name(target) in clauses
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        ):
            yield node.lineno, "a SQL clause is changed after it was made"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in DRIVER_ATTRIBUTES:
            yield node.lineno, f"{node.attr} reaches the driver, which runs any string"
        if isinstance(node, ast.Subscript) and getattr(node.value, "attr", None) == "modules":
            package = package_named(node.slice)
            if package is None or package in BANNED_PACKAGES:
                yield node.lineno, "sys.modules reaches a module past ruff's SQL ban"
    for node in ast.walk(tree):
        # vars(sa)["text"], sa.__dict__["text"]: a function reached by its name.
        key = getattr(node, "slice", None)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(key, ast.Constant)
            and key.value in MAKES_SQL | SQL_METHODS
        ):
            yield node.lineno, f"{key.value} is reached by its name instead of called"
    for node in ast.walk(tree):
        # run = conn.execute; run(sql), or partial(conn.execute, sql): a call rule 2 cannot see.
        aliased = isinstance(node, ast.Assign | ast.NamedExpr) and node.value
        if isinstance(node, ast.Call) and called_name(node) == "partial" and node.args:
            aliased = node.args[0]
        if isinstance(aliased, ast.Attribute) and aliased.attr in EXECUTES | SQL_METHODS:
            yield node.lineno, f"{aliased.attr} is bound to another name instead of called"


def passed_around(tree: ast.Module, module: Module, callees: set[int]) -> Iterator[tuple[int, str]]:
    """A SQL-making function used but not called: ``t = text``, ``partial(text)``."""

    def visit(node: ast.AST, local: set[str]) -> Iterator[tuple[int, str]]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            # A name bound in the function (a parameter called text) is not the import.
            local = local | {
                name
                for target, _, _ in binding_sites(ast.Module(body=[node], type_ignores=[]))
                for name in names_in(target)
                if target is not node
            }
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and id(node) not in callees
            and node.id in module.sinks
            and node.id not in local
        ):
            yield node.lineno, f"{node.id} is passed around instead of called with a literal"
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and id(node) not in callees
            and of_sql_module(node, module)
        ):
            yield node.lineno, f"{node.attr} is passed around instead of called with a literal"
        for child in ast.iter_child_nodes(node):
            yield from visit(child, local)

    yield from visit(tree, set())


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
