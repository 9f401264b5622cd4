"""``course grade``: autograde a whole class with nbgrader, in parallel, and export the grades.

Input (nbgrader's own layout)::

    SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb     (+ optional timestamp.txt)

e.g. ``submitted/alice/00_warmup/warmup.ipynb``. Output, in the build directory
(``$COURSE_BUILD_DIR`` or ``<repo>/course_build``, or ``--build-dir``)::

    grades.csv                                  one row per student and assignment
    feedback/<student>/<id>/<notebook>.html     what each failed check said, and the points lost
    autograded/<student>/<id>/                  nbgrader's autograded notebooks (for the formgrader)
    gradebook.db                                the class's grades, merged (manual grades kept)
    grading/shard-<k>/                          worker k's own nbgrader course folder and gradebook

How it works. nbgrader's SQLite gradebook takes one writer at a time, so each of the
``--workers`` worker slots owns a *shard*: a course folder with its own copy of the
released gradebook. A thread per slot takes the next student from a queue and runs
nbgrader's autograde for that one submission in a fresh process
(``python -m autograder.nbgrader_worker``), in its own process group, with

* a per-cell time limit (nbgrader's ``Execute.timeout``; the cell is interrupted and
  scores 0) and a total time budget for the notebook (the whole process tree is
  killed; the notebook scores 0);
* a kernel started by :mod:`autograder.kernel_guard`: memory limit (``RLIMIT_AS``),
  numpy / check helpers restored before each graded cell, the grader's files and
  process creation refused.

When every student is done, the results are merged into the main gradebook in a
fixed order (by student, then assignment) and ``grades.csv`` is written from them:
sorted rows, fixed float formatting, no timestamps, so grading the same class twice
gives the same bytes.
"""

import argparse
import csv
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells, config
from autograder.course_dir import CourseDir, CourseError, _check_student_id
from autograder.feedback import NotebookFeedback, cell_results, render_html, suspicious_code
from autograder.kernel_guard import ENV_ALLOWED, ENV_MEMORY, ENV_PROTECTED, ENV_TRUSTED, cell_hash
from autograder.nbgrader_worker import PREFIX

KERNEL_NAME = "course-grading"


@dataclass
class Limits:
    cell_timeout: float          # seconds per cell
    notebook_timeout: float      # seconds for the whole autograde of one submission
    memory_mb: int               # address-space limit of the kernel


def limits_for(assignment_id, cell_timeout=None, notebook_timeout=None, memory_mb=None):
    cell = cell_timeout or config.cell_timeout(assignment_id)
    return Limits(cell, notebook_timeout or config.notebook_timeout(assignment_id, cell),
                  int(memory_mb or config.GRADING_MEMORY_MB))


@dataclass
class Submission:
    student: str
    assignment: object      # autograder.course_dir.Assignment
    folder: Path


@dataclass
class StudentResult:
    student: str
    assignment: str
    status: str                                  # ok | time budget | kernel died | not graded
    seconds: float
    notebooks: list = field(default_factory=list)   # [NotebookFeedback]
    flags: list = field(default_factory=list)
    autograded_dir: Path = None
    log: str = ""


# -- input -----------------------------------------------------------------------------------------

