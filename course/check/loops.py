"""Tell a Python loop from vectorized code by counting the lines it runs.

A vectorized function runs the same handful of Python lines whatever the
size of its arrays: the work happens inside numpy. A loop over the examples
or the classes runs its body once per item, so the number of lines grows
with N or C. Counting lines is exact and does not depend on the machine,
unlike a timing, which on a busy or slow computer can make a vectorized loss
look slow or a loop over ten classes look fast.

What is counted: the ``line`` events (``sys.settrace``) of every frame whose
code lies outside the standard library and the installed packages, that is,
the student's own functions, lambdas and comprehensions, however they are
reached (``map``, ``np.vectorize``, ``np.apply_along_axis`` call back into
them). numpy's own Python wrappers are not counted. Code that switches the
tracer off itself (``sys.settrace(None)``) hides its lines: ``course grade``
flags submissions that mention ``settrace``, and a timed check still applies.

    >>> import numpy as np
    >>> def total(x):
    ...     return x.sum()
    >>> def total_loop(x):
    ...     s = 0.0
    ...     for v in x:
    ...         s += v
    ...     return s
    >>> lines_run(total, np.ones(10)) == lines_run(total, np.ones(1000))
    True
    >>> lines_run(total_loop, np.ones(1000)) - lines_run(total_loop, np.ones(10)) >= 990
    True
"""

import functools
import os
import sys
import sysconfig

import numpy as np

from .core import quiet

__all__ = ["lines_run", "library_paths"]


@functools.lru_cache(maxsize=None)
def library_paths():
    """Folders whose code is not the student's: the standard library and installed packages."""
    names = ("stdlib", "platstdlib", "purelib", "platlib")
    paths = {sysconfig.get_paths().get(n) for n in names}
    paths |= {os.path.dirname(os.__file__), os.path.dirname(os.path.dirname(np.__file__))}
    return tuple(sorted(os.path.realpath(p) + os.sep for p in paths if p))


def lines_run(fn, *args, **kwargs):
    """Number of Python lines of the caller's own code that ``fn(*args, **kwargs)`` runs.

    Exceptions raised by ``fn`` propagate. Warnings inside ``fn`` are silenced
    (a graded cell must not write to stderr). A tracer already installed (a
    debugger, coverage) is put back afterwards.
    """
    libraries = library_paths()
    own_code = {}   # code object -> counted?  (decided once per function)
    count = 0

    def count_lines(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return count_lines

    def on_call(frame, event, arg):
        code = frame.f_code
        counted = own_code.get(code)
        if counted is None:
            filename = code.co_filename
            counted = not (filename.startswith("<frozen")
                           or os.path.realpath(filename).startswith(libraries))
            own_code[code] = counted
        return count_lines if counted else None

    with quiet():   # entered before tracing starts, so its own lines are not counted
        previous = sys.gettrace()
        sys.settrace(on_call)
        try:
            fn(*args, **kwargs)
        finally:
            sys.settrace(previous)
    return count
