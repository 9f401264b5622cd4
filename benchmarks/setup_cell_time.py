"""Time of a notebook's set-up cells in a fresh Python process: the kit against a baseline.

What a student waits for before the first real cell of a notebook: the code cells of its
``## Set-up`` section (parameters, imports, ``course.notebook.setup``), executed in a fresh
interpreter, as a fresh kernel would. Each run is timed from the cells' first statement to
their last (the imports count, the interpreter's own start does not; the whole process is
timed as well) and records whether TensorFlow was imported (``sys.modules``). The variants
run interleaved, REPEATS rounds after one untimed warm-up round (so every variant finds
the file cache equally warm), and the medians are compared:

- ``kit``: the notebook's set-up cells as they are (01 is numpy only: no TensorFlow);
- ``kit, keras=True``: the same cells with ``keras=True`` passed to ``course.notebook.setup``,
  what the notebook would pay if it set up Keras and TensorFlow (the kit's own baseline);
- ``before REV`` (with ``--before REV``): the same notebook's set-up cells at git revision
  REV, run against the ``course`` package of REV (``git archive`` of ``course/`` and
  ``notebooks/`` into a temporary folder, first on ``PYTHONPATH``).

    PYTHONPATH=. python benchmarks/setup_cell_time.py [--notebook 01] [--repeats 5] [--before 2096ffc^]

The last line is the ratio baseline / kit of the median set-up time: the ``before`` figure
when ``--before`` is given, else the ``keras=True`` one. On a shared machine the absolute
times move with the load; the ratio of interleaved runs much less.

Measured 2026-12-02 for notebook 01 on a 2-core Xeon shared with other jobs (load average
about 5), ``--repeats 5 --before 2096ffc^`` (the commit before the kit): kit 0.56 s,
TensorFlow not imported; kit with keras=True 5.34 s; before the kit 5.30 s, TensorFlow
imported (its ``course.runtime.setup``); ratio 9.4x.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in the fresh process: the set-up code arrives on stdin, its printout is swallowed
# (the one line of course.notebook.setup is not the point), one JSON line goes back.
CHILD = r"""
import contextlib, io, json, sys, time
code = sys.stdin.read()
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    exec(compile(code, "<set-up cells>", "exec"), {"__name__": "__main__"})
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "tensorflow": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}))
"""


def notebook_file(root, key):
    """The source notebook ``notebooks/<key>_*/<name>.ipynb`` under ``root`` (``key``: "01" or "01_linear...")."""
    matches = sorted(p for p in (Path(root) / "notebooks").glob(f"{key}*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if len(matches) != 1:
        found = ", ".join(str(p.relative_to(root)) for p in matches) or "none"
        raise SystemExit(f"--notebook {key!r}: expected one notebook notebooks/{key}*/*.ipynb under {root}, found {found}")
    return matches[0]


def setup_cells(path):
    """The code of the notebook's ``## Set-up`` section: its code cells up to the next heading."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    code, inside = [], False
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.lstrip().startswith("#"):
            if inside:
                break
            inside = source.lstrip().lower().startswith("## set-up")
        elif inside and cell["cell_type"] == "code":
            code.append(source)
    if not code:
        raise SystemExit(f"{path}: no code cells under a '## Set-up' heading")
    return "\n\n".join(code) + "\n"


def with_keras(code):
    """The set-up code with ``keras=True`` passed to ``course.notebook.setup``."""
    if re.search(r"keras\s*=\s*True", code):
        raise SystemExit("the notebook's set-up already passes keras=True: pick a numpy-only notebook (00, 01)")
    new, count = re.subn(r"course\.notebook\.setup\(", "course.notebook.setup(keras=True, ", code)
    if count != 1:
        raise SystemExit(f"expected one call of course.notebook.setup in the set-up cells, found {count}")
    return new


def checkout_at(rev, into):
    """``course/`` and ``notebooks/`` of git revision ``rev`` extracted into the folder ``into``."""
    archive = Path(into) / "tree.tar"
    with open(archive, "wb") as out:
        proc = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "course", "notebooks"], stdout=out,
                              stderr=subprocess.PIPE, text=False)
    if proc.returncode != 0:
        raise SystemExit(f"--before {rev}: git archive failed: {proc.stderr.decode(errors='replace').strip()}")
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return Path(into)


def run_once(code, root):
    """One fresh process running ``code`` with ``root`` first on the path: (cell s, process s, info)."""
    env = dict(os.environ, PYTHONPATH=str(root), TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    env.pop("NBGRADER_EXECUTION", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD], input=code, capture_output=True, text=True, cwd=root,
                          env=env, timeout=600)
    process = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the set-up cells failed (PYTHONPATH={root}):\n{proc.stderr[-3000:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return info["seconds"], process, info


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--notebook", default="01", help="the notebook, by number or folder name (default: 01)")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds (default: 5), after one warm-up round")
    p.add_argument("--before", metavar="REV", help="also time the notebook's set-up cells at this git revision, "
                                                   "with that revision's course package (e.g. 2096ffc^)")
    ns = p.parse_args(argv)
    if ns.repeats < 1:
        p.error(f"--repeats must be at least 1 (got {ns.repeats})")

    path = notebook_file(ROOT, ns.notebook)
    kit = setup_cells(path)
    variants = [("kit (as committed)", kit, ROOT), ("kit, keras=True", with_keras(kit), ROOT)]
    with tempfile.TemporaryDirectory(prefix="setup-cell-before-") as tmp:
        if ns.before:
            before_root = checkout_at(ns.before, tmp)
            old = notebook_file(before_root, path.parent.name[:2])
            variants.append((f"before ({ns.before})", setup_cells(old), before_root))
        print(f"{path.relative_to(ROOT)}: set-up cells in a fresh process, {ns.repeats} rounds "
              f"(+1 warm-up), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        times = {name: ([], []) for name, _, _ in variants}
        imported = {}
        for round_ in range(ns.repeats + 1):
            for name, code, root in variants:
                cell, process, info = run_once(code, root)
                imported[name] = info["tensorflow"]
                if round_:                   # round 0 warms the file cache for every variant
                    times[name][0].append(cell)
                    times[name][1].append(process)
    print(f"\n{'variant':<28} {'set-up cells (s)':>16} {'process (s)':>12}  TensorFlow imported")
    medians = {}
    for name, (cells, processes) in times.items():
        medians[name] = statistics.median(cells)
        print(f"{name:<28} {medians[name]:>16.2f} {statistics.median(processes):>12.2f}  "
              f"{'yes' if imported[name] else 'no'}")
        print(f"{'':<28} {'(runs: ' + ', '.join(f'{t:.2f}' for t in cells) + ')'}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    baseline = variants[-1][0]
    kit_name = variants[0][0]
    print(f"\nratio {baseline} / {kit_name}, median set-up time: {medians[baseline] / medians[kit_name]:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
