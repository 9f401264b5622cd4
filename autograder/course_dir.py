"""A Python API around nbgrader for one course checkout and its build directory.

:class:`CourseDir` knows where the sources are (``notebooks/NN_<name>/<name>.ipynb``)
and where nbgrader works (the build directory: ``source/``, ``release/``, ``submitted/``,
``autograded/``, ``feedback/``, ``gradebook.db``)::

    course = CourseDir()                       # repo found from the cwd
    a = course.assignment("warmup")            # or "00_warmup", "00"; course.assignments() lists all
    course.release(a)                          # nbgrader generate_assignment (fills the gradebook)
    course.submit(a, "alice", "alice/warmup.ipynb")
    course.autograde(a, "alice")               # graded as `course grade` grades: guarded kernel, limits
    course.feedback(a, "alice")                # -> [feedback/alice/00_warmup/warmup.html]
    course.scores(a, "alice")                  # per-cell points from the gradebook (ScoredCell)

nbgrader steps (the release) run in a fresh ``python -m autograder.nbgrader_worker``
process (:func:`autograder.runner.run_nbgrader`) whose cwd is the build directory, which
holds an ``nbgrader_config.py`` that loads ``autograder/nbgrader_config.py``: nbgrader's
traitlets singletons never leak into the caller, and the kernel inherits an environment
made for grading (:meth:`CourseDir.kernel_env`: the repo root on PYTHONPATH so hidden
tests import ``autograder``, TensorFlow quiet, no non-inline matplotlib backend). Each
step's log is kept in ``<build>/logs/``; a failing step raises :class:`NbgraderError` with
the log's tail. :meth:`CourseDir.autograde` goes through :mod:`autograder.grade`, the one
grading path.
"""

import datetime
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells, config
from autograder.results import ScoredCell

__all__ = ["ASSIGNMENT_RE", "CourseError", "NbgraderError", "Assignment", "Scores", "CourseDir", "find_repo_root",
           "graded_cells", "check_student_id"]

ASSIGNMENT_RE = re.compile(r"^(\d\d)_([A-Za-z0-9_]+)$")


class CourseError(Exception):
    """A problem with the course set-up; the message says what and how to fix it."""


class NbgraderError(CourseError):
    """An nbgrader step failed; ``log`` holds its output."""

    def __init__(self, message, log=""):
        super().__init__(message)
        self.log = log


def find_repo_root(start=None):
    """The course checkout holding ``start`` (default: the cwd): the nearest
    folder, ``start`` or a parent, with ``autograder/nbgrader_config.py``."""
    start = Path(start or os.getcwd()).resolve()
    for folder in [start, *start.parents]:
        if (folder / "autograder" / "nbgrader_config.py").is_file():
            return folder
    raise CourseError(
        f"no course checkout found: neither {start} nor any parent holds autograder/nbgrader_config.py. "
        f"Run this from the course repository (the instructor's checkout, not the student package) "
        f"or pass --root PATH_TO_REPO."
    )


@dataclass(frozen=True)
class Assignment:
    """Assignment ``NN_<name>`` with its source notebook ``notebooks/NN_<name>/<name>.ipynb``."""

    id: str
    name: str
    source_dir: Path

    @property
    def notebook(self):
        return self.source_dir / f"{self.name}.ipynb"

    @property
    def cell_timeout(self):
        return config.cell_timeout(self.id)


@dataclass
class Scores:
    """Points of one submission of one assignment, from the gradebook (cells: :class:`ScoredCell`)."""

    assignment: str
    student: str
    cells: list = field(default_factory=list)

    @property
    def auto_score(self):
        return sum(c.points for c in self.cells if c.autograded)

    @property
    def auto_max(self):
        return sum(c.max_points for c in self.cells if c.autograded)

    @property
    def manual_max(self):
        return sum(c.max_points for c in self.cells if not c.autograded)

    @property
    def manual_pending(self):
        return any(c.manual_pending for c in self.cells)

    def failed(self):
        """Autograded cells that did not get full points."""
        return [c for c in self.cells if c.autograded and c.points < c.max_points]


def graded_cells(notebook_path):
    """The cells worth points of a notebook file (:class:`autograder.cells.GradedCell`), in order."""
    return cells.graded_cells(json.loads(Path(notebook_path).read_text(encoding="utf-8")))


