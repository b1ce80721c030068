"""Shared fixtures: one strict build of the whole book per test session.

The build executes every notebook in a fresh kernel (``execute_notebooks: force``) and fails
on any cell error or Sphinx warning. Tests of a chapter's numbers read the executed copies in
``_build/jupyter_execute``, so each notebook runs once per session, not once per test.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def _copy_sources(destination):
    ignore = shutil.ignore_patterns(
        "_build",
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "test-artifacts",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        "*.egg-info",
    )
    shutil.copytree(ROOT, destination, ignore=ignore)
    assets = ROOT / "node_modules"
    if assets.exists():
        (destination / "node_modules").symlink_to(assets)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Build a copy of the book strictly; return the folder that holds ``_build``."""
    source = tmp_path_factory.mktemp("book") / "src"
    _copy_sources(source)
    env = dict(os.environ, PYTHONPATH=str(source))
    command = [
        sys.executable,
        "-m",
        "jupyter_book",
        "build",
        "--warningiserror",
        "--keep-going",
        str(source),
    ]
    result = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)
    log = result.stdout + result.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "build.log").write_text(log)
    if result.returncode != 0:
        pytest.fail(f"the strict book build failed:\n{log[-6000:]}")
    return source


@pytest.fixture(scope="session")
def executed(built_book):
    """``executed("09_backpropagation")`` returns that chapter as the build executed it."""
    from tests.notebooks import load_executed

    return lambda name: load_executed(built_book, name)
