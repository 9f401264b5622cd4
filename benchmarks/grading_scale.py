"""How fast `course grade` grades a class, what grading costs over running the notebook, how it scales.

Builds a synthetic class of 00_warmup submissions from the real release (right, partly right,
wrong, blank and hostile students: autograder/classroom.py), then, in one run:

1. the floor: the instructor's solution notebook executed once in a fresh plain kernel (nbclient,
   no nbgrader, no guard), best of ``--floor-runs``: what any grader must at least pay;
2. the class graded with 1, 2 and 4 workers on the local pool and on a Dask ``LocalCluster`` with
   the same number of worker processes (one thread each), each run from a fresh copy of the
   released build folder; every run's grades.csv must be identical.

Printed last, one row per run:

    executor  workers  wall (s)  s/notebook  slot-s/notebook  x floor  speed-up  per core  load

"s/notebook" is wall / submissions (the class's throughput); "slot-s/notebook" is wall x workers /
submissions (the cost of one notebook in worker time); "x floor" is slot-s/notebook over the
floor (1.0 would be grading at the cost of executing the notebook once); speed-up is the 1-worker
run of the same executor over this one, "per core" the speed-up over min(workers, cores).

    PYTHONPATH=. python benchmarks/grading_scale.py [--students 12] [--workers 1 2 4] [--executors local dask]

The slow hostile cases (an endless loop hits the cell limit, a notebook over its total budget)
are left out by default: they measure the limits, not the grader. ``--hostile`` adds them.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import classroom, config, engine  # noqa: E402
from autograder.grade import grade_class  # noqa: E402

MIX = ["right", "right", "partial", "wrong", "blank", "broken", "noisy", "tamper", "monkeypatch", "sysexit",
       "memory", "readhidden", "osexit", "right", "partial", "wrong"]
SLOW = ["loops", "slow"]


def floor_seconds(course, runs):
    """Best-of-``runs`` seconds to execute the solution notebook once in a fresh plain kernel."""
    import json

    import nbformat
    from nbclient import NotebookClient

    sol, _ = classroom.notebooks(course)
    times = []
    for _ in range(runs):
        nb = nbformat.reads(json.dumps(sol), as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            client = NotebookClient(nb, timeout=config.cell_timeout(classroom.ASSIGNMENT),
                                    kernel_name=config.KERNEL_NAME, extra_arguments=list(config.KERNEL_ARGUMENTS),
                                    allow_errors=True, resources={"metadata": {"path": tmp}})
            t = time.perf_counter()
            client.execute(env=course.kernel_env(fast=True))
            times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def make_class(course, submitted, names):
    counts = {}
    for i, name in enumerate(names):
        counts[name] = counts.get(name, 0) + 1
        classroom.write_class(course, submitted / "_tmp", [classroom.CASE[name]])
        shutil.move(str(submitted / "_tmp" / name), str(submitted / f"s{i:03d}-{name}"))
    shutil.rmtree(submitted / "_tmp", ignore_errors=True)
    return counts


def executor_for(kind, workers):
    if kind == "local":
        return engine.LocalPool(workers)
    return engine.DaskCluster.local(workers)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=12, help="class size (at least 12 for the report)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--executors", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    p.add_argument("--floor-runs", type=int, default=3, help="executions of the notebook for the floor")
    p.add_argument("--hostile", action="store_true", help="include the endless-loop and over-budget students")
    p.add_argument("--work-dir", help="where to build (default: a temporary folder, removed afterwards)")
    args = p.parse_args(argv)
    if args.students < 1:
        p.error("--students must be at least 1")
    if "dask" in args.executors and engine.dask_available():
        p.error(engine.dask_available())
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = (MIX + (SLOW if args.hostile else [])) * (args.students // len(MIX) + 1)
    names = ((SLOW if args.hostile else []) + names)[: max(args.students, len(SLOW) if args.hostile else 0)]
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="grading_scale_"))
    cache = work / "release"
    t0 = time.perf_counter()
    course = classroom.course_with_release(ROOT, work / "build-prep", cache=cache)
    print(f"release: {time.perf_counter() - t0:.1f} s", flush=True)
    submitted = work / "submitted"
    counts = make_class(course, submitted, names)
    print(f"class: {len(names)} students: " + ", ".join(f"{n} x{k}" for n, k in sorted(counts.items())), flush=True)
    best, median = floor_seconds(course, args.floor_runs)
    print(f"floor: the solution notebook executed once in a plain kernel: {best:.2f} s (median {median:.2f} s "
          f"of {args.floor_runs})", flush=True)
    cores = engine.default_workers()
    rows, csvs = [], []
    for kind in args.executors:
        for w in args.workers:
            build = classroom.course_with_release(ROOT, work / f"build-{kind}-{w}", cache=cache)
            with executor_for(kind, w) as executor:
                load = os.getloadavg()[0]
                t = time.perf_counter()
                report = grade_class(build, submitted, executor=executor, cell_timeout=classroom.SUITE_CELL_TIMEOUT,
                                     notebook_timeout=classroom.SUITE_NOTEBOOK_TIMEOUT,
                                     memory_mb=classroom.SUITE_MEMORY_MB, log=lambda *a: None)
                wall = time.perf_counter() - t
            csvs.append(report.grades_csv.read_bytes())
            rows.append((kind, w, wall, load))
            print(f"{kind} x{w}: {wall:.1f} s (load average before: {load:.1f})", flush=True)
    same = all(c == csvs[0] for c in csvs)
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    n = len(names)
    one = {kind: wall for kind, w, wall, _ in rows if w == 1}
    print()
    print(f"grading {n} submissions of {classroom.ASSIGNMENT}; {cores} CPU cores; floor {best:.2f} s; "
          f"grades.csv identical across all {len(rows)} runs: {same}")
    print(f"{'executor':>8}  {'workers':>7}  {'wall (s)':>8}  {'s/notebook':>10}  {'slot-s/notebook':>15}  "
          f"{'x floor':>7}  {'speed-up':>8}  {'per core':>8}  {'load':>5}")
    for kind, w, wall, load in rows:
        slot = wall * w / n
        sp = one[kind] / wall if kind in one else float("nan")
        print(f"{kind:>8}  {w:>7}  {wall:>8.1f}  {wall / n:>10.2f}  {slot:>15.2f}  {slot / best:>7.2f}  "
              f"{sp:>8.2f}  {sp / min(w, cores):>8.2f}  {load:>5.1f}")
    if "local" in one and "dask" in one:
        print(f"dask / local wall time, 1 worker: {one['dask'] / one['local']:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