def find_submissions(course, submitted_dir, assignment=None):
    """Every ``(student, assignment)`` submission under ``submitted_dir``, sorted.

    Raises :class:`CourseError` naming the problem: a missing folder, no students,
    an unknown assignment, a submission without its notebook.
    """
    root = Path(submitted_dir)
    if not root.is_dir():
        raise CourseError(f"submitted folder {root} does not exist (expected "
                          f"SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb)")
    wanted = course.assignment(assignment) if assignment else None
    known = {a.id: a for a in course.assignments()}
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise CourseError(f"no students in {root}: expected one folder per student, "
                          f"SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb")
    found, problems = [], []
    for sdir in students:
        try:
            _check_student_id(sdir.name)
        except CourseError as e:
            problems.append(f"{sdir}: {e}")
            continue
        for adir in sorted(p for p in sdir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if adir.name not in known:
                if wanted is None:
                    problems.append(f"{adir}: unknown assignment {adir.name!r} (known: {', '.join(known) or 'none'})")
                continue
            a = known[adir.name]
            if wanted is not None and a.id != wanted.id:
                continue
            if not (adir / a.notebook.name).is_file():
                problems.append(f"{adir}: no {a.notebook.name} in this submission "
                                f"(found: {', '.join(sorted(p.name for p in adir.iterdir())) or 'nothing'})")
                continue
            found.append(Submission(sdir.name, a, adir))
    if problems:
        raise CourseError("bad submissions:\n  " + "\n  ".join(problems))
    if not found:
        what = f"of {wanted.id} " if wanted else ""
        raise CourseError(f"no submissions {what}in {root} ({len(students)} student folders; expected "
                          f"SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb)")
    return found


# -- shards ----------------------------------------------------------------------------------------

def ensure_released(course, assignment, log=print):
    """Release ``assignment`` into the main gradebook unless it is there already."""
    from nbgrader.api import MissingEntry

    a = course.assignment(assignment)
    if (course.build_dir / "gradebook.db").is_file() and course.path("source", a).is_dir():
        with course.gradebook() as gb:
            try:
                if gb.find_assignment(a.id).notebooks:
                    return
            except MissingEntry:
                pass
    log(f"releasing {a.id} (nbgrader generate_assignment) into {course.build_dir}")
    course.release(a)


def trusted_hashes(course, assignment):
    """Hashes of the sources of the graded test cells, as nbgrader restores them (from the gradebook)."""
    a = course.assignment(assignment)
    with course.gradebook() as gb:
        return sorted(cell_hash(gb.find_source_cell(c.grade_id, nb, a.id).source)
                      for nb, graded in cells.released_cells(gb, a.id).items() for c in graded if c.autograded)


def prepare_shard(course, shard, assignments):
    """A worker's nbgrader course folder: config, kernelspec, the released gradebook, trusted cells."""
    if shard.exists():
        shutil.rmtree(shard)
    (shard / "logs").mkdir(parents=True)
    shutil.copy(course.build_dir / "gradebook.db", shard / "gradebook.db")
    for step in ("source", "release"):
        if (course.build_dir / step).is_dir():
            os.symlink(course.build_dir / step, shard / step)
    (shard / "nbgrader_config.py").write_text(
        "# Written by `course grade`: one worker's course folder (own gradebook), grading kernel.\n"
        "c = get_config()\n"
        f"load_subconfig({str(course.root / 'autograder' / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(shard)!r}\n"
        f"c.Execute.kernel_name = {KERNEL_NAME!r}\n"
        "# Unix sockets, not TCP ports: kernels started at the same moment by two workers cannot\n"
        "# pick the same port (a kernel that loses the race dies, or a client reaches the wrong kernel).\n"
        "c.KernelManager.transport = 'ipc'\n"
        f"c.KernelManager.ip = {str(_socket_dir(shard) / 'k')!r}\n")
    spec = shard / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.kernel_guard", "-f", "{connection_file}"],
        "display_name": "Python 3 (course grading)", "language": "python"}, indent=1))
    (shard / "trusted.txt").write_text("\n".join(h for a in assignments for h in trusted_hashes(course, a)) + "\n")
    return shard


