"""``course build``: run every source notebook, release it, and prove the release right.

For each assignment (``notebooks/NN_<name>/<name>.ipynb``):

1. **run** the source notebook top to bottom in a fresh kernel (fast mode:
   ``COURSE_FAST=1``; full mode: ``COURSE_FAST=0``) in ``<build>/executed/<id>/``;
   any error, or any output on stderr, fails the build;
2. **release** it with ``nbgrader generate_assignment`` into ``<build>/release/<id>/``;
3. **verify** the release: no non-trivial line of any solution region, written
   answer or hidden test of the source appears in it (:mod:`autograder.release_check`);
4. **grade** the instructor's solution as a student (the release with every
   solution cell filled in from the source) and the untouched release as
   another: the solution must get every autograded point, the blank release 0,
   and feedback must be generated. The two build students are removed from
   the gradebook afterwards (kept, with their folders, when a check failed, to
   inspect).

Prints a table and returns a non-zero exit status on any failure.
"""

import argparse
import copy
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells, config
from autograder.course_dir import CourseDir, CourseError, NbgraderError, graded_cells
from autograder.lint import lint_notebook
from autograder.release_check import check_release_files, cross_reveals_files

SOLUTION_STUDENT = "build-solution"
BLANK_STUDENT = "build-blank"
BUILD_STUDENTS = (SOLUTION_STUDENT, BLANK_STUDENT)


@dataclass
class BuildResult:
    assignment: str
    auto_points: float = 0.0
    manual_points: float = 0.0
    manual_cells: list = field(default_factory=list)   # [(grade_id, points)] left for manual grading
    solution_score: float = None
    blank_score: float = None
    run_seconds: float = None
    grade_seconds: float = None
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


# -- step 1: run the source notebook ---------------------------------------------------------------

