"""A grading workspace: the nbgrader course folder one submission is autograded in.

The client packs what a worker needs to grade an assignment into a :class:`Release`
(:func:`pack_release`: the released gradebook without students, the assignment's source
folder, the released notebooks, the hashes of the graded test cells, the client's grading
environment). It is plain data: the local pool hands it to its processes, Dask sends it to
each worker once. On the worker, :class:`Workspace` lays out a fresh folder for one
submission::

    <base>/task-<random>/
        nbgrader_config.py       the course's configuration, rooted here, grading kernel, Unix sockets
        gradebook.db             a copy of the released gradebook
        source/<id>/             the assignment's source folder (nbgrader copies its data files)
        submitted/<student>/<id>/<notebook>.ipynb (+ timestamp.txt)
        autograded/<student>/<id>/   written by nbgrader autograde
        jupyter/kernels/course-grading/kernel.json   python -m autograder.kernel_guard
        trusted.txt              the graded test cells' hashes, for the guard

``<base>`` is ``$COURSE_GRADING_TMP`` or ``<tmp>/course-grading-<uid>``; the unpacked
release is cached there per machine (``release-<digest>/``) and each task's folder is
removed when the task ends (or, left by a killed worker, a day later). Nothing here writes
to the client's build folder.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells, config
from autograder.kernel_guard import ENV_ALLOWED, ENV_MEMORY, ENV_PROTECTED, ENV_TRUSTED, cell_hash

__all__ = ["KERNEL_NAME", "ENV_BASE", "Limits", "limits_for", "Release", "pack_release", "Workspace", "base_dir"]

KERNEL_NAME = "course-grading"
ENV_BASE = "COURSE_GRADING_TMP"
#: A task folder this old was left by a worker that was killed before it could remove it.
STALE_S = 24 * 3600
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store")


@dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, seconds for the whole notebook, kernel memory."""

    cell_timeout: float
    notebook_timeout: float
    memory_mb: int


def limits_for(assignment_id, cell_timeout=None, notebook_timeout=None, memory_mb=None):
    """The :class:`Limits` of ``assignment_id``: ``autograder/config.py``, overridden by the arguments given."""
    cell = cell_timeout or config.cell_timeout(assignment_id)
    return Limits(float(cell), float(notebook_timeout or config.notebook_timeout(assignment_id, cell)),
                  int(memory_mb or config.grading_memory_mb(assignment_id)))


@dataclass(frozen=True)
class Release:
    """Everything a worker needs to autograde submissions of one assignment (plain data)."""

    assignment: str                  # assignment id, "00_warmup"
    notebooks: tuple                 # notebook names, ("warmup",)
    gradebook: bytes                 # the released gradebook.db, without students
    source: dict                     # {path relative to source/<id>/: bytes}
    released: dict                   # {"warmup.ipynb": bytes}: the student release (to repair submissions)
    trusted: tuple                   # cell_hash of every graded test cell's source
    environment: dict                # the client's autograder.environment.grading_environment()
    protect: tuple = ()              # client folders (build, submissions) kept out of reach on the same machine
    digest: str = field(default="")  # identifies the content (the workers' cache key)


