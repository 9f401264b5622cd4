"""Grading one submission: one task, data in, data out.

:func:`grade` is what a worker runs (a process of the local pool or a Dask worker; the
client never grades in its own process). Its inputs are a :class:`GradingJob` (student id,
assignment id, the notebooks' bytes, the limits) and the assignment's
:class:`~autograder.workspace.Release`; its result is a
:class:`~autograder.results.SubmissionResult`: per-cell scores and messages, status,
flags, the autograded notebooks and the feedback pages. It writes only to its own
temporary workspace, so a task that runs twice (a worker died under it and the scheduler
started it again elsewhere) changes nothing; the client alone writes the gradebook,
``grades.csv`` and the feedback files (:mod:`autograder.report`).

Steps: check that this worker grades with the client's code and packages
(:mod:`autograder.environment`); lay out a workspace (:mod:`autograder.workspace`); put
moved or deleted test cells back (:mod:`autograder.repair`); run nbgrader's autograde in a
fresh process tree with the limits (:mod:`autograder.runner`), in the grading kernel
(:mod:`autograder.kernel_guard`); read the scores and the autograded notebook into scored
cells (:mod:`autograder.feedback`).
"""

import json
import os
import socket
import time
from dataclasses import dataclass
from functools import lru_cache

from autograder import results
from autograder.environment import checkout_root, differences, grading_environment
from autograder.feedback import (first_line, kernel_death, render_html, scored_cells, suspicious_code,
                                 unscored_cells)
from autograder.repair import restore_test_cells
from autograder.results import NotebookResult, SubmissionResult
from autograder.runner import run_nbgrader
from autograder.workspace import Workspace

__all__ = ["GradingJob", "EnvironmentMismatch", "grade", "worker_environment", "worker_name"]

KERNEL_START_FAILURES = ("Kernel didn't respond in", "Kernel died before replying to kernel_info")
KERNEL_START_RETRIES = 2


@dataclass(frozen=True)
class GradingJob:
    """One submission to grade: who, which assignment, the notebook files' bytes, the limits."""

    student: str
    assignment: str                  # assignment id
    notebooks: dict                  # {"warmup.ipynb": bytes}
    limits: object                   # autograder.workspace.Limits
    timestamp: str = None            # the submission's timestamp.txt

    @property
    def key(self):
        return (self.student, self.assignment)


class EnvironmentMismatch(RuntimeError):
    """This worker would not grade as the client does (other code, packages or data)."""


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


@lru_cache(maxsize=4)
def _environment(root):
    return grading_environment(root)


def worker_environment(root=None):
    """This process's grading environment (what :func:`grade` compares with the client's)."""
    return _environment(str(root or checkout_root()))


def grade(job, release, root=None):
    """Grade ``job`` against ``release`` in a fresh workspace; return a :class:`SubmissionResult`.

    Raises :class:`EnvironmentMismatch` when this worker's code, packages or data differ from
    the client's (every grade it gave could differ).
    """
    from autograder.course_dir import CourseDir

    root = root or checkout_root()
    diff = differences(release.environment, worker_environment(root))
    if diff:
        raise EnvironmentMismatch(f"worker {worker_name()} (checkout {root}) does not grade like the client: "
                                  + "; ".join(diff))
    start = time.perf_counter()
    with Workspace(release, root) as ws:
        course = CourseDir(root=root, build_dir=ws.folder)
        notebooks, repairs = _repaired(job, release)
        ws.submit(job.student, notebooks, job.timestamp)
        steps = [{"step": "autograde", "assignment": job.assignment, "student": job.student,
                  "timeout": job.limits.cell_timeout}]
        for _ in range(1 + KERNEL_START_RETRIES):
            run = run_nbgrader(ws.folder, steps, ws.env(course, job.limits), timeout=job.limits.notebook_timeout)
            if run.timed_out or not any(m in run.log for m in KERNEL_START_FAILURES):
                break   # a kernel that did not start is the machine's problem, not the student's: retry
        result = _judge(job, release, ws, run, repairs, notebooks)
    result.seconds = time.perf_counter() - start
    result.worker = worker_name()
    return result


