"""``course grade``: autograde a whole class with nbgrader, in parallel, and export the grades.

Input (nbgrader's own layout)::

    SUBMITTED_DIR/<student>/<assignment id>/<notebook>.ipynb     (+ optional timestamp.txt)

e.g. ``submitted/alice/00_warmup/warmup.ipynb``. Output, in the build directory
(``$COURSE_BUILD_DIR`` or ``<repo>/course_build``, or ``--build-dir``): ``grades.csv``,
``feedback/<student>/<id>/<notebook>.html``, ``autograded/<student>/<id>/`` and the class's
``gradebook.db`` (see :mod:`autograder.report`).

How it works: the submissions are found and checked (:mod:`autograder.submissions`); each
assignment's release is packed once (:func:`autograder.workspace.pack_release`); every
submission becomes one task (:func:`autograder.task.grade`: data in, data out) on an
executor (:mod:`autograder.engine`: a local process pool, or a Dask cluster with
``--scheduler``); when all are back, the client merges them into the gradebook
(:mod:`autograder.gradebook`) and writes the files (:mod:`autograder.report`). ``course
build`` grades its instructor solution and blank release through :func:`grade_jobs` too.
"""

import argparse
import sys
import time

from autograder import config, results
from autograder.course_dir import CourseDir, CourseError
from autograder.engine import LocalPool, WorkerDied, check_workers, default_workers, make_executor
from autograder.report import ClassReport, write_results
from autograder.results import NotebookResult, SubmissionResult
from autograder.submissions import find_submissions, read_job
from autograder.task import EnvironmentMismatch, grade
from autograder.workspace import limits_for, pack_release

__all__ = ["ensure_released", "pack_releases", "result_of", "grade_jobs", "grade_submissions", "grade_class", "main"]


def ensure_released(course, assignment, log=print):
    """Release ``assignment`` (an Assignment) into the main gradebook unless it is there already."""
    from nbgrader.api import MissingEntry

    if (course.build_dir / "gradebook.db").is_file() and course.path("release", assignment).is_dir():
        with course.gradebook() as gb:
            try:
                if gb.find_assignment(assignment.id).notebooks:
                    return
            except MissingEntry:
                pass
    log(f"releasing {assignment.id} (nbgrader generate_assignment) into {course.build_dir}")
    course.release(assignment)


def pack_releases(course, assignments, protect=()):
    """``{assignment id: Release}`` for the released ``assignments``; CourseError when one is not released."""
    packed = {}
    for a in assignments:
        try:
            packed[a.id] = pack_release(course, a, protect)
        except FileNotFoundError as e:
            raise CourseError(str(e)) from None
    return packed


def result_of(job, future):
    """The :class:`SubmissionResult` of a finished task; a failure becomes a "not graded" one.

    A worker that grades with other code than the client (:class:`EnvironmentMismatch`) stops
    the whole run (:class:`CourseError`): every grade it gave could be wrong.
    """
    try:
        return future.result()
    except EnvironmentMismatch as e:
        raise CourseError(str(e)) from None
    except Exception as e:   # the class goes on; this submission is reported, not lost
        died = isinstance(e, WorkerDied) or type(e).__name__ == "KilledWorker"
        why = (f"the grading worker died under this submission too often ({e})" if died
               else f"the grading task failed: {type(e).__name__}: {e}")
        note = f"Not graded: {why}. Grade it again (course grade ... --assignment {job.assignment})."
        r = SubmissionResult(job.student, job.assignment, results.NOT_GRADED, log=repr(e))
        r.notebooks = [NotebookResult(job.assignment, job.student, name[: -len(".ipynb")], results.NOT_GRADED, note)
                       for name in sorted(job.notebooks)]
        return r


def grade_jobs(executor, jobs, releases, on_result=None, root=None):
    """Run one :func:`autograder.task.grade` task per job; return the results in job order.

    ``releases``: ``{assignment id: Release}``. ``on_result(result)`` is called as each task
    finishes (progress). ``root``: the checkout the workers grade with (default: their own).
    The executor's workers must already be checked (:func:`check_workers`).
    """
    shared = {aid: executor.share(release) for aid, release in releases.items()}
    futures = {executor.submit(grade, job, shared[job.assignment], root,
                               key=f"grade-{job.student}-{job.assignment}"): i
               for i, job in enumerate(jobs)}
    out = [None] * len(jobs)
    try:
        for future in executor.as_completed(list(futures)):
            i = futures[future]
            if out[i] is not None:   # a result arrives once per task; never count one twice
                continue
            out[i] = result_of(jobs[i], future)
            if on_result is not None:
                on_result(out[i])
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return out