def pack_release(course, assignment, protect=()):
    """The :class:`Release` of ``assignment`` from ``course``'s build folder (it must be released)."""
    from autograder.environment import grading_environment

    a = course.assignment(assignment)
    source_dir, release_dir = course.path("source", a), course.path("release", a)
    db = course.build_dir / "gradebook.db"
    for path, what in ((db, "gradebook"), (source_dir, "source folder"), (release_dir / a.notebook.name, "release")):
        if not path.exists():
            raise FileNotFoundError(f"{a.id} is not released in {course.build_dir}: no {what} at {path} "
                                    f"(run `course build --only {a.name}`)")
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        copy = Path(tmp) / "gradebook.db"
        shutil.copy(db, copy)
        notebooks, trusted = _strip_gradebook(copy, a.id)
        gradebook = copy.read_bytes()
    source = {p.relative_to(source_dir).as_posix(): p.read_bytes()
              for p in sorted(source_dir.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
              and ".ipynb_checkpoints" not in p.parts}
    released = {p.name: p.read_bytes() for p in sorted(release_dir.glob("*.ipynb"))}
    h = hashlib.sha256(gradebook)
    for name, data in sorted(source.items()) + sorted(released.items()):
        h.update(name.encode() + b"\0" + data)
    return Release(a.id, tuple(notebooks), gradebook, source, released, tuple(trusted),
                   grading_environment(course.root), tuple(str(p) for p in protect), h.hexdigest()[:16])


def _strip_gradebook(path, assignment_id):
    """Keep only ``assignment_id`` in the gradebook at ``path`` (no students, no other assignment).

    Returns ``(notebook names, trusted hashes)`` of the assignment.
    """
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    try:
        from sqlalchemy import text
        from sqlalchemy.exc import SAWarning
    except ImportError:  # pragma: no cover
        text, SAWarning = None, Warning
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{path}", config.COURSE_ID) as gb:
        warnings.simplefilter("ignore", SAWarning)
        try:
            gb.find_assignment(assignment_id)
        except MissingEntry:
            raise FileNotFoundError(f"the gradebook {path} has no assignment {assignment_id} "
                                    f"(release it: `course build`)") from None
        for student in list(gb.students):
            gb.remove_student(student.id)
        for other in [x.name for x in gb.assignments if x.name != assignment_id]:
            gb.remove_assignment(other)
        notebooks = sorted(nb.name for nb in gb.find_assignment(assignment_id).notebooks)
        trusted = sorted(cell_hash(gb.find_source_cell(c.grade_id, nb, assignment_id).source)
                         for nb, graded in cells.released_cells(gb, assignment_id).items()
                         for c in graded if c.autograded)
        gb.db.commit()
        if text is not None:
            gb.db.execute(text("VACUUM"))
    return notebooks, trusted


def base_dir():
    """The folder workspaces are made in: ``$COURSE_GRADING_TMP`` or ``<tmp>/course-grading-<uid>``."""
    base = Path(os.environ.get(ENV_BASE) or Path(tempfile.gettempdir()) / f"course-grading-{os.getuid()}")
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


def _unpacked(release, base):
    """The release's files under ``base/release-<digest>/``, written once per machine and reused."""
    folder = base / f"release-{release.digest}"
    if (folder / "complete").is_file():
        return folder
    tmp = base / f".release-{release.digest}-{uuid.uuid4().hex[:8]}"
    for rel, data in release.source.items():
        (tmp / "source" / release.assignment / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "source" / release.assignment / rel).write_bytes(data)
    (tmp / "source" / release.assignment).mkdir(parents=True, exist_ok=True)
    (tmp / "gradebook.db").write_bytes(release.gradebook)
    (tmp / "trusted.txt").write_text("\n".join(release.trusted) + "\n")
    (tmp / "complete").write_text(release.digest)
    try:
        tmp.rename(folder)
    except OSError:    # another process on this machine unpacked it first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


class Workspace:
    """A fresh nbgrader course folder for grading one submission of ``release`` (use as a context manager)."""

    def __init__(self, release, root, base=None):
        self.release, self.root = release, Path(root)
        self.base = Path(base) if base else base_dir()
        _sweep(self.base)
        self.folder = self.base / f"task-{uuid.uuid4().hex[:12]}"
        unpacked = _unpacked(release, self.base)
        (self.folder / "logs").mkdir(parents=True)
        shutil.copy(unpacked / "gradebook.db", self.folder / "gradebook.db")
        (self.folder / "source").mkdir()
        os.symlink(unpacked / "source" / release.assignment, self.folder / "source" / release.assignment)
        self.trusted = unpacked / "trusted.txt"
        self.sockets = Path(tempfile.mkdtemp(prefix="cg-", dir=_short_tmp()))
        (self.folder / "nbgrader_config.py").write_text(
            "# Written by the grading task: one submission's course folder (own gradebook), grading kernel.\n"
            "c = get_config()\n"
            f"load_subconfig({str(self.root / 'autograder' / 'nbgrader_config.py')!r})\n"
            f"c.CourseDirectory.root = {str(self.folder)!r}\n"
            f"c.Execute.kernel_name = {KERNEL_NAME!r}\n"
            "# Unix sockets, not TCP ports: kernels started at the same moment by two workers cannot\n"
            "# pick the same port (a kernel that loses the race dies, or a client reaches the wrong kernel).\n"
            "c.KernelManager.transport = 'ipc'\n"
            f"c.KernelManager.ip = {str(self.sockets / 'k')!r}\n")
        spec = self.folder / "jupyter" / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "autograder.kernel_guard", "-f", "{connection_file}"],
            "display_name": "Python 3 (course grading)", "language": "python"}, indent=1))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.sockets, ignore_errors=True)

    def submit(self, student, notebooks, timestamp=None):
        """Place ``{file name: bytes}`` as ``student``'s submission; return its folder."""
        dest = self.folder / "submitted" / student / self.release.assignment
        dest.mkdir(parents=True)
        for name, data in notebooks.items():
            (dest / name).write_bytes(data)
        if timestamp:
            (dest / "timestamp.txt").write_text(timestamp)
        return dest

    def autograded(self, student):
        return self.folder / "autograded" / student / self.release.assignment

    def env(self, course, limits):
        """The nbgrader worker's environment: the kernel's, plus the guard's settings and the kernelspec."""
        env = course.kernel_env(grading=True)
        env["JUPYTER_PATH"] = os.pathsep.join(
            [str(self.folder / "jupyter")] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
        env[ENV_MEMORY] = str(limits.memory_mb)
        env[ENV_TRUSTED] = str(self.trusted)
        protected = [str(self.root), str(course.build_dir), str(self.base), *self.release.protect]
        env[ENV_PROTECTED] = os.pathsep.join(dict.fromkeys(protected))
        env[ENV_ALLOWED] = str(self.root / "course")
        env["PYTHONUNBUFFERED"] = "1"
        return env


def _sweep(base):
    """Remove task folders older than :data:`STALE_S` (a killed worker cannot remove its own)."""
    now = time.time()
    for folder in base.glob("task-*"):
        try:
            if now - folder.stat().st_mtime > STALE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def _short_tmp():
    """A temporary folder with a short path (a Unix socket's path must stay under ~100 bytes)."""
    tmp = tempfile.gettempdir()
    return tmp if len(tmp) < 40 else "/tmp"
