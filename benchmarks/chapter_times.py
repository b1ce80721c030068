"""Seconds each chapter's Run All takes, alone, in a fresh kernel: a table for the README.

    python benchmarks/chapter_times.py                 # every notebook of _toc.yml, in order
    python benchmarks/chapter_times.py 15 17 23        # the notebooks whose names start so

Each notebook runs by itself (one after another, never two at once) in a new kernel started
as the build starts its kernels (``scripts/build_book.py``: one BLAS thread, encrypted kernel
sockets), from ``book/`` as its working folder. The time is the wall time of the execution
alone, from the kernel's start to its last cell, figures drawn, as a reader's *Run All* would
take. A chapter's budget is 20 s on an idle 2-core machine; the table marks the ones over it.
Wall time counts whatever else the machine is doing: note the load (``uptime``) beside the table.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.build_book import ONE_BLAS_THREAD, kernel_config, notebooks  # noqa: E402

BUDGET = 20.0


def run_alone(path):
    """Execute one notebook in a fresh kernel; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, resources={"metadata": {"path": str(path.parent)}}, config=kernel_config()
    )
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose names start so")
    args = parser.parse_args(argv)
    for name in ONE_BLAS_THREAD:
        os.environ.setdefault(name, "1")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p
    )
    paths = [
        path
        for path in notebooks(ROOT)
        if not args.prefixes or any(path.stem.startswith(p) for p in args.prefixes)
    ]
    print(f"load before: {os.getloadavg()[0]:.2f} (1-minute average), {os.cpu_count()} cores\n")
    print("| notebook | seconds |")
    print("|---|---|")
    total = 0.0
    for path in paths:
        seconds = run_alone(path)
        total += seconds
        mark = " (over 20 s)" if seconds > BUDGET else ""
        print(f"| {path.stem} | {seconds:.1f}{mark} |", flush=True)
    print(f"| all, one after another | {total:.1f} |")
    print(f"\nload after: {os.getloadavg()[0]:.2f} (1-minute average)")


if __name__ == "__main__":
    main()
