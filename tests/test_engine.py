"""The grading engine: the local pool, a Dask cluster, and workers that die in the middle of a class.

The class is small (three real submissions of 00_warmup, released once per test session);
it is graded once on the local pool without faults (the reference), then on a Dask
``LocalCluster`` and on the local pool again, each time with one worker process killed
(SIGKILL) while it grades. Every student must be graded once, ``grades.csv`` must be
byte-identical to the reference, and no file may be written twice.
"""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from autograder import classroom, engine
from autograder.course_dir import CourseError
from autograder.engine import LocalPool, WorkerDied, check_workers
from autograder.environment import differences, grading_environment
from autograder.grade import grade_class
from autograder.runner import descendants

CLASS = ["right", "wrong", "partial"]


# -- the local pool, unit by unit (no grading) ----------------------------------------------------

def _square(x):
    return x * x


def _die_once(marker):
    """Kill this worker process the first time (a SIGKILL from outside, as the OOM killer would)."""
    if not os.path.exists(marker):
        Path(marker).write_text("died once")
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def _always_die():
    os.kill(os.getpid(), signal.SIGKILL)


def _fail():
    raise ValueError("a bug in the task")


def test_local_pool_runs_tasks_and_passes_their_exceptions_back():
    with LocalPool(2) as pool:
        futures = [pool.submit(_square, k) for k in range(5)]
        assert sorted(f.result() for f in pool.as_completed(futures)) == [0, 1, 4, 9, 16]
        with pytest.raises(ValueError, match="a bug in the task"):
            pool.submit(_fail).result()


def test_local_pool_retries_a_task_whose_worker_died_and_gives_up_after_three_deaths(tmp_path):
    with LocalPool(1) as pool:
        first = pool.submit(_square, 3).result()
        pid = pool.submit(_die_once, str(tmp_path / "marker")).result(timeout=120)
        assert first == 9 and (tmp_path / "marker").is_file()
        assert pid in pool.pids()                       # graded by the replacement process
        with pytest.raises(WorkerDied, match="died 3 time"):
            pool.submit(_always_die).result(timeout=120)
        assert pool.submit(_square, 4).result() == 16   # the pool goes on


def test_a_worker_that_grades_differently_is_refused_with_what_differs():
    here = grading_environment()

    class Fake(engine.Executor):
        def run_on_workers(self, fn):
            other = dict(here, code="0000", packages=dict(here["packages"], numpy="1.0"))
            return {"tcp://a:1": here, "tcp://b:2": other, "tcp://c:3": ModuleNotFoundError("No module named 'autograder'")}

    with pytest.raises(CourseError) as e:
        check_workers(Fake(), here)
    text = str(e.value)
    assert "tcp://a:1" not in text
    assert "tcp://b:2: code of autograder/ and course/ (sha256): client has" in text and "numpy: client has" in text
    assert "tcp://c:3: ModuleNotFoundError" in text and "PYTHONPATH" in text
    assert differences(here, here) == []


def test_a_task_that_lost_its_worker_is_reported_and_a_mismatched_worker_stops_the_run():
    import concurrent.futures as cf

    from autograder.grade import result_of
    from autograder.task import EnvironmentMismatch, GradingJob
    from autograder.workspace import limits_for

    job = GradingJob("alice", "00_warmup", {"warmup.ipynb": b"{}"}, limits_for("00_warmup"))
    died = cf.Future()
    died.set_exception(WorkerDied("the worker process died 3 time(s) while running this task"))
    r = result_of(job, died)
    assert (r.student, r.status) == ("alice", "not graded") and "died under this submission" in r.notebooks[0].note
    mismatch = cf.Future()
    mismatch.set_exception(EnvironmentMismatch("worker host:1 does not grade like the client: numpy: ..."))
    with pytest.raises(CourseError, match="does not grade like the client"):
        result_of(job, mismatch)


def test_scheduler_without_workers_or_dask_is_a_clear_error():
    why = engine.dask_available()
    if why:
        with pytest.raises(CourseError, match="pip install"):
            engine.DaskCluster("tcp://127.0.0.1:9")
    else:
        with pytest.raises(CourseError, match="cannot reach the Dask scheduler|no workers"):
            engine.DaskCluster("tcp://127.0.0.1:9", wait_s=2)


# -- a real class, with faults ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_class(tmp_path_factory, request):
    base = tmp_path_factory.getbasetemp()
    course = classroom.course_with_release(request.config.rootpath, base / "engine_build",
                                           cache=base / "warmup_release")
    submitted = base / "engine_submitted"
    classroom.write_class(course, submitted, [classroom.CASE[c] for c in CLASS])
    return request.config.rootpath, base, submitted


def _grade(small_class, name, executor, kill=None):
    """Grade the class into a fresh build folder; ``kill(executor)`` runs beside it, returns what it killed."""
    root, base, submitted = small_class
    course = classroom.course_with_release(root, base / f"engine_{name}", cache=base / "warmup_release")
    killed = {}
    if kill is not None:
        thread = threading.Thread(target=lambda: killed.update(kill(executor)), daemon=True)
        thread.start()
    report = grade_class(course, submitted, executor=executor, log=lambda *a: None)
    if kill is not None:
        thread.join(timeout=60)
    return course, report, killed


