"""Run nbgrader steps in a fresh process tree with a time limit: the one spawner of
:mod:`autograder.nbgrader_worker`.

Both the release (:meth:`autograder.course_dir.CourseDir.run_steps`) and the grading of one
submission (:mod:`autograder.task`) go through :func:`run_nbgrader`:

* the worker runs in its own session (``start_new_session``), with its cwd in the nbgrader
  course folder and the environment it is given;
* on Linux it dies with the process that started it (it calls :func:`die_with_parent` first
  thing), so a grading worker killed in the middle of a class leaves no nbgrader process
  behind (the kernel below it then exits too: ipykernel's parent poller);
* past ``timeout`` seconds the whole tree (worker, kernel, anything they started) is killed:
  the kernel runs in a session of its own, so a process-group kill would miss it.

The worker writes one ``@@step {json}`` line per step; :class:`StepsRun` holds them.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from autograder.nbgrader_worker import PREFIX

__all__ = ["ENV_PARENT", "StepsRun", "run_nbgrader", "descendants", "kill_tree", "die_with_parent"]


@dataclass
class StepsRun:
    """What one run of :mod:`autograder.nbgrader_worker` did."""

    steps: list                                    # the requests
    results: list = field(default_factory=list)    # one dict per step that finished: success, log, error, ...
    output: str = ""                               # everything else the worker printed (stdout and stderr)
    returncode: int = None
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self):
        return (not self.timed_out and self.returncode == 0 and len(self.results) == len(self.steps)
                and all(r.get("success") for r in self.results))

    @property
    def killed_by_signal(self):
        """The signal that ended the worker from outside (not our own time limit), or None."""
        if self.timed_out or self.returncode is None or self.returncode >= 0:
            return None
        return -self.returncode

    @property
    def log(self):
        """The steps' nbgrader logs, then the worker's other output."""
        parts = [(r.get("log") or "") + (r.get("error") or "") for r in self.results]
        return "\n".join(p for p in parts + [self.output] if p.strip())


#: The pid of the process that started the nbgrader worker (set by :func:`run_nbgrader`).
ENV_PARENT = "COURSE_NBGRADER_PARENT"


def die_with_parent(expected_parent=None, sig=signal.SIGKILL):
    """Ask Linux to send ``sig`` to this process when its parent dies (a no-op elsewhere).

    Called first thing in a child process (not as a ``preexec_fn``, which is unsafe in a process
    with threads, as a Dask worker is). Exits at once when the parent is already gone: its pid is
    not ``expected_parent`` (default: the parent seen on entry).
    """
    if not sys.platform.startswith("linux"):
        return
    parent = int(expected_parent) if expected_parent else os.getppid()
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):   # pragma: no cover (no libc prctl)
        return
    if os.getppid() != parent:   # the parent died before prctl took effect
        os._exit(1)


def run_nbgrader(course_folder, steps, env, timeout=None):
    """Run ``steps`` (dicts for :mod:`autograder.nbgrader_worker`) in ``course_folder``; a :class:`StepsRun`.

    ``timeout`` (seconds) bounds the whole run: past it the process tree is killed and
    ``timed_out`` is set. Never raises for what the steps did; the caller judges the run.
    """
    cmd = [sys.executable, "-m", "autograder.nbgrader_worker", str(course_folder)]
    run = StepsRun(steps=[dict(s) for s in steps])
    env = dict(env, **{ENV_PARENT: str(os.getpid())})
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=course_folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(json.dumps(run.steps), timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc.pid)
        out, _ = proc.communicate()
        run.timed_out = True
    except BaseException:   # the caller is going away (KeyboardInterrupt): take the tree with us
        kill_tree(proc.pid)
        proc.wait()
        raise
    run.seconds = time.perf_counter() - start
    run.returncode = proc.returncode
    other = []
    for line in (out or "").splitlines():
        if line.startswith(PREFIX):
            try:
                run.results.append(json.loads(line[len(PREFIX):]))
                continue
            except ValueError:
                pass
        other.append(line)
    run.output = "\n".join(other)
    return run


def descendants(pid):
    """Process ids below ``pid`` (from Linux's /proc: no psutil needed)."""
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


def kill_tree(pid):
    """SIGKILL ``pid`` and every process below it (children first found, then killed together)."""
    pids = descendants(pid) if os.path.isdir("/proc") else []
    for p in [pid] + pids:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(pid, signal.SIGKILL)   # anything else left in the worker's own process group
    except (ProcessLookupError, PermissionError):
        pass
