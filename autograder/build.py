"""``course build``: run every source notebook, release it, and prove the release right.

For each assignment (``notebooks/NN_<name>/<name>.ipynb``):

1. **lint** the source notebook (:func:`autograder.lint.lint_notebook`: nbgrader structure and the kit's rules);
2. **run** it top to bottom in a fresh kernel (fast mode: ``COURSE_FAST=1``; full mode:
   ``COURSE_FAST=0``); any error, or any output on stderr, fails the build. The executed
   notebook is kept in ``<build>/executed/<id>/``;
3. **release** it with ``nbgrader generate_assignment`` into ``<build>/release/<id>/``
   (all assignments in one nbgrader process, while the runs go on);
4. **verify** the release: no non-trivial line of any solution region, written answer or
   hidden test of the source appears in it (:mod:`autograder.release_check`);
5. **grade** the instructor's solution (the release with every solution cell filled in from
   the source) and the untouched release exactly as ``course grade`` grades a student:
   the same task (:func:`autograder.task.grade`), grading kernel and guard, limits and
   feedback writer. The solution must get every autograded point, the blank release 0, and
   both must get a feedback page. The two build students are written to the gradebook
   (with their autograded notebooks and feedback) only when a check failed, to inspect, or
   with ``--keep-students``.

The runs and the gradings are tasks on one executor (:mod:`autograder.engine`): a local
pool of ``--workers`` processes (default: one per core) or a Dask cluster
(``--scheduler``). A line is printed as each notebook is done, then a table; the exit
status is non-zero on any problem.
"""

import argparse
import copy
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells, config, results
from autograder.course_dir import CourseDir, CourseError, graded_cells
from autograder.engine import LocalPool, check_workers, default_workers, make_executor
from autograder.environment import checkout_root
from autograder.grade import pack_releases, result_of
from autograder.lint import lint_notebook
from autograder.release_check import check_release_files, cross_reveals_files
from autograder.report import write_results
from autograder.task import GradingJob, grade
from autograder.workspace import limits_for

__all__ = ["SOLUTION_STUDENT", "BLANK_STUDENT", "BUILD_STUDENTS", "BuildResult", "SourceRun", "run_source_task",
           "run_source", "solution_notebook", "solution_submission", "cell_errors", "build", "format_table", "report",
           "parser", "main"]

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


# -- step 2: run the source notebook (a task) -------------------------------------------------------

@dataclass
class SourceRun:
    """What running one source notebook gave: seconds, problems, and the executed notebook's bytes."""

    assignment: str
    seconds: float
    problems: list
    notebook: bytes = None


def run_source_task(assignment_id, fast=True, root=None):
    """Execute the source notebook of ``assignment_id`` in a temporary copy of its folder (on a worker).

    ``root``: the course checkout (default: the one this worker imports ``autograder`` from).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    course = CourseDir(root=root or checkout_root(), build_dir=tempfile.gettempdir())
    a = course.assignment(assignment_id)
    nb = nbformat.read(str(a.notebook), as_version=4)
    timeout = config.cell_timeout(a.id, full=not fast)
    problems = []
    with tempfile.TemporaryDirectory(prefix=f"course-run-{a.id}-") as tmp:
        workdir = Path(tmp) / a.id
        shutil.copytree(a.source_dir, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        client = NotebookClient(nb, timeout=timeout, kernel_name=config.KERNEL_NAME, allow_errors=False,
                                extra_arguments=list(config.KERNEL_ARGUMENTS),
                                resources={"metadata": {"path": str(workdir)}})
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
    return SourceRun(a.id, seconds, problems, nbformat.writes(nb).encode("utf-8"))


def _keep_executed(course, a, run):
    """Write the executed notebook to ``<build>/executed/<id>/``."""
    folder = course.build_dir / "executed" / a.id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if run.notebook:
        (folder / a.notebook.name).write_bytes(run.notebook)


def run_source(course, assignment, fast=True):
    """Run one source notebook here, in this process; keep it in ``<build>/executed/<id>/``.

    Returns ``(seconds, problems)``. ``course build`` runs the same :func:`run_source_task` on its executor.
    """
    a = course.assignment(assignment)
    run = run_source_task(a.id, fast, root=course.root)
    _keep_executed(course, a, run)
    return run.seconds, run.problems


# -- step 5: the instructor's solution and the blank release as students ----------------------------

def solution_notebook(source_nb, release_nb, name="the source notebook"):
    """The release (a dict) with every nbgrader solution cell's source taken from the source notebook."""
    answers = {cells.grade_id(c): c["source"] for c in source_nb["cells"] if cells.is_solution(c)}
    filled = copy.deepcopy(release_nb)
    missing = []
    for cell in filled["cells"]:
        if cells.is_solution(cell):
            if cells.grade_id(cell) in answers:
                cell["source"] = answers[cells.grade_id(cell)]
            else:
                missing.append(cells.grade_id(cell))
    if missing:
        raise CourseError(f"release cells {missing} have no solution cell with that grade_id in {name}")
    return filled


