"""What the pipeline's input must look like, checked before anything is written.

Declare a schema for each table or file your pipeline reads, next to the code
that reads it; ``hardening.validate`` applies it and turns failures
into one error that names columns and checks, never values. See
https://pandera.readthedocs.io for every kind of check.
"""

from __future__ import annotations

import pandera.pandas as pa

from .data import COHORT, COHORTS, FEATURES, ID, TARGET

# Every measurement is a size, a ratio or a count of a cell nucleus: never
# negative, and the largest in the data set (an area) is about 4,300.
_MEASUREMENT = [pa.Check.ge(0), pa.Check.le(10_000)]

# Every row data.extract returns; the pipeline validates it before writing anything.
SAMPLES = pa.DataFrameSchema(
    {
        ID: pa.Column(int, pa.Check.ge(1), unique=True),
        COHORT: pa.Column(str, pa.Check.isin(COHORTS)),
        **{name: pa.Column(float, _MEASUREMENT, coerce=True) for name in FEATURES},
        TARGET: pa.Column(int, pa.Check.isin([0, 1])),
    },
    # A column the schema does not know is refused: it is new, and unchecked.
    strict=True,
    name="samples",
)