def _socket_dir(shard):
    """A short folder for the kernels' Unix sockets (a socket path must stay under ~100 bytes)."""
    import hashlib
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"cg-{hashlib.sha1(str(shard).encode()).hexdigest()[:10]}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def worker_env(course, shard, limits):
    env = course.kernel_env(grading=True)
    env["JUPYTER_PATH"] = os.pathsep.join([str(shard / "jupyter")] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    env[ENV_MEMORY] = str(limits.memory_mb)
    env[ENV_TRUSTED] = str(shard / "trusted.txt")
    env[ENV_PROTECTED] = os.pathsep.join(dict.fromkeys([str(course.root), str(course.build_dir), str(shard)]))
    env[ENV_ALLOWED] = str(course.root / "course")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _descendants(pid):
    """Process ids below ``pid`` (Linux /proc; the kernel runs in its own session, so a process
    group kill would miss it)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_tree(pid):
    """Kill ``pid`` and every process below it."""
    import signal

    try:
        import psutil

        procs = psutil.Process(pid).children(recursive=True)
        pids = [p.pid for p in procs]
    except ImportError:
        pids = _descendants(pid) if os.path.isdir("/proc") else []
    except Exception:
        pids = []
    for p in [pid] + pids:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(pid, signal.SIGKILL)   # anything else left in the worker's own process group
    except (ProcessLookupError, PermissionError):
        pass


# -- one submission ------------------------------------------------------------------------------

def _shard_scores(shard_course, a, student):
    """``{notebook: {grade_id: (points, max, autograded)}}`` from a shard's gradebook, or None."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    # Not shard_course.gradebook(): CourseDir.prepare() would rewrite the shard's nbgrader_config.py.
    with Gradebook(f"sqlite:///{shard_course.build_dir / 'gradebook.db'}", config.COURSE_ID) as gb:
        try:
            sub = gb.find_submission(a.id, student)
        except MissingEntry:
            return None
        for nb in sub.notebooks:
            solutions = {c.name for c in nb.notebook.solution_cells}
            scores = {}
            for g in nb.grades:
                autograded = cells.classify(g.cell.cell_type, True, g.name in solutions) == cells.TEST
                score = g.manual_score if g.manual_score is not None else (g.auto_score or 0.0)
                scores[g.name] = (float(score), float(g.max_score), autograded)
            out[nb.name] = scores
    return out


def _released_cells(course, a):
    """``{notebook: [(grade_id, max, autograded)]}`` from the main gradebook (for ungraded submissions)."""
    with course.gradebook() as gb:
        return {nb: [(c.grade_id, c.points, c.autograded) for c in graded]
                for nb, graded in cells.released_cells(gb, a.id).items()}


def restore_test_cells(submitted, released):
    """Put every graded test cell of ``released`` back in ``submitted`` (both nbformat dicts).

    nbgrader overwrites the *source* of locked cells it finds, but not a cell that was deleted,
    and not one moved away from the function it tests. A test cell is in place when the nearest
    nbgrader cell above it is the one above it in the release (the solution cell of the function
    it tests); copies elsewhere are removed, and a missing or moved test cell is inserted after
    that cell and the student's cells that follow it (before the next nbgrader cell), where the
    release has it. Cells in place are left alone. Returns ``(notebook, notes)``.
    """
    import copy

    gid, is_test = cells.grade_id, cells.is_autograded_test

    def anchor_of(cells, i):
        return next((gid(c) for c in reversed(cells[:i]) if gid(c)), None)

    nb = copy.deepcopy(submitted)
    notes = []
    for i, test in [(i, c) for i, c in enumerate(released["cells"]) if is_test(c)]:
        g, anchor = gid(test), anchor_of(released["cells"], i)
        present = [k for k, c in enumerate(nb["cells"]) if gid(c) == g]
        keep = next((k for k in present if anchor_of(nb["cells"], k) == anchor), None)
        nb["cells"] = [c for k, c in enumerate(nb["cells"]) if gid(c) != g or k == keep]
        if keep is not None:
            continue
        start = next((k + 1 for k, c in enumerate(nb["cells"]) if anchor is not None and gid(c) == anchor), None)
        if start is None:
            start = 0 if anchor is None else len(nb["cells"])
        pos = next((k for k in range(start, len(nb["cells"])) if gid(nb["cells"][k])), len(nb["cells"]))
        nb["cells"].insert(pos, copy.deepcopy(test))
        notes.append(f"[grader] the locked test cell {g} was {'moved' if present else 'missing'}: put back in place")
    return nb, notes


KERNEL_START_FAILURES = ("Kernel didn't respond in", "Kernel died before replying to kernel_info")
KERNEL_START_RETRIES = 2


def _autograde_process(course, shard, steps, limits):
    """Run nbgrader autograde in a fresh process group; ``(output, timed_out)``."""
    cmd = [sys.executable, "-m", "autograder.nbgrader_worker", str(shard)]
    proc = subprocess.Popen(cmd, cwd=shard, env=worker_env(course, shard, limits), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(json.dumps(steps), timeout=limits.notebook_timeout)
        return out, False
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        out, _ = proc.communicate()
        return out, True


def grade_submission(course, shard, sub, limits):
    """Autograde one submission in ``shard`` (a fresh process tree); return a :class:`StudentResult`."""
    a, student = sub.assignment, sub.student
    shard_course = CourseDir(root=course.root, build_dir=shard)
    dest = shard / "submitted" / student / a.id
    for step in ("submitted", "autograded"):
        if (shard / step / student).exists():
            shutil.rmtree(shard / step / student)
    shutil.copytree(sub.folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    restored_notes = []
    released = course.path("release", a) / a.notebook.name
    try:
        submitted_nb = json.loads((dest / a.notebook.name).read_text(encoding="utf-8"))
        fixed, restored_notes = restore_test_cells(submitted_nb, json.loads(released.read_text(encoding="utf-8")))
        (dest / a.notebook.name).write_text(json.dumps(fixed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    except (ValueError, KeyError, TypeError, AttributeError):
        pass   # not a readable notebook: nbgrader reports it
    steps = [{"step": "autograde", "assignment": a.id, "student": student, "timeout": limits.cell_timeout}]
    start = time.perf_counter()
    for attempt in range(1 + KERNEL_START_RETRIES):
        out, timed_out = _autograde_process(course, shard, steps, limits)
        if timed_out or not any(m in (out or "") for m in KERNEL_START_FAILURES):
            break   # a kernel that did not start is the machine's problem, not the student's: retry
    seconds = time.perf_counter() - start
    results = [json.loads(ln[len(PREFIX):]) for ln in (out or "").splitlines() if ln.startswith(PREFIX)]
    log = "\n".join((r.get("log") or "") + (r.get("error") or "") for r in results) or (out or "")
    (shard / "logs" / f"autograde-{a.id}-{student}.log").write_text(log)
    ok = bool(results) and results[0]["success"] and not timed_out
    scores = _shard_scores(shard_course, a, student) if ok else None
    result = StudentResult(student, a.id, "ok", seconds, log=log)
    autograded = shard / "autograded" / student / a.id
    if ok and scores is not None:
        result.autograded_dir = autograded
        for nb_name in sorted(scores):
            path = autograded / f"{nb_name}.ipynb"
            cells, notes = cell_results(path, scores[nb_name], limits.cell_timeout, limits.memory_mb)
            fb = NotebookFeedback(a.id, student, nb_name, "graded", cells=cells,
                                  grader_notes=(restored_notes if nb_name == a.name else []) + notes)
            result.notebooks.append(fb)
            result.flags += suspicious_code(path)
        return result
    if timed_out:
        result.status = "time budget"
        note = (f"Time budget: grading this notebook took longer than its total budget of "
                f"{limits.notebook_timeout:g} s and was stopped; no cell was graded. Make sure the whole "
                f"notebook runs (Restart & Run All) well within that time.")
    elif "DeadKernelError" in log or "Kernel died" in log or "UnresponsiveKernelError" in log \
            or "kernel died" in log.lower():
        result.status = "kernel died"
        note = ("Kernel died: the notebook's kernel stopped while it ran (os._exit, a crash, or memory "
                "exhausted outside Python), so the notebook could not be graded. A notebook must run from "
                "top to bottom (Restart & Run All).")
    else:
        result.status = "not graded"
        last = [ln for ln in log.strip().splitlines() if ln.strip()][-1:] or ["no log"]
        note = f"Not graded: nbgrader could not autograde this notebook ({last[0][:300]})."
    for nb_name, cells in _released_cells(course, a).items():
        from autograder.feedback import CellResult

        fb = NotebookFeedback(a.id, student, nb_name, result.status, note=note, cells=[
            CellResult(gid, 0.0, mx, auto, note.split(":")[0] + "." if auto else "Graded by hand.")
            for gid, mx, auto in cells])
        result.notebooks.append(fb)
        nb_path = sub.folder / f"{nb_name}.ipynb"
        if nb_path.is_file():
            result.flags += suspicious_code(nb_path)
    return result


# -- the class -------------------------------------------------------------------------------------

def merge_into_gradebook(course, results):
    """Write every result into the main gradebook (serially), keeping manual grades already given."""
    import warnings

    from nbgrader.api import MissingEntry

    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:  # pragma: no cover
        SAWarning = Warning
    with warnings.catch_warnings(), course.gradebook() as gb:
        warnings.simplefilter("ignore", SAWarning)
        for r in sorted(results, key=lambda r: (r.student, r.assignment)):
            gb.update_or_create_student(r.student)
            kept = {}
            try:
                old = gb.find_submission(r.assignment, r.student)
                for nb in old.notebooks:
                    for g in nb.grades:
                        if g.manual_score is not None:
                            kept[(nb.name, g.name)] = g.manual_score
                gb.remove_submission(r.assignment, r.student)
            except MissingEntry:
                pass
            gb.add_submission(r.assignment, r.student)
            for fb in r.notebooks:
                for c in fb.cells:
                    g = gb.find_grade(c.grade_id, fb.notebook, r.assignment, r.student)
                    if c.autograded:
                        g.auto_score = c.points
                        g.needs_manual_grade = False
                    else:
                        g.auto_score = None
                        g.needs_manual_grade = True
                    if (fb.notebook, c.grade_id) in kept:
                        g.manual_score = kept[(fb.notebook, c.grade_id)]
                        g.needs_manual_grade = False
                        if not c.autograded:
                            c.points = float(g.manual_score)
                            c.message = ""
            gb.db.commit()


def fmt(x):
    """Stable point formatting: at most 2 decimals, no trailing zeros ("2", "1.5", "0.25")."""
    text = f"{round(float(x), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def grades_csv(results):
    """The text of ``grades.csv``: one row per (student, assignment), sorted; deterministic."""
    notebooks = sorted({fb.notebook for r in results for fb in r.notebooks})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "assignment", *notebooks, "total", "max", "manual_grading_pending", "status", "flags"])
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        by_nb = {fb.notebook: fb for fb in r.notebooks}
        per_nb = [fmt(sum(c.points for c in by_nb[n].cells)) if n in by_nb else "" for n in notebooks]
        total = sum(c.points for fb in r.notebooks for c in fb.cells)
        mx = sum(c.max_points for fb in r.notebooks for c in fb.cells)
        pending = any(not c.autograded and c.message == "Graded by hand." for fb in r.notebooks for c in fb.cells)
        w.writerow([r.student, r.assignment, *per_nb, fmt(total), fmt(mx), "yes" if pending else "no", r.status,
                    " ".join(sorted(set(r.flags)))])
    return buf.getvalue()


@dataclass
class ClassReport:
    results: list
    grades_csv: Path
    seconds: float
    workers: int

    def by_student(self):
        return {(r.student, r.assignment): r for r in self.results}


def grade_class(course, submitted_dir, workers=1, assignment=None, cell_timeout=None, notebook_timeout=None,
                memory_mb=None, progress=False, log=print, out_csv=None):
    """Autograde every submission under ``submitted_dir``; write feedback and ``grades.csv``."""
    if int(workers) < 1:
        raise CourseError(f"--workers must be at least 1 (got {workers})")
    subs = find_submissions(course, submitted_dir, assignment)
    assignments = sorted({s.assignment.id for s in subs})
    for a in assignments:
        ensure_released(course, a, log=log)
    workers = min(int(workers), len(subs))
    shards = [prepare_shard(course, course.build_dir / "grading" / f"shard-{k}", assignments) for k in range(workers)]
    todo = queue.Queue()
    for s in subs:
        todo.put(s)
    results, lock, errors = [], threading.Lock(), []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(subs), desc="grading", unit="notebook", file=sys.stderr, dynamic_ncols=True)

    def run(shard):
        while True:
            try:
                s = todo.get_nowait()
            except queue.Empty:
                return
            try:
                r = grade_submission(course, shard, s, limits_for(s.assignment.id, cell_timeout, notebook_timeout,
                                                                  memory_mb))
            except Exception as e:  # the class goes on; this submission is reported as not graded
                r = StudentResult(s.student, s.assignment.id, "not graded", 0.0, log=repr(e))
                errors.append(f"{s.student}/{s.assignment.id}: {e!r}")
            with lock:
                results.append(r)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"{s.student}: {r.status}")

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(sh,), daemon=True) for sh in shards]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - start
    for r in results:
        if r.autograded_dir is not None:
            dest = course.build_dir / "autograded" / r.student / r.assignment
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(r.autograded_dir, dest)
    merge_into_gradebook(course, results)
    for r in results:
        for fb in r.notebooks:
            out = course.build_dir / "feedback" / r.student / r.assignment / f"{fb.notebook}.html"
            out.parent.mkdir(parents=True, exist_ok=True)
            if r.flags:
                fb.grader_notes = fb.grader_notes + [f"[grader] flagged for review: the code uses {', '.join(sorted(set(r.flags)))}"]
            out.write_text(render_html(fb), encoding="utf-8")
    csv_path = Path(out_csv) if out_csv else course.build_dir / "grades.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.write_text(grades_csv(results), encoding="utf-8")
    for e in errors:
        log(f"warning: {e}")
    return ClassReport(sorted(results, key=lambda r: (r.student, r.assignment)), csv_path, seconds, workers)


