"""The package's metadata carries no file from outside the snapshot git tracks.

`make install` and `make docker-build` both have hatchling write the
package's metadata, and it fills a legacy `license = {file = ...}` from any
path: the build's own /proc/self/environ, a .env two folders up.
tools/check_wheel.py refuses such settings before a build, and a built wheel
that holds a secret after it. The wheels here are built for real, as
`make docker-build` builds them, from a copy of the project.
"""

import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .in_process import Done, run_tool

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tools" / "check_wheel.py"
LICENSE_FILES = 'license-files = ["LICENSE"]'


def canary() -> str:
    return f"canary-{secrets.token_hex(16)}"


def snapshot(tmp_path: Path) -> Path:
    """The build snapshot, two folders below its project folder, as make lays it out."""
    source = tmp_path / "project" / "build" / "image-source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    return source


def edit(source: Path, old: str, new: str) -> None:
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text()
    assert old in text, old
    pyproject.write_text(text.replace(old, new, 1))


def legacy_license(source: Path, path: str) -> None:
    """`license = {file = PATH}`; hatchling wants it without license-files."""
    edit(source, LICENSE_FILES + "\n", "")
    pyproject = source / "pyproject.toml"
    lines = pyproject.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("license = "))
    lines[at] = 'license = {file = "' + path + '"}\n'
    pyproject.write_text("".join(lines))


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without secret-looking variables, plus ``extra``."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not any(word in key.upper() for word in ("KEY", "TOKEN", "SECRET", "PASSWORD", "URL"))
    }
    return kept | extra


def check(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """tools/check_wheel.py as `make` runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, CHECK, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def check_settings(source: Path) -> Done:
    """``check_wheel.py --pyproject SOURCE`` in this process: the settings check reads files."""
    return run_tool("check_wheel", "--pyproject", str(source), cwd=source, env=environment())


def build(source: Path, env: dict[str, str]) -> Path:
    """The wheel, built as `make docker-build` builds it."""
    dist = source.parent.parent / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip_wheel, "--no-build-isolation", "--wheel-dir", str(dist), str(source)],
        env=env,
        check=True,
        capture_output=True,
    )
    return next(dist.glob("*.whl"))


def test_the_projects_own_settings_and_wheel_pass(tmp_path):
    source = snapshot(tmp_path)
    project = source.parent.parent
    (project / ".env").write_text(f"DATA_ENCRYPTION_KEY={canary()}\n")
    env = environment(CI_JOB_TOKEN=canary())
    done = check("--pyproject", source, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    done = check(build(source, env), source, cwd=project, env=env)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("variable", "route"),
    [
        ("DATA_ENCRYPTION_KEY", "/proc/self/environ"),
        ("CI_DEPLOY_TOKEN", "/proc/self/environ"),
        ("DATA_ENCRYPTION_KEY", "../../.env"),
    ],
)
def test_a_wheel_whose_metadata_holds_a_secret_is_refused(tmp_path, variable, route):
    """Built past the settings check: the check of the wheel alone must catch it."""
    source = snapshot(tmp_path)
    project = source.parent.parent
    secret = canary()
    if route == "../../.env":
        (project / ".env").write_text(f"{variable}={secret}\n")
        env = environment()
    else:
        env = environment(**{variable: secret})
    legacy_license(source, route)
    wheel = build(source, env)
    with zipfile.ZipFile(wheel) as archive:  # the attack works: hatchling copied it in
        assert any(secret.encode() in archive.read(name) for name in archive.namelist())
    done = check(wheel, source, cwd=project, env=env)
    assert done.returncode == 1
    assert "dist-info/METADATA: holds the value of a secret" in done.stderr
    assert secret not in done.stdout + done.stderr


# Each planted setting, and the name the refusal gives it.
PLANTED = {
    'license = {file = "/proc/self/environ"}': "project.license",
    'license = {file = "../../.env"}': "project.license",
    'license = {file = "src/../../../.env"}': "project.license",
    'readme = {file = "/proc/self/environ", content-type = "text/plain"}': "project.readme",
    'readme = "../../.env"': "project.readme",
    'license-files = ["../../.env"]': "project.license-files",
    'license-files = ["/proc/self/*"]': "project.license-files",
    'build-backend = "setuptools.build_meta"': "build-system.build-backend",
    'backend-path = ["."]': "build-system.backend-path",
    '[tool.hatch.build.targets.wheel.force-include]\n"../../.env" = "x.env"': "force-include",
    '[tool.hatch.build.targets.wheel.shared-data]\n"/etc" = "etc"': "shared-data",
    '[tool.hatch.build.shared-scripts]\n"/bin" = "bin"': "shared-scripts",
    '[tool.hatch.build.targets.wheel.extra-metadata]\n"/etc" = "e"': "extra-metadata",
    "[tool.hatch.metadata.hooks.custom]": "tool.hatch.metadata.hooks",
    "[tool.hatch.build.hooks.custom]": "tool.hatch.build.hooks",
    "[tool.hatch.build.targets.wheel.hooks.custom]": "tool.hatch.build.targets.wheel.hooks",
    '[tool.hatch.version]\nsource = "env"\nvariable = "CI_JOB_TOKEN"': "tool.hatch.version.source",
    '[tool.hatch.version]\npath = "../../.env"': "tool.hatch.version.path",
    "hatch.toml": "hatch.toml: build.targets.wheel.force-include",
    # A command or a plugin of the project's that would stand in for a tool's.
    'bandit = "pkg.fake:main"': "project.scripts: name each command",
    'pip-audit = "pkg.fake:main"': "project.scripts: name each command",
    '[project.gui-scripts]\npytest = "pkg.fake:main"': "project.gui-scripts: name each command",
    '[project.entry-points.pytest11]\nplanted = "pkg.fake"': "project.entry-points",
}


@pytest.mark.parametrize("planted", PLANTED)
def test_a_setting_that_reads_past_the_snapshot_is_refused_before_the_build(tmp_path, planted):
    source = snapshot(tmp_path)
    if planted.startswith("license = "):
        legacy_license(source, planted.split('"')[1])
    elif planted.startswith("readme = "):
        edit(source, 'readme = "README.md"', planted)
    elif planted.startswith("license-files = "):
        edit(source, LICENSE_FILES, planted)
    elif planted.startswith("build-backend = "):
        edit(source, 'build-backend = "hatchling.build"', planted)
    elif planted.startswith("backend-path = "):
        edit(source, 'build-backend = "hatchling.build"', f'build-backend = "x"\n{planted}')
    elif planted.startswith(("bandit = ", "pip-audit = ")):
        edit(source, "[project.scripts]\n", f"[project.scripts]\n{planted}\n")
    elif planted == "hatch.toml":
        # hatchling merges a hatch.toml beside pyproject.toml into [tool.hatch].
        (source / "hatch.toml").write_text('[build.targets.wheel.force-include]\n"/etc" = "e"\n')
    else:
        pyproject = source / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + "\n" + planted + "\n")
    done = check_settings(source)
    assert done.returncode == 1, planted
    assert PLANTED[planted] in done.stderr


def test_a_readme_linked_to_env_is_refused(tmp_path):
    source = snapshot(tmp_path)
    (source.parent.parent / ".env").write_text(f"DATA_ENCRYPTION_KEY={canary()}\n")
    (source / "README.md").unlink()
    (source / "README.md").symlink_to("../../.env")
    done = check_settings(source)
    assert done.returncode == 1
    assert "project.readme" in done.stderr