def grade_submissions(course, submissions, executor, cell_timeout=None, notebook_timeout=None, memory_mb=None,
                      on_result=None, log=print, protect=()):
    """Grade ``submissions`` (:class:`~autograder.submissions.Submission`) on ``executor``; the results.

    Releases what is not released yet, packs each assignment's release, checks the workers.
    Writes nothing: :func:`autograder.report.write_results` does.
    """
    assignments = sorted({s.assignment for s in submissions}, key=lambda a: a.id)
    for a in assignments:
        ensure_released(course, a, log=log)
    releases = pack_releases(course, assignments, protect=(course.build_dir, *protect))
    # A local pool's processes import this checkout; other workers are checked, and grade with theirs.
    local = isinstance(executor, LocalPool)
    if releases and not local:
        check_workers(executor, next(iter(releases.values())).environment)
    jobs = [read_job(s, limits_for(s.assignment.id, cell_timeout, notebook_timeout, memory_mb)) for s in submissions]
    return grade_jobs(executor, jobs, releases, on_result=on_result, root=course.root if local else None)


def grade_class(course, submitted_dir, workers=None, scheduler=None, executor=None, assignment=None,
                cell_timeout=None, notebook_timeout=None, memory_mb=None, progress=False, log=print, out_csv=None):
    """Autograde every submission under ``submitted_dir``; write the gradebook, feedback and ``grades.csv``.

    Runs on ``executor`` when given, else on a Dask cluster at ``scheduler``, else on a local
    pool of ``workers`` processes (default: one per core).
    """
    if workers is not None and int(workers) < 1:
        raise CourseError(f"--workers must be at least 1 (got {workers})")
    subs = find_submissions(course, submitted_dir, assignment)
    own = executor is None
    if own:
        executor = make_executor(min(int(workers or default_workers()), len(subs)), scheduler)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(subs), desc="grading", unit="notebook", file=sys.stderr, dynamic_ncols=True)

    def done(r):
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{r.student}: {r.status}")

    start = time.perf_counter()
    try:
        graded = grade_submissions(course, subs, executor, cell_timeout, notebook_timeout, memory_mb,
                                   on_result=done, log=log, protect=(submitted_dir,))
        seconds = time.perf_counter() - start
        workers_used, description = executor.workers, executor.description
    finally:
        if bar is not None:
            bar.close()
        if own:
            executor.close()
    csv_path, written = write_results(course, graded, out_csv=out_csv)
    return ClassReport(sorted(graded, key=lambda r: r.key), csv_path, seconds, workers_used, description, written)


# -- CLI ---------------------------------------------------------------------------------------------

def parser():
    p = argparse.ArgumentParser(
        prog="course grade",
        description="Autograde every submission in SUBMITTED_DIR with nbgrader (SUBMITTED_DIR/<student>/"
                    "<assignment id>/<notebook>.ipynb), write feedback and grades.csv in the build directory.")
    p.add_argument("submitted_dir", metavar="SUBMITTED_DIR")
    p.add_argument("--workers", type=int, help=f"grading processes on this machine (default: one per core, "
                                                f"{default_workers()} here)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on this Dask cluster instead of this machine (pip install -e '.[instructor,dask]'; "
                        "see autograder/README.md)")
    p.add_argument("--assignment", help="grade only this assignment (id, name or number)")
    p.add_argument("--build-dir", help="nbgrader build directory (default $COURSE_BUILD_DIR or <repo>/course_build)")
    p.add_argument("--root", help="course repository (default: found from the current directory)")
    p.add_argument("--out", help="where to write grades.csv (default <build>/grades.csv)")
    p.add_argument("--cell-timeout", type=float, help="seconds per cell (default: autograder/config.py)")
    p.add_argument("--notebook-timeout", type=float, help="seconds for one whole notebook (default: config)")
    p.add_argument("--memory-mb", type=int, help=f"kernel memory limit in MB (default {config.GRADING_MEMORY_MB})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        p.error(f"--workers must be at least 1 (got {args.workers})")
    if args.workers is not None and args.scheduler:
        p.error("--workers is for this machine's pool; with --scheduler the cluster's workers grade")
    try:
        course = CourseDir(root=args.root, build_dir=args.build_dir)
        report = grade_class(course, args.submitted_dir, workers=args.workers, scheduler=args.scheduler,
                             assignment=args.assignment, cell_timeout=args.cell_timeout,
                             notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb,
                             progress=not args.no_progress, out_csv=args.out)
    except CourseError as e:
        print(f"course grade: {e}", file=sys.stderr)
        return 2
    n = len(report.results)
    print(f"graded {n} submission(s) on a {report.executor} in {report.seconds:.1f} s "
          f"({report.seconds * report.workers / max(n, 1):.1f} s per notebook per worker)")
    for r in report.results:
        if r.status != results.OK:
            print(f"  {r.student}/{r.assignment}: {r.status}")
    print(f"grades:   {report.grades_csv}")
    print(f"feedback: {course.build_dir / 'feedback'}/<student>/<assignment>/<notebook>.html")
    return 0
