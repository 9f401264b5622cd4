"""The grading kernel: an ipykernel started with limits and a guard around the graded cells.

``course grade`` (and ``course build``, for the instructor's solution and the blank release)
runs every submission in a kernel started as::

    python -m autograder.kernel_guard -f CONNECTION_FILE [ipykernel options]

(a kernelspec ``course-grading`` written by :mod:`autograder.workspace` into each grading
workspace). It exits when the nbgrader process that started it dies. Before any student
code runs it:

1. **limits memory**: ``RLIMIT_AS`` of the kernel process is set to
   ``$COURSE_GRADING_MEMORY_MB`` (an allocation past it raises ``MemoryError`` in
   the cell that made it, and costs only that cell);
2. **snapshots numpy and builtins**: the attributes of every ``numpy*`` module and
   of ``builtins``. Before a graded test cell runs, whatever the submission
   changed there is put back (and a ``[grader]`` line says so in the cell's
   output), and the check modules (``course.check.*``, ``autograder.*``) are
   dropped from ``sys.modules`` so the cell imports fresh copies from disk: a
   submission that monkeypatches ``np.allclose`` or ``course.check.core.expect_close``
   is graded with the real ones. A change made *while* the graded cell runs (the
   student's function patches numpy when the check calls it) is detected after
   the cell and turns it into an error: 0 points for that cell, with a message;
3. **keeps the grader's files out of reach**: an audit hook (which Python code
   cannot remove) refuses to open files under the course checkout (hidden checks,
   source notebooks with solutions, ``.git``), the build and worker folders
   (gradebook, other students' work), except the ``course`` package and the
   submission's own folder; reading them is allowed only to the import system
   while a graded test cell runs and no function defined by the submission is on
   the stack. Starting processes (``subprocess``, ``os.system``, ``os.fork``) is
   refused too: a child process would not carry the hook.

Graded test cells are recognised by their source: nbgrader restores every graded
cell from the gradebook before it executes the notebook, and the guard is given
the hashes of those sources (``$COURSE_GRADING_TRUSTED``, a file with one sha256
per line). A submission that copies a graded cell elsewhere only runs the checks
once more, under the same guard.

Out of scope (documented in autograder/README.md): an attack on the guard itself
from inside the kernel (introspecting its closures, unregistering IPython event
callbacks, code objects with a forged file name, ctypes). Such code is flagged for
review by :func:`autograder.feedback.suspicious_code`.
"""

import builtins
import hashlib
import os
import sys
import sysconfig

ENV_MEMORY = "COURSE_GRADING_MEMORY_MB"
ENV_TRUSTED = "COURSE_GRADING_TRUSTED"
ENV_PROTECTED = "COURSE_GRADING_PROTECT"     # os.pathsep-separated folders the submission may not read
ENV_ALLOWED = "COURSE_GRADING_ALLOW"         # os.pathsep-separated folders inside those that it may read

GUARDED_MODULE_PREFIXES = ("course.check", "autograder")
PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.posix_spawn", "os.exec",
                  "os.spawn", "pty.spawn"}


def interpreter_paths():
    """Folders of the interpreter and its installed packages.

    They stay readable even when the virtual environment lives inside the
    protected checkout (``make`` creates ``.venv/`` there): numpy must import.
    """
    return sorted({sys.prefix, sys.exec_prefix, sys.base_prefix, *sysconfig.get_paths().values()})


