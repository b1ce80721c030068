"""Build the book strictly, its notebooks executed in parallel: ``python scripts/build_book.py``.

1. Every notebook of ``_toc.yml`` is executed in a fresh kernel by jupyter-cache's parallel
   executor (one process per core), into ``_build/.jupyter_cache``. jupyter-cache recognises a
   notebook by its own code only, so the cache also carries a fingerprint of what the notebooks
   import and read (``resources/``, the non-notebook files of ``book/``, ``_toc.yml``): when
   that changes, the cache is emptied and every chapter runs again (and Sphinx's saved
   doctrees go too, so that every page is read again from the new outputs). A failing cell
   fails the build here, with its traceback.
2. Jupyter Book then builds the HTML (``--warningiserror --keep-going``), taking the outputs
   from that cache (``execute_notebooks: cache`` in ``_config.yml``); the executed notebooks
   are written to ``_build/jupyter_execute``, where the tests read them.

Two settings, both for speed or quiet and neither changing a number:

* each kernel runs its matrix products on one BLAS thread (``OPENBLAS_NUM_THREADS=1`` and
  friends, unless already set): two kernels share the two cores, and the chapters' matrices are
  small enough that splitting one product over threads costs more than it saves;
* the kernel manager provisions CurveZMQ keys for each kernel (``transport_encryption``), so
  kernels do not talk over plain TCP (and ipykernel has no reason to warn that they do).

``--execute-only`` stops after step 1; ``--source DIR`` builds another copy of the book.
"""

import argparse
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

import pathspec
import yaml
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, JupyterExecutorLocalMproc
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parents[1]
ONE_BLAS_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# What a notebook reads besides its own cells (chapter 1 reads the table of contents): a change
# here must re-execute the chapters.
INPUTS = ("resources", "book", "_toc.yml")
FINGERPRINT = "inputs.sha256"


def kernel_config():
    """The traitlets config every kernel is started with (encrypted transport)."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport_encryption": "auto"}})


class Worker(ExecutionWorkerLocalMProc):
    """jupyter-cache's parallel worker, its kernels started with ``kernel_config()``."""

    @staticmethod
    def execute(project_nb, data):
        return single_nb_execution(
            project_nb.nb,
            cwd=str(Path(project_nb.uri).parent),
            timeout=data.timeout,
            allow_errors=data.allow_errors,
            config=kernel_config(),
        )


class Executor(JupyterExecutorLocalMproc):
    """jupyter-cache's ``local-parallel`` executor (a pool of one process per core)."""

    _EXECUTION_WORKER = Worker


def notebooks(source):
    """The notebooks of ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((source / "_toc.yml").read_text())
    files = [toc["root"]] + [
        chapter["file"] for part in toc.get("parts", []) for chapter in part["chapters"]
    ]
    return [source / f"{name}.ipynb" for name in files if (source / f"{name}.ipynb").exists()]


def _ignored(source):
    """A test for the paths ``.gitignore`` names: caches, and the files the chapters write."""
    gitignore = source / ".gitignore"
    lines = gitignore.read_text().splitlines() if gitignore.exists() else []
    spec = pathspec.GitIgnoreSpec.from_lines(lines + ["__pycache__/", ".ipynb_checkpoints/"])
    return spec.match_file


def fingerprint(source):
    """SHA-256 over every file the notebooks import or read (not the notebooks themselves).

    Files that git ignores are left out: chapter 21 saves a model file in ``book/`` each time
    it runs, and a fingerprint that counted it would change with every build.
    """
    ignored = _ignored(source)
    digest = hashlib.sha256()
    for name in INPUTS:
        given = source / name
        for path in sorted(given.rglob("*")) if given.is_dir() else [given]:
            relative = str(path.relative_to(source))
            if not path.is_file() or path.suffix in {".ipynb", ".pyc"} or ignored(relative):
                continue
            digest.update(relative.encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def fresh_cache(source, cache_path):
    """The jupyter-cache at ``cache_path``, emptied if the notebooks' inputs changed."""
    from jupyter_cache import get_cache

    key = fingerprint(source)
    stamp = cache_path / FINGERPRINT
    if cache_path.exists() and (not stamp.exists() or stamp.read_text() != key):
        print(f"build: {', '.join(INPUTS)} changed since the cache was filled: emptying it")
        shutil.rmtree(cache_path)
        # Sphinx re-reads a page only when its own source changed; its saved doctrees still
        # hold the old outputs, so they go too and every page is read from the new cache.
        shutil.rmtree(source / "_build" / ".doctrees", ignore_errors=True)
    cache_path.mkdir(parents=True, exist_ok=True)
    cache = get_cache(cache_path)
    stamp.write_text(key)
    return cache


def execute(source, cache_path):
    """Execute every notebook not yet cached, in parallel; return the failures' tracebacks."""
    for name in ONE_BLAS_THREAD:
        os.environ.setdefault(name, "1")
    cache = fresh_cache(source, cache_path)
    for path in notebooks(source):
        cache.add_nb_to_project(str(path))
    started = time.perf_counter()
    result = Executor(cache, logger=None).run_and_cache(timeout=900, allow_errors=False)
    seconds = time.perf_counter() - started
    failures = {}
    for uri in result.excepted + result.errored:
        record = cache.get_project_record(uri)
        failures[uri] = record.traceback or "(no traceback recorded)"
    ran = len(result.succeeded) + len(failures)
    print(f"build: executed {ran} notebook(s) in {seconds:.1f} s over {os.cpu_count()} processes")
    for record in cache.list_cache_records():
        print(f"  {Path(record.uri).name:48s} {record.data.get('execution_seconds', 0):6.1f} s")
    return failures


def build_html(source):
    """Jupyter Book's strict build, outputs taken from the cache; return its exit code."""
    from jupyter_book.cli.main import main

    os.chdir(source)  # the cache path in _config.yml is relative to the book
    try:
        main(["build", "--warningiserror", "--keep-going", str(source)], standalone_mode=False)
    except SystemExit as stop:
        return stop.code or 0
    except Exception as error:  # click raises the build's own error in non-standalone mode
        print(f"build: {error}", file=sys.stderr)
        return 1
    return 0


def write_executed(source, cache_path):
    """Put each executed notebook, outputs included, in ``_build/jupyter_execute``.

    In cache mode MyST-NB renders the cached outputs into the pages but writes the notebook it
    read (without outputs) to ``_build/jupyter_execute``; the tests read the executed copies
    there, so they are written from the cache here.
    """
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    for path in notebooks(source):
        _, nb = cache.merge_match_into_file(str(path))
        target = source / "_build" / "jupyter_execute" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT)
    parser.add_argument("--execute-only", action="store_true")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    cache_path = source / "_build" / ".jupyter_cache"
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    failures = execute(source, cache_path)
    for uri, traceback in failures.items():
        print(f"build: {uri} failed:\n{traceback}", file=sys.stderr)
    if failures:
        return 1
    if args.execute_only:
        return 0
    code = build_html(source)
    if code == 0:
        write_executed(source, cache_path)
    print(f"build: {'failed' if code else 'done'} in {time.perf_counter() - started:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
