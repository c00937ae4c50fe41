"""Run the project's tools and mkdocs in this process, as `make` runs them in their own.

Starting Python again costs half a second to a second a call, and proves
nothing more for a command that reads files and prints: the same ``main()``
gets the same arguments, in the same folder, with the same environment.
Each command keeps one test that starts it as a real process, the way
`make` does.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Done:
    """What a command ended with, shaped like subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


def load_tool(name: str) -> ModuleType:
    """Import a script of tools/ by name, a copy of its own (tools/ is no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_loaded = cache(load_tool)


def run_tool(name: str, *args: str, cwd: Path, env: Mapping[str, str] | None = None) -> Done:
    """``python tools/<name>.py ARGS`` in ``cwd``, with the environment ``env`` (this one's)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, os.environ if env is None else env, clear=True),
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = _loaded(name).main(list(args))
    return Done(code, out.getvalue(), err.getvalue())


def mkdocs_build(project: Path, site: Path) -> Done:
    """``mkdocs build --strict --site-dir SITE`` in ``project``; its log is the stderr.

    Never with --quiet: it hides the warnings that --strict counts, and a
    broken link passes.
    """
    # Imported here: only the docs tests build a site.
    import click
    from mkdocs.__main__ import cli

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    code = 0
    try:
        with contextlib.chdir(project), contextlib.redirect_stdout(io.StringIO()):
            cli.main(["build", "--strict", "--site-dir", str(site)], standalone_mode=False)
    except click.ClickException as error:  # --strict's "Aborted with N warnings"
        code = error.exit_code
        log.write(f"{error.format_message()}\n")
    except Exception:  # what mkdocs' command line prints before it exits 1
        code = 1
        log.write(traceback.format_exc())
    finally:
        logger.removeHandler(handler)
    return Done(code, "", log.getvalue())
