"""Where the pipeline reads and writes, relative to one project root.

Every step takes a ``ProjectPaths`` instead of building paths itself, so tests
can run the whole pipeline in a temporary folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProjectPaths:
    """The data, model and report folders under a project root."""

    root: Path

    @property
    def raw_data(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def interim_data(self) -> Path:
        return self.root / "data" / "interim"

    @property
    def processed_data(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def external_data(self) -> Path:
        """Files from elsewhere (an export, a third party's table): read, never written."""
        return self.root / "data" / "external"

    @property
    def data_folders(self) -> list[Path]:
        """The folders whose files are encrypted when DATA_ENCRYPTION_KEY is set."""
        return [self.raw_data, self.interim_data, self.processed_data]

    @property
    def database(self) -> Path:
        """The embedded SQLite database, used when DATABASE_URL is not set."""
        return self.root / "data" / "warehouse.sqlite"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def figures(self) -> Path:
        return self.reports / "figures"

    def create(self) -> ProjectPaths:
        """Create every output folder that does not exist yet."""
        for folder in (*self.data_folders, self.models, self.reports, self.figures):
            folder.mkdir(parents=True, exist_ok=True)
        return self