def run_source(course, assignment, fast=True):
    """Execute the source notebook in ``<build>/executed/<id>/``; return ``(seconds, problems)``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    a = course.assignment(assignment)
    workdir = course.build_dir / "executed" / a.id
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(a.source_dir, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    nb = nbformat.read(str(a.notebook), as_version=4)
    timeout = config.cell_timeout(a.id, full=not fast)
    client = NotebookClient(nb, timeout=timeout, kernel_name=config.KERNEL_NAME, allow_errors=False,
                            extra_arguments=list(config.KERNEL_ARGUMENTS),
                            resources={"metadata": {"path": str(workdir)}})
    problems = []
    start = time.perf_counter()
    try:
        client.execute(env=course.kernel_env(fast=fast))
    except CellTimeoutError:
        problems.append(f"{a.id}: a cell of the source notebook ran longer than the {timeout} s per-cell "
                        f"timeout (autograder/config.py CELL_TIMEOUT)")
    except DeadKernelError as e:
        problems.append(f"{a.id}: the kernel died while running the source notebook: {e}")
    except CellExecutionError:
        failed = [(i, o) for i, cell in enumerate(nb.cells) for o in cell.get("outputs", [])
                  if o.get("output_type") == "error"]
        if failed:
            i, out = failed[0]
            problems.append(f"{a.id}: cell {i} of the source notebook raised {out.get('ename')}: "
                            f"{(out.get('evalue') or '').strip()[:300]}")
        else:
            problems.append(f"{a.id}: the source notebook failed")
    seconds = time.perf_counter() - start
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                first = next((ln for ln in out.get("text", "").splitlines() if ln.strip()), "")
                problems.append(f"{a.id}: cell {i} writes to stderr ({first[:120]!r}); nbgrader gives 0 points "
                                f"to a test cell that does, and notebooks must not")
    nbformat.write(nb, str(workdir / a.notebook.name))
    return seconds, problems


# -- step 4 helpers --------------------------------------------------------------------------------

def solution_submission(source_path, release_path, out_path):
    """The release with every nbgrader solution cell's source taken from the source notebook."""
    source = json.loads(Path(source_path).read_text(encoding="utf-8"))
    release = json.loads(Path(release_path).read_text(encoding="utf-8"))
    answers = {cells.grade_id(c): c["source"] for c in source["cells"] if cells.is_solution(c)}
    filled = copy.deepcopy(release)
    missing = []
    for cell in filled["cells"]:
        if cells.is_solution(cell):
            if cells.grade_id(cell) in answers:
                cell["source"] = answers[cells.grade_id(cell)]
            else:
                missing.append(cells.grade_id(cell))
    if missing:
        raise CourseError(f"release cells {missing} have no solution cell with that grade_id in {source_path}")
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    Path(out_path).write_text(json.dumps(filled, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(out_path)


def cell_errors(notebook_path):
    """``{grade_id: "Error: message"}`` for the graded cells of an autograded notebook that failed."""
    errors = {}
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cells.grade_id(cell)
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                evalue = (out.get("evalue") or "").strip().splitlines()
                errors[gid] = f"{out.get('ename')}: {evalue[0] if evalue else ''}"
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                errors.setdefault(gid, "wrote to stderr: " + "".join(out.get("text", "")).strip()[:120])
    return errors


def _describe_failures(course, a, scores, student):
    nb_path = course.path("autograded", a, student) / a.notebook.name
    errors = cell_errors(nb_path) if nb_path.is_file() else {}
    return "; ".join(f"{c.grade_id} {c.score:g}/{c.max_score:g}"
                     + (f" ({errors[c.grade_id]})" if c.grade_id in errors else "")
                     for c in scores.failed())


def grade_build_students(course, assignment, result):
    """Step 4: the solution gets every autograded point, the blank release 0; feedback works."""
    a = course.assignment(assignment)
    release_nb = course.path("release", a) / a.notebook.name
    sol_nb = course.build_dir / "tmp" / a.id / a.notebook.name
    solution_submission(a.notebook, release_nb, sol_nb)
    course.submit(a, SOLUTION_STUDENT, sol_nb)
    course.submit(a, BLANK_STUDENT, release_nb)
    # One nbgrader process for the three steps (its start-up costs ~3 s of CPU each time).
    course.run_steps([{"step": "autograde", "assignment": a.id, "student": SOLUTION_STUDENT},
                      {"step": "autograde", "assignment": a.id, "student": BLANK_STUDENT},
                      {"step": "feedback", "assignment": a.id, "student": SOLUTION_STUDENT}],
                     log_name=f"build-{a.id}")

    sol = course.scores(a, SOLUTION_STUDENT)
    result.solution_score = sol.auto_score
    if sol.auto_max != result.auto_points:
        result.problems.append(f"{a.id}: the gradebook has {sol.auto_max:g} autograded points, "
                               f"the source notebook {result.auto_points:g}")
    if sol.failed():
        result.problems.append(f"{a.id}: the instructor's solution lost points: "
                               f"{_describe_failures(course, a, sol, SOLUTION_STUDENT)} "
                               f"(see {course.path('autograded', a, SOLUTION_STUDENT)})")

    blank = course.scores(a, BLANK_STUDENT)
    result.blank_score = blank.auto_score
    passing = [c.grade_id for c in blank.cells if c.autograded and c.score > 0]
    if passing:
        result.problems.append(f"{a.id}: the untouched release gets {blank.auto_score:g} points: test cells "
                               f"{passing} pass without any student code (a graded cell must call the "
                               f"student's function where the stub raises)")

    try:
        html = course.feedback_files(a, SOLUTION_STUDENT)
    except NbgraderError as e:
        result.problems.append(f"{a.id}: {e}")
    else:
        if not all(p.stat().st_size > 0 for p in html):
            result.problems.append(f"{a.id}: nbgrader generate_feedback wrote an empty feedback file")


# -- one assignment, all assignments ---------------------------------------------------------------

def build_assignment(course, assignment, fast=True, log=print, keep_students=False):
    """Run, release, verify and test-grade one assignment; return its :class:`BuildResult`.

    The build's two students (:data:`SOLUTION_STUDENT`, :data:`BLANK_STUDENT`) are removed from
    the gradebook afterwards unless a check failed or ``keep_students`` is true.
    """
    a = course.assignment(assignment)
    result = BuildResult(a.id)
    for cell in graded_cells(a.notebook):
        if cell.autograded:
            result.auto_points += cell.points
        else:
            result.manual_points += cell.points
            result.manual_cells.append((cell.grade_id, cell.points))
    if result.auto_points == 0:
        result.problems.append(f"{a.id}: the source notebook has no autograded test cell with points")
    result.problems += lint_notebook(json.loads(a.notebook.read_text(encoding="utf-8")), a.id)

    log(f"[{a.id}] running the source notebook ({'fast' if fast else 'full'} mode) ...")
    result.run_seconds, problems = run_source(course, a, fast=fast)
    result.problems += problems
    log(f"[{a.id}]   {result.run_seconds:.1f} s" + ("" if not problems else f", {len(problems)} problem(s)"))

    start = time.perf_counter()
    try:
        for student in BUILD_STUDENTS:
            course.remove_student(student)
        log(f"[{a.id}] generating the release (nbgrader generate_assignment) ...")
        release_dir = course.release(a)
        result.problems += check_release_files(a.notebook, release_dir / a.notebook.name, result.warnings)
        result.warnings += cross_reveals_files(release_dir / a.notebook.name, a.id, {
            other.id: other.notebook for other in course.assignments() if other.id != a.id})
        log(f"[{a.id}] grading the solution and the blank release (nbgrader autograde, feedback) ...")
        grade_build_students(course, a, result)
    except (CourseError, NbgraderError) as e:
        result.problems.append(f"{a.id}: {e}")
    result.grade_seconds = time.perf_counter() - start
    if result.ok and not keep_students:
        for student in BUILD_STUDENTS:
            course.remove_student(student)
        shutil.rmtree(course.build_dir / "tmp" / a.id, ignore_errors=True)
    return result


def build(course, only=None, fast=True, log=print, keep_students=False):
    """Build the assignments named in ``only`` (default: all); return their results."""
    assignments = [course.assignment(k) for k in only] if only else course.assignments()
    if not assignments:
        raise CourseError(f"no source notebooks found in {course.notebooks_dir} "
                          f"(expected notebooks/NN_<name>/<name>.ipynb)")
    course.prepare()
    return [build_assignment(course, a, fast=fast, log=log, keep_students=keep_students) for a in assignments]


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def format_table(results):
    """The build table: notebook, points, solution score, blank score, run and grade time, status."""
    header = ("notebook", "points", "solution", "blank", "run (s)", "grade (s)", "status")
    rows = []
    for r in results:
        points = f"{r.auto_points:g}" + (f" + {r.manual_points:g} written" if r.manual_points else "")
        rows.append((r.assignment, points, _fmt(r.solution_score, "g"), _fmt(r.blank_score, "g"),
                     _fmt(r.run_seconds, ".1f"), _fmt(r.grade_seconds, ".1f"), "ok" if r.ok else "FAILED"))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda row: "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: E731
    out = [line(header), line(["-" * w for w in widths]), *map(line, rows)]
    return "\n".join(out)


def report(results, course):
    """The table, then the written answers left for manual grading, then every problem."""
    lines = ["", format_table(results)]
    manual = [(r.assignment, gid, pts) for r in results for gid, pts in r.manual_cells]
    if manual:
        lines.append("\nwritten answers, graded by hand (not in the solution score):")
        lines += [f"  {aid}: {gid} ({pts:g} points)" for aid, gid, pts in manual]
    warnings = [w for r in results for w in r.warnings]
    if warnings:
        lines.append(f"\n{len(warnings)} warning(s) (not failures):")
        lines += [f"  - {w}" for w in warnings]
    problems = [p for r in results for p in r.problems]
    if problems:
        lines.append(f"\n{len(problems)} problem(s):")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append(f"\nrelease ready in {course.build_dir / 'release'}")
    return "\n".join(lines)


def parser():
    p = argparse.ArgumentParser(
        prog="course build",
        description="Run every source notebook, generate the student release with nbgrader and verify it: "
                    "no solution or hidden test leaks, the instructor's solution gets every autograded "
                    "point, the untouched release gets 0.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="fast", action="store_true", default=True,
                      help="run the notebooks in fast mode (small data, few epochs; the default)")
    mode.add_argument("--full", dest="fast", action="store_false",
                      help="run the notebooks in full mode (all data, real training; use a GPU)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="build only this notebook (name, id or number: warmup, 00_warmup, 00); repeatable")
    p.add_argument("--build-dir", metavar="DIR",
                   help=f"nbgrader course directory (default: ${config.BUILD_DIR_ENV} or <repo>/course_build)")
    p.add_argument("--root", metavar="DIR", help="the course checkout (default: found from the current folder)")
    p.add_argument("--keep-students", action="store_true",
                   help=f"keep the build's test students ({SOLUTION_STUDENT}, {BLANK_STUDENT}) in the gradebook "
                        f"and their autograded notebooks and feedback (kept anyway when a check fails)")
    return p


def main(argv=None):
    ns = parser().parse_args(argv)
    only = [k for item in ns.only or [] for k in item.split(",") if k]
    try:
        course = CourseDir(root=ns.root, build_dir=ns.build_dir)
        for key in only:
            course.assignment(key)
        print(f"course build: {course.root} -> {course.build_dir} ({'fast' if ns.fast else 'full'} mode)",
              flush=True)
        results = build(course, only=only, fast=ns.fast, log=lambda m: print(m, flush=True),
                        keep_students=ns.keep_students)
    except CourseError as e:
        print(f"course build: {e}", file=sys.stderr)
        return 2
    print(report(results, course), flush=True)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
