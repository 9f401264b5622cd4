"""How fast `course grade` grades a class, and how it scales with workers.

Builds a synthetic class of 00_warmup submissions from the real release (right,
partly right, wrong, blank and hostile students: autograder/classroom.py), grades
it with 1, 2 and 4 workers (each run from a fresh copy of the released build folder),
checks that every run gives the same grades.csv, and prints a table, last:

    workers  wall (s)  s/notebook/student  speed-up  per worker
    1        ...

"s/notebook/student" is wall time x workers / submissions (the CPU-slot cost of one
notebook); speed-up is t(1) / t(n), "per worker" is speed-up / min(n, cores).

    PYTHONPATH=. python benchmarks/grading_scale.py [--students 12] [--workers 1 2 4]

The slow hostile cases (an endless loop hits the cell limit, a notebook over its total
budget) are left out by default: they measure the limits, not the grader. ``--hostile``
adds every hostile case.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import classroom  # noqa: E402
from autograder.grade import grade_class  # noqa: E402

MIX = ["right", "right", "partial", "wrong", "blank", "broken", "noisy", "tamper", "monkeypatch", "sysexit",
       "memory", "readhidden", "osexit", "right", "partial", "wrong"]
SLOW = ["loops", "slow"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=12, help="class size (at least 12 for the report)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--hostile", action="store_true", help="include the endless-loop and over-budget students")
    p.add_argument("--work-dir", help="where to build (default: a temporary folder, removed afterwards)")
    args = p.parse_args(argv)
    if args.students < 1:
        p.error("--students must be at least 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = (MIX + (SLOW if args.hostile else [])) * (args.students // len(MIX) + 1)
    names = (SLOW if args.hostile else []) + names
    names = names[: max(args.students, len(SLOW) if args.hostile else 0)]
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="grading_scale_"))
    cache = work / "release"
    t0 = time.perf_counter()
    course = classroom.course_with_release(ROOT, work / "build-prep", cache=cache)
    print(f"release: {time.perf_counter() - t0:.1f} s", flush=True)
    submitted = work / "submitted"
    counts = {}
    for i, name in enumerate(names):
        case = classroom.CASE[name]
        counts[name] = counts.get(name, 0) + 1
        classroom.write_class(course, submitted / "_tmp", [case])
        src = submitted / "_tmp" / name
        dest = submitted / f"s{i:03d}-{name}"
        shutil.move(str(src), str(dest))
    shutil.rmtree(submitted / "_tmp", ignore_errors=True)
    print(f"class: {len(names)} students: " + ", ".join(f"{n} x{k}" for n, k in sorted(counts.items())), flush=True)
    cores = os.cpu_count() or 1
    rows, csvs = [], []
    for w in args.workers:
        course = classroom.course_with_release(ROOT, work / f"build-{w}", cache=cache)
        load = os.getloadavg()[0]
        t = time.perf_counter()
        report = grade_class(course, submitted, workers=w, cell_timeout=classroom.SUITE_CELL_TIMEOUT,
                             notebook_timeout=classroom.SUITE_NOTEBOOK_TIMEOUT, memory_mb=classroom.SUITE_MEMORY_MB,
                             log=lambda *a: None)
        wall = time.perf_counter() - t
        csvs.append(report.grades_csv.read_bytes())
        rows.append((w, wall, load))
        print(f"workers={w}: {wall:.1f} s (load average before: {load:.1f})", flush=True)
    same = all(c == csvs[0] for c in csvs)
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    t1 = rows[0][1] if rows[0][0] == 1 else None
    print()
    print(f"grading {len(names)} submissions of 00_warmup; {cores} CPU cores; grades.csv identical across runs: {same}")
    print(f"{'workers':>7}  {'wall (s)':>8}  {'s/notebook/student':>18}  {'speed-up':>8}  {'per worker':>10}  {'load':>5}")
    for w, wall, load in rows:
        per = wall * w / len(names)
        sp = t1 / wall if t1 else float("nan")
        print(f"{w:>7}  {wall:>8.1f}  {per:>18.1f}  {sp:>8.2f}  {sp / min(w, cores):>10.2f}  {load:>5.1f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