class CourseDir:
    """One course: the checkout at ``root`` and its nbgrader build directory."""

    def __init__(self, root=None, build_dir=None):
        self.root = Path(root).resolve() if root else find_repo_root()
        if not (self.root / "autograder" / "nbgrader_config.py").is_file():
            raise CourseError(f"{self.root} is not a course checkout: autograder/nbgrader_config.py is missing")
        self.build_dir = Path(build_dir or config.default_build_dir(self.root)).resolve()
        self.notebooks_dir = self.root / "notebooks"

    # -- assignments ---------------------------------------------------------------------------

    def assignments(self):
        """Every assignment with a source notebook, in order."""
        found = []
        if self.notebooks_dir.is_dir():
            for d in sorted(self.notebooks_dir.iterdir()):
                m = ASSIGNMENT_RE.match(d.name)
                if m and d.is_dir() and (d / f"{m.group(2)}.ipynb").is_file():
                    found.append(Assignment(d.name, m.group(2), d))
        return found

    def assignment(self, key):
        """The assignment called ``key``: its id ("00_warmup"), name ("warmup") or number ("00")."""
        if isinstance(key, Assignment):
            return key
        all_ = self.assignments()
        for a in all_:
            if key in (a.id, a.name, a.id[:2]):
                return a
        known = ", ".join(a.id for a in all_) or "none"
        raise CourseError(f"no assignment {key!r} in {self.notebooks_dir} (known: {known}); "
                          f"a source notebook lives at notebooks/NN_<name>/<name>.ipynb")

    # -- paths ---------------------------------------------------------------------------------

    def path(self, step, assignment, student="."):
        """``<build>/<step>/<student>/<assignment id>`` as nbgrader lays it out."""
        a = self.assignment(assignment)
        if step in ("source", "release"):
            return self.build_dir / step / a.id
        return self.build_dir / step / student / a.id

    @property
    def db_url(self):
        return f"sqlite:///{self.build_dir / 'gradebook.db'}"

    # -- environment ---------------------------------------------------------------------------

    def kernel_env(self, fast=True, grading=False):
        """Environment for a kernel that runs a course notebook.

        The repo root goes first on PYTHONPATH (hidden tests import ``autograder``;
        ``course`` comes from the checkout), TensorFlow logs nothing to stderr,
        matplotlib keeps the notebook's inline backend (an ``MPLBACKEND=Agg`` set
        for pytest would make ``plt.show()`` warn on stderr). ``fast`` sets
        ``COURSE_FAST``; ``grading`` keeps ``NBGRADER_EXECUTION`` (nbgrader sets it
        itself when autograding).
        """
        env = dict(os.environ)
        env["PATH"] = _with_python_bin(env.get("PATH", ""))
        paths = [str(self.root)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "ignore::DeprecationWarning")
        env["COURSE_FAST"] = "1" if fast else "0"
        env.pop("MPLBACKEND", None)
        if not grading:
            env.pop("NBGRADER_EXECUTION", None)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        return env

    # -- nbgrader ------------------------------------------------------------------------------

    def prepare(self):
        """Create the build directory and its ``nbgrader_config.py``."""
        self.build_dir.mkdir(parents=True, exist_ok=True)
        (self.build_dir / "logs").mkdir(exist_ok=True)
        cfg = self.build_dir / "nbgrader_config.py"
        text = (
            "# Written by `course build`: the course's nbgrader settings, with this folder as root.\n"
            f"c = get_config()\n"
            f"load_subconfig({str(self.root / 'autograder' / 'nbgrader_config.py')!r})\n"
            f"c.CourseDirectory.root = {str(self.build_dir)!r}\n"
        )
        if not cfg.is_file() or cfg.read_text() != text:
            cfg.write_text(text)
        return self.build_dir

    def run_steps(self, steps, timeout=None, log_name=None):
        """Run nbgrader steps (:mod:`autograder.nbgrader_worker`) in one fresh process in the build directory.

        ``steps``: dicts ``{"step": "release"|"autograde", "assignment": id or Assignment,
        "student": id}``; autograde steps get the assignment's per-cell timeout. Returns the
        per-step results (``success``, ``log``, ``seconds``); raises :class:`NbgraderError`
        naming the failed step, with the tail of its log, when one fails. ``timeout`` bounds
        the whole batch in seconds.
        """
        from autograder.runner import run_nbgrader

        self.prepare()
        steps = [dict(s) for s in steps]
        for s in steps:
            a = self.assignment(s["assignment"])
            s["assignment"] = a.id
            if s["step"] == "autograde":
                s.setdefault("timeout", a.cell_timeout)
        name = log_name or "-".join([steps[0]["step"], steps[0]["assignment"]]
                                    + ([steps[0]["student"]] if steps[0].get("student") else []))
        log_path = self.build_dir / "logs" / f"{name}.log"
        run = run_nbgrader(self.build_dir, steps, self.kernel_env(grading=True), timeout=timeout)
        log_path.write_text("\n".join(
            f"== {r['step']} {r['assignment']} {r.get('student') or ''} ({r['seconds']:.1f} s, "
            f"{'ok' if r['success'] else 'FAILED'})\n{r.get('log') or ''}{r.get('error') or ''}" for r in run.results)
            + ("\n== output\n" + run.output if run.output.strip() else ""))
        if not run.ok:
            failed = [r for r in run.results if not r["success"]]
            r = failed[0] if failed else None
            what = (f"nbgrader {r['step']} of {r['assignment']}" + (f" for {r['student']}" if r.get("student") else "")
                    if r else f"the nbgrader steps {[s['step'] for s in steps]}")
            why = f"took more than {timeout} s" if run.timed_out else "failed"
            text = ((r.get("log") or "") + (r.get("error") or "")) if r else run.output
            tail = "\n".join(text.strip().splitlines()[-25:])
            raise NbgraderError(f"{what} {why} (log: {log_path}):\n{tail}", text)
        return run.results

    def gradebook(self):
        """An open :class:`nbgrader.api.Gradebook` (use as a context manager)."""
        from nbgrader.api import Gradebook

        # nbgrader runs the `alembic` script (from PATH) when it creates a gradebook; a venv's
        # scripts are not on PATH when `course` is run as .venv/bin/course without activating it.
        os.environ["PATH"] = _with_python_bin(os.environ.get("PATH", ""))
        self.prepare()
        return Gradebook(self.db_url, config.COURSE_ID)

    # -- the steps -----------------------------------------------------------------------------

    def copy_source(self, assignment):
        """Copy the assignment's source folder to ``<build>/source/<id>`` (nbgrader's source)."""
        a = self.assignment(assignment)
        dest = self.path("source", a)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(a.source_dir, dest, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store"))
        return dest

    def release(self, assignment):
        """Generate the student release of ``assignment``; return ``<build>/release/<id>``.

        Also records the assignment and its graded cells in the gradebook.
        """
        a = self.assignment(assignment)
        problem = self.release_all([a])[a.id]
        if problem:
            raise NbgraderError(problem)
        return self.path("release", a)

    def release_all(self, assignments):
        """Release several assignments in one nbgrader process (its start-up is paid once).

        Returns ``{assignment id: None, or what went wrong}``: one failed release does not stop
        the others.
        """
        from autograder.runner import run_nbgrader

        assignments = [self.assignment(a) for a in assignments]
        self.prepare()
        for a in assignments:
            self.copy_source(a)
        steps = [{"step": "release", "assignment": a.id} for a in assignments]
        run = run_nbgrader(self.build_dir, steps, self.kernel_env(grading=True))
        by_id = {r["assignment"]: r for r in run.results}
        out = {}
        for a in assignments:
            r = by_id.get(a.id)
            log_path = self.build_dir / "logs" / f"release-{a.id}.log"
            log_path.write_text(((r.get("log") or "") + (r.get("error") or "")) if r else run.log)
            out[a.id] = None
            if r is None or not r["success"]:
                text = ((r.get("log") or "") + (r.get("error") or "")) if r else run.log
                tail = "\n".join(text.strip().splitlines()[-25:])
                out[a.id] = f"nbgrader generate_assignment of {a.id} failed (log: {log_path}):\n{tail}"
            elif not (self.path("release", a) / a.notebook.name).is_file():
                out[a.id] = f"nbgrader generate_assignment wrote no {self.path('release', a) / a.notebook.name}"
        return out

    def add_student(self, student, **info):
        """Add (or update) a student in the gradebook; ``info``: first_name, last_name, email."""
        check_student_id(student)
        with self.gradebook() as gb:
            gb.update_or_create_student(student, **info)

    def remove_student(self, student):
        """Remove a student, their submissions and grades from the gradebook and the build folders."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                gb.remove_student(student)
            except MissingEntry:
                pass
        for step in ("submitted", "autograded", "feedback"):
            folder = self.build_dir / step / student
            if folder.exists():
                shutil.rmtree(folder)

    def submit(self, assignment, student, files, timestamp=None):
        """Place ``files`` (notebook paths, or a folder) as ``student``'s submission.

        Replaces an earlier submission; writes ``timestamp.txt`` (now, UTC, unless
        given). Returns the submission folder.
        """
        a = self.assignment(assignment)
        check_student_id(student)
        if isinstance(files, (str, os.PathLike)):
            files = [files]
        files = [Path(f) for f in files]
        if len(files) == 1 and files[0].is_dir():
            files = sorted(p for p in files[0].iterdir() if p.is_file() and p.name != "timestamp.txt")
        if not files:
            raise CourseError(f"nothing to submit for {student}: no files given")
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CourseError(f"cannot submit {', '.join(missing)} for {student}: no such file")
        dest = self.path("submitted", a, student)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for f in files:
            shutil.copy(f, dest / f.name)
        stamp = timestamp or datetime.datetime.now(datetime.timezone.utc)
        (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z").strip())
        self.add_student(student)
        return dest

    def autograde(self, assignment, student, timeout=None):
        """Autograde ``student``'s submission as ``course grade`` does; return ``<build>/autograded/<student>/<id>``.

        The grading kernel, its guard and limits (``timeout``: the notebook's time budget, in
        seconds; default from ``autograder/config.py``), the gradebook merge and the feedback
        page: one submission through :mod:`autograder.grade`, on a pool of one worker.
        """
        from autograder.engine import LocalPool
        from autograder.grade import grade_submissions
        from autograder.report import write_results
        from autograder.submissions import Submission

        a = self.assignment(assignment)
        check_student_id(student)
        folder = self.path("submitted", a, student)
        if not (folder / a.notebook.name).is_file():
            raise CourseError(f"no submission of {a.id} by {student!r}: {folder / a.notebook.name} is missing "
                              f"(submit it first)")
        with LocalPool(1) as pool:
            graded = grade_submissions(self, [Submission(student, a, folder)], pool, notebook_timeout=timeout)
        write_results(self, graded, csv_file=False)
        return self.path("autograded", a, student)

    def feedback(self, assignment, student):
        """The feedback pages of ``student``'s autograded submission (written by :meth:`autograde`)."""
        return self.feedback_files(assignment, student)

    def feedback_files(self, assignment, student):
        """The feedback HTML files of ``student``."""
        a = self.assignment(assignment)
        folder = self.path("feedback", a, student)
        html = sorted(folder.glob("*.html"))
        if not html:
            raise NbgraderError(f"no feedback in {folder}: autograde the submission first")
        return html

    def scores(self, assignment, student):
        """Per-cell points of ``student``'s graded submission, from the gradebook (:class:`Scores`)."""
        from nbgrader.api import MissingEntry

        a = self.assignment(assignment)
        result = Scores(a.id, student)
        with self.gradebook() as gb:
            try:
                sub = gb.find_submission(a.id, student)
            except MissingEntry:
                raise CourseError(f"no graded submission of {a.id} by {student!r} in {self.db_url}: "
                                  f"submit and autograde it first") from None
            for nb in sub.notebooks:
                solutions = {c.name for c in nb.notebook.solution_cells}
                for grade in nb.grades:
                    kind = cells.classify(grade.cell.cell_type, True, grade.name in solutions)
                    score = grade.manual_score if grade.manual_score is not None else (grade.auto_score or 0.0)
                    pending = kind != cells.TEST and bool(grade.needs_manual_grade)
                    result.cells.append(ScoredCell(grade.name, float(score), float(grade.max_score), kind,
                                                   manual_pending=pending))
        return result


def _with_python_bin(path):
    """``path`` (a PATH value) with the folder of this Python's scripts first."""
    bin_dir = os.path.dirname(sys.executable)
    parts = [p for p in path.split(os.pathsep) if p]
    return path if parts[:1] == [bin_dir] else os.pathsep.join([bin_dir] + [p for p in parts if p != bin_dir])


def check_student_id(student):
    """Raise :class:`CourseError` unless ``student`` is an id nbgrader and file paths can take."""
    if not isinstance(student, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@+-]*", student):
        raise CourseError(f"invalid student id {student!r}: use letters, digits and _ . @ + - "
                          f"(no spaces or slashes), starting with a letter or digit")