def _repaired(job, release):
    """The job's notebooks with their test cells put back; ``(notebooks, {notebook: notes})``."""
    out, notes = dict(job.notebooks), {}
    for name, data in job.notebooks.items():
        if name not in release.released:
            continue
        try:
            fixed, notes[name[:-len(".ipynb")]] = restore_test_cells(json.loads(data), json.loads(release.released[name]))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue   # not a readable notebook: nbgrader reports it
        out[name] = (json.dumps(fixed, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return out, notes


def _judge(job, release, ws, run, repairs, notebooks):
    """The :class:`SubmissionResult` of one nbgrader run."""
    limits = job.limits
    result = SubmissionResult(job.student, job.assignment, log=run.log, timestamp=job.timestamp)
    scores = run.results[0].get("scores") if run.ok and run.results else None
    flags = set()
    for name, data in notebooks.items():
        try:
            flags.update(suspicious_code(json.loads(data)))
        except (ValueError, AttributeError, TypeError):
            pass
    result.flags = sorted(flags)
    if scores is not None:
        autograded = ws.autograded(job.student)
        for nb_name in sorted(scores):
            path = autograded / f"{nb_name}.ipynb"
            nb = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"cells": []}
            by_id = {c["grade_id"]: c for c in scores[nb_name]}
            scored, notes = scored_cells(nb, by_id, limits.cell_timeout, limits.memory_mb)
            fb = NotebookResult(job.assignment, job.student, nb_name, cells=scored,
                                grader_notes=repairs.get(nb_name, []) + notes)
            death = kernel_death(nb)
            if death is not None:
                index, cell = death
                fb.status = results.KERNEL_DIED
                fb.note = (f"Kernel died in cell {index + 1} (counting from 1; it starts with "
                           f"{first_line(cell)!r}): the graded cells before it keep their points, the ones "
                           f"after it were not run. A notebook must run from top to bottom (Restart & Run All).")
            result.notebooks.append(fb)
            if path.is_file():
                result.autograded[path.name] = path.read_bytes()
        died = [fb for fb in result.notebooks if fb.status == results.KERNEL_DIED]
        result.status = results.KERNEL_DIED if died else results.OK
    else:
        if run.timed_out:
            result.status = results.TIME_BUDGET
            note = (f"Time budget: grading this notebook took longer than its total budget of "
                    f"{limits.notebook_timeout:g} s and was stopped; no cell was graded. Make sure the whole "
                    f"notebook runs (Restart & Run All) well within that time.")
        elif any(m in run.log for m in ("DeadKernelError", "Kernel died", "UnresponsiveKernelError")):
            result.status = results.KERNEL_DIED   # before the first cell: nothing ran
            note = ("Kernel died: the notebook's kernel stopped before any cell could be graded (os._exit, "
                    "a crash, or memory exhausted outside Python). A notebook must run from top to bottom "
                    "(Restart & Run All).")
        else:
            result.status = results.NOT_GRADED
            last = [ln for ln in run.log.strip().splitlines() if ln.strip()][-1:] or ["no log"]
            why = f"the grading process was killed (signal {run.killed_by_signal})" if run.killed_by_signal \
                else last[0][:300]
            note = f"Not graded: nbgrader could not autograde this notebook ({why})."
        for name in release.notebooks:
            released = json.loads(release.released.get(f"{name}.ipynb", b'{"cells": []}'))
            result.notebooks.append(NotebookResult(job.assignment, job.student, name, result.status, note,
                                                   unscored_cells(released, note.split(":")[0] + "."),
                                                   repairs.get(name, [])))
    for fb in result.notebooks:
        if result.flags:
            fb.grader_notes = fb.grader_notes + [f"[grader] flagged for review: the code uses "
                                                 f"{', '.join(result.flags)}"]
        result.feedback[fb.notebook] = render_html(fb)
    return result
