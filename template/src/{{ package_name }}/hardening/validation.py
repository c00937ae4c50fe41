"""Checking input against its declared schema, with errors that hold no data.

pandera reports every failed check with the offending cell values, and those
may be sensitive (a patient's measurement, a customer's name). :func:`validate`
runs the project's schema on every row and, when anything fails, raises
:class:`DataValidationError` naming the source, each column, each failed
check and how many rows failed it: never a value, and with no chained
exception that could carry one.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

# pandera's checks on the frame itself, reported with the column they name.
_FRAME_CHECKS = {
    "column_in_dataframe": "missing column",
    "column_in_schema": "unexpected column",
}


class DataValidationError(ValueError):
    """Input failed its schema. The message names columns and checks, never values."""


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, source: str) -> pd.DataFrame:
    """Return ``frame`` as the schema makes it (types coerced), or raise for every problem."""
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as error:
        problems = _summarise(error.failure_cases)
    except SchemaError as error:  # a check that could not run at all
        problems = [f"{error.schema.name or 'the table'}: {_check_name(error.check)}"]
    raise DataValidationError(
        f"{source}: failed validation ({len(frame)} rows checked), nothing was written: "
        + "; ".join(problems)
    ) from None


def _summarise(cases: pd.DataFrame) -> list[str]:
    frame_level: list[str] = []
    rows: Counter[tuple[str, str]] = Counter()
    seen: set[tuple[str, str, object]] = set()
    for case in cases.itertuples(index=False):
        check_name = str(case.check)
        if check_name in _FRAME_CHECKS:
            # failure_case is the column's name here, not a cell value.
            frame_level.append(f"{_FRAME_CHECKS[check_name]} {case.failure_case!s}")
            continue
        column = "the table" if pd.isna(case.column) else f"column {case.column}"
        if case.index is None or pd.isna(case.index):  # the column as a whole
            whole = f"{column} failed {_check_name(check_name)}"
            if whole not in frame_level:
                frame_level.append(whole)
            continue
        key = (column, _check_name(check_name), case.index)
        if key not in seen:
            seen.add(key)
            rows[key[:2]] += 1
    return frame_level + [
        f"{column} failed {check_name} in {count} row{'s' if count != 1 else ''}"
        for (column, check_name), count in sorted(rows.items())
    ]


def _check_name(check: object) -> str:
    # Checks are named by the schema (in_range(0, 5000)), never by the data.
    return str(getattr(check, "name", None) or check)
