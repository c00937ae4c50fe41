"""Answer profiles: together they choose every value of every question once.

Cheap checks (render, parse, lint) run on all of them; the expensive ones
(real installs) on the few named in INSTALL_PROFILES.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# copier.yml's own defaults, read once: a test asks answer() instead of
# restating them ("3.11", "pip-tools", ...).
_CONFIG = yaml.safe_load((Path(__file__).resolve().parent.parent / "copier.yml").read_text())
DEFAULTS = {
    key: spec["default"]
    for key, spec in _CONFIG.items()
    if not key.startswith("_") and "default" in spec and "{" not in str(spec["default"])
}

# The Python a project gets when nobody chooses one.
DEFAULT_PYTHON = str(DEFAULTS["python_version"])

PROFILES: dict[str, dict[str, object]] = {
    # Only the required answer: everything else is the default.
    "default": {},
    "py312-apache-gitlab-slim": {
        # A name in French: the package becomes donnees_clients.
        "project_name": "Données clients",
        "python_version": "3.12",
        "license": "Apache-2.0",
        "ci_provider": "gitlab",
        "use_docker": False,
        "use_notebooks": False,
    },
    "py313-bsd-no-ci": {
        # A long name in Spanish: its package, prevision_del_valor_de_vida_del_cliente,
        # is 39 characters (40 is the most) and its lines must still fit ruff's length.
        "project_name": "Previsión del valor de vida del cliente",
        "python_version": "3.13",
        "license": "BSD-3-Clause",
        "ci_provider": "none",
        "use_docker": True,
        "use_notebooks": True,
        "lock_backend": "uv",
        # The service, installed and tested for real (its own tests start uvicorn over TLS).
        "use_service": True,
    },
    "proprietary-github-slim": {
        "license": "Proprietary",
        "ci_provider": "github",
        "use_docker": False,
        "use_notebooks": False,
        "project_name": "Fraud Detection 2",
        "package_name": "fraud_detection",
        "author_name": "Risk Analytics",
        "author_email": "risk-analytics@example.org",
        "project_description": "Scores card transactions for fraud.",
    },
}

# One real install per supported Python, covering both dev.txt variants and
# both lock backends.
INSTALL_PROFILES = ("default", "py312-apache-gitlab-slim", "py313-bsd-no-ci")

BASE_ANSWERS = {"project_name": "Churn Model"}


def answers(profile: str) -> dict[str, object]:
    return {**BASE_ANSWERS, **PROFILES[profile]}


def answer(profile: str, key: str) -> object:
    """The profile's answer to ``key``, or copier.yml's default when it gives none."""
    return answers(profile).get(key, DEFAULTS.get(key))