# -- CLI ---------------------------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        prog="course grade",
        description="Autograde every submission in SUBMITTED_DIR with nbgrader (SUBMITTED_DIR/<student>/"
                    "<assignment id>/<notebook>.ipynb), write feedback and grades.csv in the build directory.")
    p.add_argument("submitted_dir", metavar="SUBMITTED_DIR")
    p.add_argument("--workers", type=int, default=1, help="parallel graders (default 1; about one per CPU core)")
    p.add_argument("--assignment", help="grade only this assignment (id, name or number)")
    p.add_argument("--build-dir", help="nbgrader build directory (default $COURSE_BUILD_DIR or <repo>/course_build)")
    p.add_argument("--root", help="course repository (default: found from the current directory)")
    p.add_argument("--out", help="where to write grades.csv (default <build>/grades.csv)")
    p.add_argument("--cell-timeout", type=float, help="seconds per cell (default: autograder/config.py)")
    p.add_argument("--notebook-timeout", type=float, help="seconds for one whole notebook (default: config)")
    p.add_argument("--memory-mb", type=int, help=f"kernel memory limit in MB (default {config.GRADING_MEMORY_MB})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error(f"--workers must be at least 1 (got {args.workers})")
    try:
        course = CourseDir(root=args.root, build_dir=args.build_dir)
        report = grade_class(course, args.submitted_dir, workers=args.workers, assignment=args.assignment,
                             cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                             memory_mb=args.memory_mb, progress=not args.no_progress, out_csv=args.out)
    except CourseError as e:
        print(f"course grade: {e}", file=sys.stderr)
        return 2
    n = len(report.results)
    bad = [r for r in report.results if r.status != "ok"]
    print(f"graded {n} submission(s) with {report.workers} worker(s) in {report.seconds:.1f} s "
          f"({report.seconds * report.workers / max(n, 1):.1f} s per notebook per worker)")
    for r in bad:
        print(f"  {r.student}/{r.assignment}: {r.status}")
    print(f"grades:   {report.grades_csv}")
    print(f"feedback: {course.build_dir / 'feedback'}/<student>/<assignment>/<notebook>.html")
    return 0
