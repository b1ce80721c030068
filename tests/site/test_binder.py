"""Binder sees the environment the repository declares.

``repo2docker --no-build --debug .`` prints the image recipe (a Dockerfile) that mybinder.org
would build, without Docker. These tests read that recipe: the Python version, the install of
``requirements.txt`` (which holds ``-e .``, so it must run with the whole repository in place),
and the ``postBuild`` step that keeps the book's engine an editable install.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recipe():
    """The recipe repo2docker prints for this repository, and its log lines."""
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    except FileNotFoundError as error:  # pragma: no cover - the interpreter itself is missing
        pytest.fail(f"could not run repo2docker: {error}")
    if result.returncode != 0:
        pytest.fail(
            "repo2docker --no-build failed (is jupyter-repo2docker installed? it is in "
            f"requirements-dev.txt):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout, result.stderr


def _run_lines(dockerfile):
    return [line.strip() for line in dockerfile.splitlines() if line.strip().startswith("RUN ")]


def test_binder_reads_the_root_files():
    assert (ROOT / "requirements.txt").is_file()
    assert (ROOT / "runtime.txt").is_file()
    # A binder/ (or .binder/) folder would make repo2docker ignore the files at the root.
    assert not (ROOT / "binder").exists(), "a binder/ folder hides the root requirements.txt"
    assert not (ROOT / ".binder").exists(), "a .binder/ folder hides the root requirements.txt"


def test_python_is_at_least_3_11(recipe):
    dockerfile, log = recipe
    announced = re.search(r"python=(\d+)\.(\d+)", log)
    assert announced, f"repo2docker did not say which Python it uses:\n{log}"
    assert (int(announced[1]), int(announced[2])) >= (3, 11)
    # The conda lock file copied into the image names the same version (escaped path).
    locked = re.search(r"environment-2epy-2d(\d+)-2e(\d+)", dockerfile)
    assert locked, "the recipe copies no conda environment lock file"
    assert (int(locked[1]), int(locked[2])) == (int(announced[1]), int(announced[2]))
    declared = (ROOT / "runtime.txt").read_text().strip()
    assert declared == f"python-{announced[1]}.{announced[2]}"


def test_installs_requirements_txt_with_the_repository_in_place(recipe):
    dockerfile, _ = recipe
    runs = _run_lines(dockerfile)
    install = [
        i for i, line in enumerate(runs) if re.search(r'pip install .*-r "?requirements\.txt', line)
    ]
    assert len(install) == 1, "the recipe does not install requirements.txt:\n" + "\n".join(runs)
    # `-e .` needs the whole repository: the install must come after the repository is copied.
    copy_all = dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    assert dockerfile.index(runs[install[0]]) > copy_all
    assert "-e ." in (ROOT / "requirements.txt").read_text().split("\n")


def test_engine_stays_an_editable_install(recipe):
    dockerfile, _ = recipe
    runs = _run_lines(dockerfile)
    frozen = [
        i for i, line in enumerate(runs) if re.search(r"pip install --no-cache-dir \.$", line)
    ]
    post_build = [i for i, line in enumerate(runs) if line == "RUN ./postBuild"]
    assert post_build, "the recipe does not run postBuild"
    if frozen:
        assert post_build[-1] > frozen[-1], "postBuild must run after repo2docker's `pip install .`"
    script = (ROOT / "postBuild").read_text()
    assert re.search(r"pip install .*-e \.", script)
