"""Building blocks for student-facing checks.

Every check, public (``course.check``) or hidden (``autograder/checks``),
reports a failure the same way, so a student can act on it without asking:
what was called and with what, what came back, what was expected, and the
most likely cause::

    svm_loss_naive(W, X, y, reg) returned the wrong loss.
      called with: W = float64 array (5, 3), X = float64 array (4, 5), y = [0 2 1 1], reg = 0.1
      got:         1.9
      expected:    2.4 (relative error 1.2e-01, tolerance 1e-07)
      likely cause: the margin is 0 instead of 1

Numpy only: importing this never pulls TensorFlow in.
"""

import contextlib
import copy
import time
import warnings

import numpy as np

__all__ = [
    "CheckFailure",
    "Call",
    "call",
    "describe",
    "expect",
    "expect_close",
    "expect_shape",
    "quiet",
    "rel_error",
    "timed",
]


class CheckFailure(AssertionError):
    """A check failed; the message is written for the student."""


def rel_error(x, y):
    """Largest elementwise relative error, ``max(|x - y| / max(1e-8, |x| + |y|))``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)), initial=0.0))


def describe(value, max_items=6):
    """A short, readable description of ``value`` for a failure message."""
    if isinstance(value, np.ndarray):
        if value.size <= max_items:
            return np.array2string(value, precision=4, separator=" ", threshold=max_items)
        return f"{value.dtype} array {value.shape}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v, max_items) for v in list(value)[:max_items])
        more = ", ..." if len(value) > max_items else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {describe(v, max_items)}" for k, v in list(value.items())[:max_items])
        return "{" + inner + "}"
    if callable(value):
        return getattr(value, "__name__", "a function")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Call:
    """What a check called, for messages: ``name(arg, ...)`` and its inputs."""

    def __init__(self, name, args=(), kwargs=None, arg_names=None):
        self.name = name
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        names = list(arg_names or [])
        names += [f"arg{i}" for i in range(len(names), len(self.args))]
        self.arg_names = names[: len(self.args)]

    def signature(self):
        parts = list(self.arg_names) + [f"{k}={k}" for k in self.kwargs]
        return f"{self.name}({', '.join(parts)})"

    def inputs(self):
        pairs = list(zip(self.arg_names, self.args)) + list(self.kwargs.items())
        return ", ".join(f"{n} = {describe(v)}" for n, v in pairs)

    def __str__(self):
        return self.signature()


def _message(headline, call=None, got=None, expected=None, cause=None, extra=None, show_values=True):
    lines = [headline]
    if call is not None and (call.args or call.kwargs):
        lines.append(f"  called with: {call.inputs()}")
    if show_values:
        lines.append(f"  got:         {got if isinstance(got, str) else describe(got)}")
        lines.append(f"  expected:    {expected if isinstance(expected, str) else describe(expected)}")
    if extra:
        lines.append(f"  {extra}")
    if cause:
        lines.append(f"  likely cause: {cause}")
    return "\n".join(lines)


def _snapshot(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that cannot be copied cannot be checked for mutation
        return None


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:
        return True


@contextlib.contextmanager
def quiet():
    """Run student code with Python warnings and numpy floating-point warnings silenced.

    nbgrader gives a graded cell 0 points when it writes to stderr; a check
    judges results, not the warnings a correct function may print on the way.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def call(fn, *args, name=None, arg_names=None, check_mutation=True, allow_mutation=(), **kwargs):
    """Call the student's ``fn`` and return ``(result, Call)``.

    Fails with a student-facing message when ``fn`` is not callable, is still
    the unimplemented stub, raises, or modifies an input it was given (unless
    that argument is listed in ``allow_mutation``, like an update rule's
    ``config``). Warnings raised inside ``fn`` (numpy overflow in an unused
    branch, say) are silenced: nbgrader gives a graded cell 0 points when it
    writes to stderr, and the check judges the result, not the warnings.
    """
    name = name or getattr(fn, "__name__", "your function")
    record = Call(name, args, kwargs, arg_names)
    if not callable(fn):
        raise CheckFailure(f"{name} is not a function (got {describe(fn)}); did a later cell overwrite it?")
    before = {}
    if check_mutation:
        for n, v in list(zip(record.arg_names, args)) + list(kwargs.items()):
            if n not in allow_mutation and isinstance(v, (np.ndarray, list, dict)):
                before[n] = _snapshot(v)
    try:
        with quiet():
            result = fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailure(
            f"{record.signature()} is not implemented yet: it raised NotImplementedError.\n"
            f"  Replace the `raise NotImplementedError()` line with your code."
        ) from None
    except Exception as e:  # the student's exception becomes part of the message
        raise CheckFailure(
            f"{record.signature()} raised {type(e).__name__}: {e}\n"
            f"  called with: {record.inputs()}"
        ) from None
    current = dict(zip(record.arg_names, args))
    current.update(kwargs)
    for n, old in before.items():
        if old is not None and not _same(old, current[n]):
            raise CheckFailure(
                f"{record.signature()} modified its input `{n}` in place.\n"
                f"  A graded function must leave its inputs unchanged: work on a copy "
                f"(for example `{n} = {n}.copy()`) or build a new array instead of using "
                f"`+=`, `-=` or slice assignment on `{n}`."
            )
    return result, record


def expect(condition, headline, *, call=None, got=None, expected=None, cause=None, show_values=True):
    """Fail with a full message unless ``condition`` holds."""
    if not condition:
        raise CheckFailure(_message(headline, call, got, expected, cause, show_values=show_values))


def expect_shape(value, shape, *, what, call=None, cause=None):
    """Fail unless ``value`` is an array-like of exactly ``shape``."""
    got = np.shape(value) if value is not None else None
    if got != tuple(shape):
        raise CheckFailure(_message(
            f"{call or 'your function'} returned {what} of the wrong shape.",
            call, f"shape {got}", f"shape {tuple(shape)}",
            cause or "check which axis you sum or average over, and the order of the matrix product",
        ))


def expect_close(value, expected, *, what, call=None, tol=1e-7, cause=None):
    """Fail unless ``value`` matches ``expected`` within relative error ``tol``."""
    expected_arr = np.asarray(expected, dtype=np.float64)
    try:
        got_arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(_message(
            f"{call or 'your function'} returned {what} that is not a number or array.",
            call, value, expected, cause,
        )) from None
    if got_arr.shape != expected_arr.shape:
        expect_shape(got_arr, expected_arr.shape, what=what, call=call)
    if not np.all(np.isfinite(got_arr)) and np.all(np.isfinite(expected_arr)):
        raise CheckFailure(_message(
            f"{call or 'your function'} returned {what} containing NaN or inf.",
            call, value, expected, cause or "an overflow: subtract the maximum score before exponentiating, "
            "or a division by zero",
        ))
    err = rel_error(got_arr, expected_arr)
    if not err <= tol:
        raise CheckFailure(_message(
            f"{call or 'your function'} returned the wrong {what}.",
            call, value, expected, cause,
            extra=f"relative error {err:.1e}, tolerance {tol:.0e}",
        ))


def timed(fn, *args, repeat=3, **kwargs):
    """Best wall time of ``repeat`` calls of ``fn(*args, **kwargs)``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best
