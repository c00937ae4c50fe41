"""SQL text is a literal or a statement object, never built from strings.

ruff bans the entry points that run SQL text (pyproject.toml, TID251);
tools/check_sql.py covers what a ban of imported names cannot see.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src"
# The ruff of this venv, the one `make lint` and `make audit-code` run.
RUFF = Path(sys.executable).with_name("ruff")

STEPS = 'sql = "SELECT * FROM runs WHERE label = \'"\nsql += label\n'
BUILT = {
    "f-string": "conn.execute(f\"SELECT * FROM runs WHERE label = '{label}'\")",
    "percent": "conn.execute(\"SELECT * FROM runs WHERE label = '%s'\" % label)",
    "format": 'conn.execute("SELECT * FROM runs WHERE id = {}".format(run_id))',
    "concatenated": 'conn.execute("DELETE FROM runs WHERE label = \'" + label + "\'")',
    "joined": 'conn.execute(" ".join(["SELECT * FROM", table]))',
    "in-steps-to-execute": STEPS + "conn.execute(sql)",
    "in-steps-to-read-sql": STEPS + "pd.read_sql(sql=sql, con=engine)",
    "in-steps-to-text": "from sqlalchemy import text\n" + STEPS + "text(sql)",
    "from-a-helper": "def build(label):\n    return 'x' + label\n\nconn.execute(build(label))",
    "from-a-helper-in-steps": "def build(label):\n    "
    + STEPS.replace("\n", "\n    ")
    + "return sql\n\nsql = build(label)\nconn.execute(sql)",
    "parameter-to-text": "from sqlalchemy import text\n\ndef query(sql):\n    return text(sql)",
    "text-keyword": "from sqlalchemy import text\ntext(text=query)",
    "text-unpacked": 'from sqlalchemy import text\ntext(**{"text": query})',
    "text-renamed": "from sqlalchemy import text as t\nt(query)",
    "text-aliased": "from sqlalchemy import text\nt = text\nt(query)",
    "text-partial": "import functools\nfrom sqlalchemy import text\nfunctools.partial(text)(query)",
    "text-getattr": 'import sqlalchemy\ngetattr(sqlalchemy, "text")(query)',
    "module-text": "import sqlalchemy\nsqlalchemy.text(query)",
    "text-clause": "from sqlalchemy.sql.elements import TextClause\nTextClause(query)",
    "ddl": "from sqlalchemy import DDL\nDDL(query)",
    "literal-column": "from sqlalchemy import literal_column\nliteral_column(column_name)",
    "column-is-literal": "column(name, is_literal=True)",
    "driver-sql": "conn.exec_driver_sql(statement)",
    "driver-sql-keyword": "conn.exec_driver_sql(statement=statement)",
    "executescript": "cursor.executescript(script)",
    "unbound-method": 'sqlite3.Connection.execute(conn, f"SELECT {label}")',
    "method-alias": 'run = conn.execute\nrun(f"SELECT {label}")',
    "method-partial": 'functools.partial(conn.execute, f"SELECT {label}")()',
    "class-attribute": 'class Q:\n    SQL = f"SELECT {label}"\n\nconn.execute(Q.SQL)',
    "tuple-unpacked": 'sql, params = f"SELECT {label}", {}\nconn.execute(sql)',
    "loop-variable": 'for sql in [f"SELECT {label}"]:\n    conn.execute(sql)',
    "literal-rebound": (
        'from sqlalchemy import text\nSQL = "SELECT 1"\nSQL, _ = f"SELECT {x}", 0\ntext(SQL)'
    ),
    "globals": 'globals()["SQL"] = f"SELECT {label}"\nconn.execute(SQL)',
    "dict-item": 'queries = {"q": f"SELECT {label}"}\nconn.execute(queries["q"])',
    "bound-format": 'fmt = "SELECT {}".format\nconn.execute(fmt(label))',
    "string-io": "buf = io.StringIO()\nbuf.write(label)\nconn.execute(buf.getvalue())",
    "check-constraint": 'import sqlalchemy as sa\nsa.CheckConstraint(f"x > {limit}")',
    "prefix-with": 'select(runs).prefix_with(f"/* {label} */")',
    "psycopg-sql": 'from psycopg import sql\nsql.SQL(f"SELECT {label}")',
    "star-import": "from sqlalchemy import *\ntext(query)",
    "submodule-alias": "from sqlalchemy import sql as s\nt = s.text",
    "module-dict": (
        'from sqlalchemy import text\nimport sys\nsys.modules[m].__dict__["Q"] = u\nQ = ""\ntext(Q)'
    ),
    "globals-alias": 'from sqlalchemy import text\ng = globals\ng()["Q"] = user\nQ = "x"\ntext(Q)',
    "driver-sql-alias": "raw = conn.exec_driver_sql\nraw(user)",
    "executescript-partial": "functools.partial(cur.executescript, user)()",
    "getattr-by-variable": 'import sqlalchemy as sa\nname = "text"\ngetattr(sa, name)(user)',
    "module-alias": "import sqlalchemy\nlib = sqlalchemy\nlib.text(user)",
    "sys-modules": 'import sys\nsys.modules["sqlalchemy"].text(user)',
    "vars-of-module": 'import sqlalchemy as sa\nvars(sa)["text"](user)',
    "type-of-a-clause": 'from sqlalchemy import text\ntype(text("SELECT 1"))(user)',
    "clause-changed": 'from sqlalchemy import text\nstmt = text("SELECT 1")\nstmt.text = user',
    "column-clause": "ColumnClause(user, is_literal=True)",
    "column-positional": "column(user, None, True)",
    "column-unpacked": 'column(user, **{"is_literal": True})',
    "ddl-context": 'from sqlalchemy import DDL\nDDL("DROP TABLE %(name)s", context={"name": user})',
    "quoted-name": "from sqlalchemy.sql import quoted_name\ntable(quoted_name(user, False))",
    "compiles": (
        "from sqlalchemy.ext.compiler import compiles\n\n@compiles(Raw)\ndef f(e, c):\n    ..."
    ),
    "re-sub": 'conn.execute(re.sub("X", table, "SELECT * FROM X"))',
    "linesep-join": 'conn.execute(os.linesep.join(["SELECT", label]))',
    "jinja": "pd.read_sql(jinja2.Template(sql).render(x=label), conn)",
    "duckdb": 'duckdb.sql(f"SELECT * FROM {table}")',
    "walrus": "conn.execute(q := \"SELECT '%s'\" % label)",
    "template": 'conn.execute(string.Template("SELECT $l").substitute(l=label))',
    "dunder-add": 'conn.execute("SELECT ".__add__(label))',
    "str-call": 'conn.execute(str(f"SELECT {label}"))',
    "conditional": 'conn.execute(f"SELECT {label}" if label else "SELECT 1")',
    "dedent": 'conn.execute(textwrap.dedent(f"SELECT {label}"))',
    "pandas": 'pd.read_sql_query(f"SELECT * FROM {table}", conn)',
    # A query built in another module: the literal rule and the driver rule see it.
    "driver-sql-from-another-module": (
        "from .queries import by_label\n\nconn.exec_driver_sql(by_label(label))"
    ),
    "raw-connection": "from .queries import by_label\n\n"
    "engine.raw_connection().cursor().execute(by_label(label))",
    "cursor-of-a-connection": "cur = conn.connection.cursor()\ncur.execute(statement)",
    "driver-connection": "conn.connection.driver_connection.execute(statement)",
    "dbapi-connection": "run(conn.connection.dbapi_connection, statement)",
    "pooled-connection": "conn.connection.execute(statement)",
    "pooled-connection-elsewhere": "from .queries import run\n\nrun(conn.connection, statement)",
    "operator-built": "select(runs).where(runs.c.label.op(operator)(value))",
    "operator-joined": 'runs.c.label.op("= " + value)(label)',
    "bool-operator-built": "runs.c.label.bool_op(name)(value)",
    "pandas-by-import-module": (
        "import importlib\n\nimportlib.import_module('pandas').read_sql(by_label(label), conn)"
    ),
    "pandas-by-dunder-import": "__import__('pandas.io.sql').read_sql(statement, conn)",
    "import-module-by-variable": "import importlib\n\nimportlib.import_module(name)",
    "pandas-relative-to-it": (
        "import importlib\n\nimportlib.import_module('.io.sql', 'pandas').read_sql(q, conn)"
    ),
    "relative-to-a-rebound-name": (
        "import importlib\n\n__name__ = 'pandas'\nimportlib.import_module(f'.{name}', __name__)"
    ),
    "relative-to-a-rebound-package": (
        "import importlib\n\ndef f(__package__):\n"
        "    return importlib.import_module('.io', __package__)"
    ),
    "pandas-by-a-relative-dunder-import": (
        "__import__('io.sql', {'__package__': 'pandas'}, None, ['read_sql'], 1)"
    ),
    "pandas-by-a-relative-dunder-level": (
        "__import__('io', {'__package__': 'pandas'}, None, [], level=1)"
    ),
    "pandas-by-resolve-name": "import pkgutil\n\npkgutil.resolve_name('pandas:read_sql')(q, conn)",
    "resolve-name-by-variable": "import pkgutil\n\npkgutil.resolve_name(name)",
    "pandas-by-sys-modules": "import sys\n\nsys.modules['pandas'].read_sql(statement, conn)",
    "sqlite3-by-sys-modules": "import sys\n\nsys.modules['sqlite3'].connect(path)",
}
BOUND = {
    "core": "conn.execute(select(runs).where(runs.c.label == label))",
    "statement-variable": "query = select(runs)\nconn.execute(query)",
    "literal-text": 'conn.execute(text("SELECT * FROM runs WHERE label = :l"), {"l": label})',
    "literal-constant": 'from sqlalchemy import text\nQ = "SELECT 1"\n\ndef f():\n    text(Q)',
    "dbapi-placeholders": 'cursor.execute("UPDATE runs SET label = ? WHERE id = ?", (label, 1))',
    "pandas-statement": "pd.read_sql(select(runs), conn)",
    "a-variable-called-text": "def f(text):\n    return text.strip()",
    "an-attribute-called-text": "print(response.text)",
    "matplotlib-text": "ax.text(0.5, 0.5, f'accuracy {accuracy:.2f}')",
    "a-mock-of-execute": "conn.execute.assert_called_once()",
    "execute-as-a-task": "pool.map(Task.execute, tasks)",
    "parameters-joined": "conn.execute(insert(runs), old_rows + new_rows)",
    "a-choice-of-literals": 'from sqlalchemy import text\ntext("SELECT 1" if new else "SELECT 2")',
    "a-local-named-text": "from sqlalchemy import text\n\ndef f(text):\n    return len(text)",
    "model-eval": 'from sqlalchemy import text\nmodel.eval()\nQ = "SELECT 1"\ntext(Q)',
    "frame-eval": 'from sqlalchemy import text\ndf.eval("a + b")\nQ = "SELECT 1"\ntext(Q)',
    "vars-of-args": 'from sqlalchemy import text\nsettings = vars(args)\nQ = "SELECT 1"\ntext(Q)',
    "monkeypatch": 'from sqlalchemy import text\nmonkeypatch.setattr(x, "y", 1)\nQ = "S"\ntext(Q)',
    "a-query-string-elsewhere": (
        "def f(df):\n    query = \"cohort == 'north'\"\n    return df.query(query)\n\n"
        "def g(conn, query):\n    return pd.read_sql(query.order_by(runs.c.id), conn)"
    ),
    "a-table-name-elsewhere": (
        'def f():\n    table = "samples"\n    return table\n\n'
        "def g(conn, table, rows):\n    conn.execute(table.insert(), rows)"
    ),
    "a-table-hint": 'select(runs).with_hint(runs, "WITH (NOLOCK)", "mssql")',
    "a-literal-operator": 'select(runs).where(runs.c.tags.op("@>")(wanted))',
    "another-module-by-name": "import importlib\n\nimportlib.import_module('json')",
    # The hardening API's lazy names: a module of this package, by a relative name.
    "own-module-by-relative-name": (
        "import importlib\n\nimportlib.import_module(f'.{source}', __name__)"
    ),
    "own-module-by-relative-sum": (
        "import importlib\n\nimportlib.import_module('.' + source, __package__)"
    ),
    "another-name-resolved": "import pkgutil\n\npkgutil.resolve_name('json:dumps')",
    "another-statement-attribute": (
        'report.statement = f"{n} rows"\nconn.execute(query.statement)'
    ),
}


@pytest.mark.parametrize("code", BUILT.values(), ids=BUILT.keys())
def test_sql_built_from_strings_fails(tools, tmp_path, capsys, code):
    (tmp_path / "module.py").write_text(code + "\n")
    assert tools("check_sql").main([str(tmp_path)]) == 1
    assert "module.py:" in capsys.readouterr().err


@pytest.mark.parametrize("code", BOUND.values(), ids=BOUND.keys())
def test_bound_queries_pass(tools, tmp_path, code):
    (tmp_path / "module.py").write_text(code + "\n")
    assert tools("check_sql").main([str(tmp_path)]) == 0


def test_the_package_builds_no_sql_from_strings(tools):
    assert tools("check_sql").main([str(SOURCES)]) == 0


# Each way into SQL text that ruff's ban must refuse, whatever the query is
# and wherever it was built (here: imported from another module).
BANNED = {
    "pandas-read-sql": "import pandas as pd\npd.read_sql(by_label(label), conn)",
    "pandas-renamed": "import pandas\npandas.read_sql_query(by_label(label), conn)",
    "pandas-from": "from pandas import read_sql as rs\nrs(by_label(label), conn)",
    "pandas-io-sql": "import pandas as pd\npd.io.sql.read_sql(by_label(label), conn)",
    "pandas-read-sql-table": "import pandas as pd\npd.read_sql_table(table_name, conn)",
    "text": "from sqlalchemy import text\nconn.execute(text(by_label(label)))",
    "sql-text": "from sqlalchemy.sql import text\ntext(by_label(label))",
    "expression-text": "from sqlalchemy.sql.expression import text as t\nt(by_label(label))",
    "module-text": "import sqlalchemy as sa\nsa.text(by_label(label))",
    "text-clause": "from sqlalchemy.sql.elements import TextClause\nTextClause(by_label(label))",
    "literal-column": "from sqlalchemy import literal_column\nliteral_column(name)",
    "ddl": "from sqlalchemy.schema import DDL\nDDL(by_label(label))",
    "sqlite3": "import sqlite3\nsqlite3.connect(path).execute(by_label(label))",
    "sqlite3-submodule": "from sqlite3.dbapi2 import connect\nconnect(path)",
    "psycopg": "import psycopg\npsycopg.connect(url).execute(by_label(label))",
    "psycopg-sql": "from psycopg import sql\nsql.SQL(by_label(label))",
    "psycopg2": "import psycopg2.extras\npsycopg2.extras.execute_values(cur, q, rows)",
}
STATEMENTS = {
    "select": "from sqlalchemy import select\nconn.execute(select(runs))",
    "read-query": "from .hardening import database\ndatabase.read_query(select(runs), conn)",
    "sqlalchemy-core": "from sqlalchemy import Column, MetaData, Table, Text, func, insert",
    "pandas": "import pandas as pd\npd.DataFrame(rows).to_csv(path)",
}


def ruff(module: Path) -> subprocess.CompletedProcess[str]:
    """The project's ruff settings, the SQL ban alone, on one planted module."""
    command = [RUFF, "check", "--no-cache", "--quiet", "--select", "TID251"]
    command += ["--config", ROOT / "pyproject.toml", module]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("code", BANNED.values(), ids=BANNED.keys())
def test_raw_sql_entry_points_are_banned(tmp_path, code):
    module = tmp_path / "report.py"
    module.write_text("from .queries import by_label\n" + code + "\n")
    done = ruff(module)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "TID251" in done.stdout
    assert "is banned" in done.stdout


@pytest.mark.parametrize("code", STATEMENTS.values(), ids=STATEMENTS.keys())
def test_statements_pass_the_ban(tmp_path, code):
    module = tmp_path / "report.py"
    module.write_text(code + "\n")
    done = ruff(module)
    assert done.returncode == 0, done.stdout + done.stderr
