"""What the data path costs as the data grows: the hardened run against the bare pipeline.

The default project's example, scaled to N rows (the 569 rows repeated, each
measurement jittered by up to 1 %, with ids of their own), is loaded into the
project's database before anything is timed. Then, at each size:

- the hardened run: ``python -m <package> run`` with the keys ``make install``
  wrote (validation, encrypted data files, the input's fingerprint, a signed
  model, the run record, the figures);
- the bare pipeline: the same extract, split, train and evaluate through the
  project's own modules, and nothing else.

Both in a fresh process, with their wall time and peak resident memory.
"""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

# Loads the example, scaled to argv[2] rows, into the project's database
# (the table the first run created), in batches that keep this process small.
LOAD = """
import sys
from pathlib import Path
import numpy as np
import pandas as pd
from sqlalchemy import delete
package, rows = sys.argv[1], int(sys.argv[2])
data = __import__(package + ".data", fromlist=["x"])
config = __import__(package + ".config", fromlist=["x"])
hardening = __import__(package + ".hardening", fromlist=["x"])
paths = __import__(package + ".paths", fromlist=["x"]).ProjectPaths(Path(".").resolve())
engine = hardening.connect(config.Settings().database(), paths.database)
example = data.load_dataset()
numbers = list(data.FEATURES)
random = np.random.default_rng(0)
with engine.begin() as connection:
    connection.execute(delete(data.samples))
    for start in range(0, rows, 50_000):
        size = min(50_000, rows - start)
        batch = example.iloc[np.arange(start, start + size) % len(example)].copy()
        batch[numbers] = batch[numbers] * random.uniform(0.99, 1.01, (size, len(numbers)))
        batch[data.ID] = np.arange(start + 1, start + size + 1)
        connection.execute(data.samples.insert(), batch.to_dict("records"))
engine.dispose()
"""

# The pipeline with nothing of the hardening: read, split, train, evaluate.
BARE = """
import sys
from pathlib import Path
package = sys.argv[1]
data = __import__(package + ".data", fromlist=["x"])
features = __import__(package + ".features", fromlist=["x"])
model = __import__(package + ".model", fromlist=["x"])
config = __import__(package + ".config", fromlist=["x"])
hardening = __import__(package + ".hardening", fromlist=["x"])
paths = __import__(package + ".paths", fromlist=["x"]).ProjectPaths(Path(".").resolve())
engine = hardening.connect(config.Settings().database(), paths.database)
frame = data.extract(engine, paths)
split = features.split(frame, seed=42)
fitted = model.train(*features.features_and_target(split.train), seed=42)
print(model.evaluate(fitted, *features.features_and_target(split.test)))
"""

Sample = tuple[float, float]  # seconds, peak MiB


def scale_rows(
    project: Path,
    package: str,
    sizes: list[int],
    runs: int,
    measure: Callable[[list[str], Path], Sample],
) -> list[str]:
    """One row per size: the hardened run, the bare pipeline, and their ratios."""
    python = str(project / ".venv" / "bin" / "python")
    run = [python, "-m", package, "--root", ".", "run"]
    measure(run, project)  # creates the database and its table
    rows = []
    for size in sizes:
        subprocess.run([python, "-c", LOAD, package, str(size)], cwd=project, check=True)
        hardened = [measure(run, project) for _ in range(runs)]
        bare = [measure([python, "-c", BARE, package], project) for _ in range(runs)]
        seconds = [statistics.median(s for s, _ in samples) for samples in (hardened, bare)]
        peaks = [max(peak for _, peak in samples) for samples in (hardened, bare)]
        rows.append(
            f"| {size:,} rows | {runs} | {seconds[0]:.1f} s hardened, {seconds[1]:.1f} s bare | "
            f"| {peaks[0]:.0f} MiB hardened, {peaks[1]:.0f} MiB bare | "
            f"{seconds[0] / seconds[1]:.2f}x time, {peaks[0] / peaks[1]:.2f}x memory |"
        )
    return rows