@pytest.fixture(scope="module")
def reference(small_class):
    with LocalPool(2) as pool:
        course, report, _ = _grade(small_class, "reference", pool)
    assert [r.student for r in report.results] == sorted(CLASS)
    assert {r.student: r.auto_score for r in report.results} == {
        c: sum(classroom.CASE[c].points.values()) for c in CLASS}
    return report.grades_csv.read_bytes()


def _grading_student(pid):
    """The student a worker process is grading now (its nbgrader process's workspace), or None."""
    for child in descendants(pid):
        try:
            cwd = Path(os.readlink(f"/proc/{child}/cwd"))
        except OSError:
            continue
        if (cwd / "submitted").is_dir():
            return next((p.name for p in (cwd / "submitted").iterdir()), None)
    return None


def _kill_one_busy_worker(pids, timeout=120):
    """Wait until one of ``pids()``'s worker processes grades a student, give nbgrader a second, SIGKILL it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for pid in pids():
            student = _grading_student(pid)
            if student:
                time.sleep(1.0)
                below = descendants(pid)
                os.kill(pid, signal.SIGKILL)
                return {"pid": pid, "student": student, "below": below}
        time.sleep(0.2)
    return {}


def _alive(pids, wait_s=30):
    """Those of ``pids`` still running (not gone, not a zombie) after up to ``wait_s`` seconds."""
    def running(p):
        try:
            return open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.time() + wait_s
    while True:
        alive = [p for p in pids if running(p)]
        if not alive or time.time() > deadline:
            return alive
        time.sleep(0.2)


def _check_faulty_run(course, report, killed, reference_csv):
    assert killed, "no worker was caught grading (nothing was killed)"
    print(f"\n{report.executor}: killed worker pid {killed['pid']} while it graded {killed['student']} "
          f"({len(killed['below'])} processes below it); graded again by "
          f"{report.by_student()[(killed['student'], classroom.ASSIGNMENT)].worker} in {report.seconds:.1f} s")
    assert report.grades_csv.read_bytes() == reference_csv          # as if nothing had happened
    assert sorted(r.student for r in report.results) == sorted(CLASS)   # every student graded once
    victim = report.by_student()[(killed["student"], classroom.ASSIGNMENT)]
    assert victim.status == "ok" and not victim.worker.endswith(f":{killed['pid']}"), victim.worker
    paths = report.written.paths
    assert len(paths) == len(set(paths)), "a file was written twice"
    feedback = [p for p in paths if p.suffix == ".html"]
    assert sorted(p.parent.parent.name for p in feedback) == sorted(CLASS)
    with course.gradebook() as gb:
        assert sorted(s.student.id for s in gb.find_assignment(classroom.ASSIGNMENT).submissions) == sorted(CLASS)
    # the killed worker's nbgrader process and kernel follow it (parent-death signal, the kernel's watch)
    alive = _alive(killed["below"])
    assert not alive, f"processes of the killed worker still run: {alive}"


@pytest.mark.slow
def test_a_worker_killed_mid_class_on_the_local_pool_is_retried_and_changes_nothing(small_class, reference):
    with LocalPool(2) as pool:
        course, report, killed = _grade(small_class, "local_kill", pool,
                                        kill=lambda ex: _kill_one_busy_worker(ex.pids))
    _check_faulty_run(course, report, killed, reference)


@pytest.mark.slow
def test_a_dask_worker_killed_mid_class_is_retried_elsewhere_and_changes_nothing(small_class, reference):
    why = engine.dask_available()
    if why:
        pytest.skip(why)
    with engine.DaskCluster.local(2) as cluster:
        course, report, killed = _grade(small_class, "dask_kill", cluster,
                                        kill=lambda ex: _kill_one_busy_worker(lambda: list(ex.pids().values())))
        assert "Dask cluster" in report.executor
    _check_faulty_run(course, report, killed, reference)


def _sleep_forever():
    time.sleep(3600)


def test_closing_the_pool_with_a_task_running_kills_it_and_cancels_the_queue():
    pool = LocalPool(1)
    running = pool.submit(_sleep_forever)
    queued = pool.submit(_square, 2)
    deadline = time.time() + 60
    while not pool.pids() and time.time() < deadline:
        time.sleep(0.1)
    pids = pool.pids()
    time.sleep(0.5)
    start = time.time()
    pool.close()                       # e.g. Ctrl-C in `course grade`: must not wait an hour
    assert time.time() - start < 30
    assert queued.cancelled() and running.done()
    assert pids and not _alive(pids)


@pytest.mark.slow
def test_the_release_sent_to_workers_is_the_assignment_without_any_student(small_class, reference, tmp_path):
    from nbgrader.api import Gradebook

    from autograder.course_dir import CourseDir
    from autograder.workspace import pack_release

    root, base, _ = small_class
    course = CourseDir(root=root, build_dir=base / "engine_reference")   # graded: its gradebook has the class
    release = pack_release(course, classroom.ASSIGNMENT)
    assert release.notebooks == ("warmup",) and len(release.trusted) == 4 and "warmup.ipynb" in release.released
    (tmp_path / "gradebook.db").write_bytes(release.gradebook)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "cnn-course") as gb:
        assert gb.students == [] and [a.name for a in gb.assignments] == [classroom.ASSIGNMENT]
    with course.gradebook() as gb:
        assert sorted(s.id for s in gb.students) == sorted(CLASS)           # the client's is untouched
    assert pack_release(course, classroom.ASSIGNMENT).digest == release.digest   # same content, same cache key
