"""tools/check_sql.py: SQL text is a literal or a statement object, never built from strings."""

from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parents[2] / "src"

BUILT = {
    "f-string": "conn.execute(f\"SELECT * FROM runs WHERE label = '{label}'\")",
    "percent": "conn.execute(\"SELECT * FROM runs WHERE label = '%s'\" % label)",
    "format": 'conn.execute("SELECT * FROM runs WHERE id = {}".format(run_id))',
    "concatenated": 'conn.execute("DELETE FROM runs WHERE label = \'" + label + "\'")',
    "joined": 'conn.execute(" ".join(["SELECT * FROM", table]))',
    "text-of-a-variable": 'sql = "SELECT * FROM runs WHERE label = "\nsql += label\ntext(sql)',
    "text-renamed": "from sqlalchemy import text as t\nt(query)",
    "module-text": "sqlalchemy.text(query)",
    "literal-column": "literal_column(column_name)",
    "driver-sql": "conn.exec_driver_sql(statement)",
    "executescript": "cursor.executescript(script)",
    "pandas": 'pd.read_sql_query(f"SELECT * FROM {table}", conn)',
}
BOUND = {
    "core": "conn.execute(select(runs).where(runs.c.label == label))",
    "statement-variable": "query = select(runs)\nconn.execute(query)",
    "literal-text": 'conn.execute(text("SELECT * FROM runs WHERE label = :l"), {"l": label})',
    "dbapi-placeholders": 'cursor.execute("UPDATE runs SET label = ? WHERE id = ?", (label, 1))',
    "pandas-statement": "pd.read_sql(select(runs), conn)",
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