def solution_submission(source_path, release_path, out_path):
    """:func:`solution_notebook` of two .ipynb files, written to ``out_path``; returns that path."""
    filled = solution_notebook(json.loads(Path(source_path).read_text(encoding="utf-8")),
                               json.loads(Path(release_path).read_text(encoding="utf-8")), source_path)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    Path(out_path).write_text(json.dumps(filled, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(out_path)


def cell_errors(nb):
    """``{grade_id: "Error: message"}`` for the graded cells of an autograded notebook (a dict) that failed."""
    errors = {}
    for cell in nb["cells"]:
        gid = cells.grade_id(cell)
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                evalue = (out.get("evalue") or "").strip().splitlines()
                errors[gid] = f"{out.get('ename')}: {evalue[0] if evalue else ''}"
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                errors.setdefault(gid, "wrote to stderr: " + "".join(out.get("text", "")).strip()[:120])
    return errors


def _build_jobs(course, a):
    """The two grading jobs of ``a``: the instructor's solution and the untouched release."""
    release_path = course.path("release", a) / a.notebook.name
    release_bytes = release_path.read_bytes()
    filled = solution_notebook(json.loads(a.notebook.read_text(encoding="utf-8")), json.loads(release_bytes),
                               a.notebook)
    limits = limits_for(a.id)
    solution = (json.dumps(filled, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return [GradingJob(SOLUTION_STUDENT, a.id, {a.notebook.name: solution}, limits),
            GradingJob(BLANK_STUDENT, a.id, {a.notebook.name: release_bytes}, limits)]


def _failures(r, a):
    data = r.autograded.get(a.notebook.name)
    errors = cell_errors(json.loads(data)) if data else {}
    return "; ".join(f"{c.grade_id} {c.points:g}/{c.max_points:g}"
                     + (f" ({errors[c.grade_id]})" if c.grade_id in errors else
                        f" ({c.message.splitlines()[0]})" if c.message else "")
                     for nb in r.notebooks for c in nb.cells if c.autograded and c.points < c.max_points)


def judge_build_students(course, a, result, solution, blank):
    """Step 5's checks on the two graded results; problems go into ``result``."""
    result.solution_score, result.blank_score = solution.auto_score, blank.auto_score
    result.grade_seconds = solution.seconds + blank.seconds
    where = course.path("autograded", a, SOLUTION_STUDENT)
    for r, who in ((solution, "the instructor's solution"), (blank, "the untouched release")):
        if r.status != results.OK:
            note = next((nb.note for nb in r.notebooks if nb.note), r.log.strip().splitlines()[-1:] or [""])
            result.problems.append(f"{a.id}: grading {who} ended with status {r.status!r}: "
                                   f"{note if isinstance(note, str) else note[0]}")
        if not r.feedback or not all(r.feedback.values()):
            result.problems.append(f"{a.id}: no feedback page for {who}")
    if solution.status == results.OK:
        if solution.auto_max != result.auto_points:
            result.problems.append(f"{a.id}: the gradebook has {solution.auto_max:g} autograded points, "
                                   f"the source notebook {result.auto_points:g}")
        if solution.auto_score < solution.auto_max:
            result.problems.append(f"{a.id}: the instructor's solution lost points: {_failures(solution, a)} "
                                   f"(see {where})")
    passing = [c.grade_id for nb in blank.notebooks for c in nb.cells if c.autograded and c.points > 0]
    if passing:
        result.problems.append(f"{a.id}: the untouched release gets {blank.auto_score:g} points: test cells "
                               f"{passing} pass without any student code (a graded cell must call the "
                               f"student's function where the stub raises)")


# -- all assignments ---------------------------------------------------------------------------------

def _start(a):
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
    return result


def _progress_line(k, n, r):
    """``[2/4] 01_linear_classifiers: ok (run 14.0 s, solution 60/60, blank 0, grading 27.8 s)``."""
    return (f"[{k}/{n}] {r.assignment}: {'ok' if r.ok else 'FAILED'} (run {_fmt(r.run_seconds, '.1f')} s, "
            f"solution {_fmt(r.solution_score, 'g')}/{r.auto_points:g}, blank {_fmt(r.blank_score, 'g')}, "
            f"grading {_fmt(r.grade_seconds, '.1f')} s)")


def build(course, only=None, fast=True, log=print, keep_students=False, workers=None, scheduler=None,
          executor=None):
    """Build the assignments named in ``only`` (default: all); return their :class:`BuildResult` in order.

    Runs on ``executor`` when given, else on a Dask cluster at ``scheduler``, else on a local pool
    of ``workers`` processes (default: one per core, at most one per task).
    """
    assignments = [course.assignment(k) for k in only] if only else course.assignments()
    if not assignments:
        raise CourseError(f"no source notebooks found in {course.notebooks_dir} "
                          f"(expected notebooks/NN_<name>/<name>.ipynb)")
    course.prepare()
    built = {a.id: _start(a) for a in assignments}
    own = executor is None
    if own:
        executor = make_executor(min(int(workers or default_workers()), 3 * len(assignments)), scheduler)
    try:
        # A local pool's processes import this checkout; other workers are checked, and grade with theirs.
        local = isinstance(executor, LocalPool)
        if not local:
            from autograder.environment import grading_environment

            check_workers(executor, grading_environment(course.root))
        log(f"building {len(assignments)} notebook(s) on a {executor.description}")
        root = course.root if local else None
        pending = {}   # future -> (assignment, "run" or its GradingJob)

        def run(a):
            pending[executor.submit(run_source_task, a.id, fast, root, key=f"run-{a.id}")] = (a, "run")

        # Tasks start in the order they are submitted. The first runs keep the workers busy while
        # this process releases every assignment; then each notebook's gradings, then the next
        # notebook's run: notebooks finish (and are reported) one after another.
        started = assignments[:executor.workers]
        for a in started:
            run(a)
        for student in BUILD_STUDENTS:
            course.remove_student(student)
        released = course.release_all(assignments)
        graded = []
        for a in assignments:
            r = built[a.id]
            if released[a.id]:
                r.problems.append(f"{a.id}: {released[a.id]}")
                continue
            r.problems += check_release_files(a.notebook, course.path("release", a) / a.notebook.name, r.warnings)
            r.warnings += cross_reveals_files(course.path("release", a) / a.notebook.name, a.id, {
                other.id: other.notebook for other in course.assignments() if other.id != a.id})
            graded.append(a)
        releases = pack_releases(course, graded, protect=(course.build_dir,))
        shared = {aid: executor.share(rel) for aid, rel in releases.items()}
        jobs = {}
        for a in assignments:
            if a not in started:
                run(a)
            if a not in graded:
                continue
            try:
                jobs[a.id] = _build_jobs(course, a)
            except CourseError as e:
                built[a.id].problems.append(f"{a.id}: {e}")
                continue
            for job in jobs[a.id]:
                future = executor.submit(grade, job, shared[a.id], root, key=f"grade-{job.student}-{a.id}")
                pending[future] = (a, job)
        parts = {a.id: 1 + (2 if a.id in jobs else 0) for a in assignments}
        students = {a.id: {} for a in assignments}
        done = 0
        for future in executor.as_completed(list(pending)):
            a, what = pending[future]
            r = built[a.id]
            if what == "run":
                try:
                    run = future.result()
                except Exception as e:
                    r.problems.append(f"{a.id}: running the source notebook failed: {type(e).__name__}: {e}")
                else:
                    r.run_seconds = run.seconds
                    r.problems += run.problems
                    _keep_executed(course, a, run)
            else:
                students[a.id][what.student] = result_of(what, future)
            parts[a.id] -= 1
            if parts[a.id] == 0:
                if a.id in jobs:
                    pair = students[a.id]
                    judge_build_students(course, a, r, pair[SOLUTION_STUDENT], pair[BLANK_STUDENT])
                    if not r.ok or keep_students:
                        write_results(course, list(pair.values()), csv_file=False)
                done += 1
                log(_progress_line(done, len(assignments), r))
    finally:
        if own:
            executor.close()
    return [built[a.id] for a in assignments]


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


def report(results, course, seconds=None):
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
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    if problems:
        lines.append(f"\n{len(problems)} problem(s){took}:")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append(f"\nrelease ready in {course.build_dir / 'release'} (built{took})")
    return "\n".join(lines)


def parser():
    p = argparse.ArgumentParser(
        prog="course build",
        description="Run every source notebook, generate the student release with nbgrader and verify it: "
                    "no solution or hidden test leaks, the instructor's solution gets every autograded "
                    "point, the untouched release gets 0 (graded exactly as `course grade` grades students).")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="fast", action="store_true", default=True,
                      help="run the notebooks in fast mode (small data, few epochs; the default)")
    mode.add_argument("--full", dest="fast", action="store_false",
                      help="run the notebooks in full mode (all data, real training; use a GPU)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="build only this notebook (name, id or number: warmup, 00_warmup, 00); repeatable")
    p.add_argument("--workers", type=int, metavar="N",
                   help=f"notebooks run and graded at once on this machine (default: one per core, "
                        f"{default_workers()} here)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster instead")
    p.add_argument("--build-dir", metavar="DIR",
                   help=f"nbgrader course directory (default: ${config.BUILD_DIR_ENV} or <repo>/course_build)")
    p.add_argument("--root", metavar="DIR", help="the course checkout (default: found from the current folder)")
    p.add_argument("--keep-students", action="store_true",
                   help=f"keep the build's test students ({SOLUTION_STUDENT}, {BLANK_STUDENT}) in the gradebook "
                        f"and their autograded notebooks and feedback (kept anyway when a check fails)")
    return p


def main(argv=None):
    p = parser()
    ns = p.parse_args(argv)
    if ns.workers is not None and ns.workers < 1:
        p.error(f"--workers must be at least 1 (got {ns.workers})")
    only = [k for item in ns.only or [] for k in item.split(",") if k]
    start = time.perf_counter()
    try:
        course = CourseDir(root=ns.root, build_dir=ns.build_dir)
        only = [course.assignment(key) for key in only]
        print(f"course build: {course.root} -> {course.build_dir} ({'fast' if ns.fast else 'full'} mode)",
              flush=True)
        built = build(course, only=only, fast=ns.fast, log=lambda m: print(m, flush=True),
                      keep_students=ns.keep_students, workers=ns.workers, scheduler=ns.scheduler)
    except CourseError as e:
        print(f"course build: {e}", file=sys.stderr)
        return 2
    print(report(built, course, time.perf_counter() - start), flush=True)
    return 0 if all(r.ok for r in built) else 1


if __name__ == "__main__":
    raise SystemExit(main())