def cell_hash(source):
    """The hash by which a graded cell's source is recognised (trailing whitespace ignored)."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def set_memory_limit(megabytes):
    import resource

    limit = int(megabytes) * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


# Names the kernel itself rebinds (ipykernel swaps ``input`` per request; IPython's output history).
VOLATILE = {"input", "raw_input", "getpass", "_", "__", "___", "display", "get_ipython", "exit", "quit",
            "__IPYTHON__", "help"}


def _snapshot_modules():
    mods = {name: mod for name, mod in list(sys.modules.items())
            if mod is not None and (name == "numpy" or name.startswith("numpy."))}
    mods["builtins"] = builtins
    return {name: (mod, {k: v for k, v in vars(mod).items() if k not in VOLATILE}) for name, mod in mods.items()}


def _restore(snapshot):
    """Put back every attribute changed or removed since ``snapshot``; return their names."""
    changed = []
    for name, (mod, saved) in snapshot.items():
        current = vars(mod)
        for key, value in saved.items():
            if key not in current or current[key] is not value:
                changed.append(f"{name}.{key}")
                try:
                    current[key] = value
                except Exception:  # pragma: no cover
                    pass
    return sorted(changed)


def _changed(snapshot):
    out = []
    for name, (mod, saved) in snapshot.items():
        current = vars(mod)
        out += [f"{name}.{k}" for k, v in saved.items() if k not in current or current[k] is not v]
    return sorted(out)


class Guard:
    def __init__(self, trusted, protected, allowed):
        self.trusted = set(trusted)
        self.protected = [os.path.realpath(p) + os.sep for p in protected if p]
        self.allowed = [os.path.realpath(p) + os.sep for p in allowed if p]
        self.active = False
        self.snapshot = _snapshot_modules()
        self.changed_in_cell = []

    # -- the audit hook -----------------------------------------------------------------------

    def _student_frame_on_stack(self):
        frame = sys._getframe(2)
        while frame is not None:
            code = frame.f_code
            fn = code.co_filename
            if ("ipykernel_" in fn or fn.startswith("<ipython-input")) and code.co_name != "<module>":
                return True
            frame = frame.f_back
        return False

    def _protected(self, path):
        try:
            real = os.path.realpath(os.fsdecode(path)) if not isinstance(path, int) else None
        except Exception:
            return False
        if real is None:
            return False
        real_dir = real + os.sep
        if any(real_dir.startswith(a) for a in self.allowed):
            return False
        return any(real_dir.startswith(p) for p in self.protected)

    def audit(self, event, args):
        if event == "open":
            if args and self._protected(args[0]):
                if not self.active or self._student_frame_on_stack():
                    raise PermissionError(f"[grader] reading {args[0]} is not allowed while grading: "
                                          f"a submission cannot read the grader's files")
        elif event in PROCESS_EVENTS:
            raise PermissionError(f"[grader] starting a process ({event}) is not allowed while grading")

    # -- IPython hooks --------------------------------------------------------------------------

    def pre_run_cell(self, info):
        self.active = cell_hash(info.raw_cell or "") in self.trusted
        if not self.active:
            return
        for name in [m for m in sys.modules if m.startswith(GUARDED_MODULE_PREFIXES)]:
            if name not in ("autograder", "autograder.kernel_guard"):
                del sys.modules[name]
        # nbgrader scores a graded cell 0 when it writes to stderr: a warning printed by a correct
        # function must not cost its points, so stderr goes to stdout while a graded cell runs.
        self.stderr = sys.stderr
        sys.stderr = sys.stdout
        restored = _restore(self.snapshot)
        if restored:
            shown = ", ".join(restored[:5]) + (f" and {len(restored) - 5} more" if len(restored) > 5 else "")
            print(f"[grader] the submission changed {shown}; restored before grading this cell")

    def post_run_cell(self, result):
        err = getattr(result, "error_in_exec", None)
        if err is not None:
            _drop_frames(err)   # a MemoryError's frames (and the memory they hold) must not outlive the cell
        if not self.active:
            return
        self.active = False
        sys.stderr = getattr(self, "stderr", None) or sys.__stderr__
        changed = _changed(self.snapshot)
        _restore(self.snapshot)
        for name in [m for m in sys.modules if m.startswith("autograder.")]:
            if name != "autograder.kernel_guard":
                del sys.modules[name]
        if changed:
            shown = ", ".join(changed[:5])
            err = AssertionError(f"[grader] the submission changed {shown} while this cell was being graded; "
                                 f"the cell gets 0 points")
            shell = _shell()
            if shell is not None:
                shell.showtraceback((AssertionError, err, None), tb_offset=None)


def _drop_frames(exc):
    """Cut the tracebacks of ``exc`` and its chain (they keep the failing frames' locals alive)."""
    import gc

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__context__ or exc.__cause__
        try:
            exc.__traceback__ = None
        except Exception:  # pragma: no cover
            pass
        exc = nxt
    for name in ("last_traceback", "last_value", "last_type", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    gc.collect()


_SHELL = None


def _shell():
    return _SHELL


def install(shell, trusted, protected, allowed):
    global _SHELL
    _SHELL = shell
    guard = Guard(trusted, protected, allowed)
    shell.events.register("pre_run_cell", guard.pre_run_cell)
    shell.events.register("post_run_cell", guard.post_run_cell)
    sys.addaudithook(guard.audit)
    return guard


def exit_with_parent(interval=1.0):
    """Exit when the process that started the kernel (the nbgrader worker) is gone.

    ipykernel's own poller only notices a parent that became pid 1; under a subreaper (a
    container's init, systemd) an orphaned grading kernel would run on.
    """
    import threading
    import time

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="grading-parent-watch", daemon=True).start()


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    exit_with_parent()
    if os.environ.get(ENV_MEMORY):
        set_memory_limit(os.environ[ENV_MEMORY])
    import numpy  # noqa: F401  (snapshot the real numpy before any student code)
    import numpy.linalg  # noqa: F401
    import numpy.random  # noqa: F401
    import numpy.testing  # noqa: F401

    trusted = []
    if os.environ.get(ENV_TRUSTED):
        with open(os.environ[ENV_TRUSTED], encoding="utf-8") as f:
            trusted = [line.strip() for line in f if line.strip()]
    protected = [p for p in os.environ.get(ENV_PROTECTED, "").split(os.pathsep) if p]
    allowed = [p for p in os.environ.get(ENV_ALLOWED, "").split(os.pathsep) if p] + [os.getcwd()]
    allowed += interpreter_paths()
    for key in (ENV_MEMORY, ENV_TRUSTED, ENV_PROTECTED, ENV_ALLOWED):
        os.environ.pop(key, None)

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    install(app.shell, trusted, protected, allowed)
    app.start()


if __name__ == "__main__":
    main()
