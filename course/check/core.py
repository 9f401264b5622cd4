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
import dataclasses
import re
import time
import warnings

import numpy as np

from course.check import layout

__all__ = [
    "CheckFailure",
    "Call",
    "Threshold",
    "Thresholds",
    "call",
    "describe",
    "describe_pair",
    "diagnose",
    "expect",
    "expect_accuracy",
    "expect_close",
    "expect_shape",
    "expect_tuple",
    "matches",
    "not_implemented",
    "quiet",
    "rel_error",
    "timed",
    "worst_entry",
]


class CheckFailure(AssertionError):
    """A check failed; the message is written for the student.

    In a notebook, IPython shows only the message (``_render_traceback_``),
    wrapped to the output area: the frames of the check itself are noise to a
    student and push the two lines that matter below the fold. nbgrader still
    records the cell as failed (the output is an error), and its feedback shows
    the same message.
    """

    def _render_traceback_(self):
        # Wrapped for the output area (course.check.layout): JupyterLab would break long
        # lines mid-word. The message itself, and so the feedback page, stays unwrapped.
        name = type(self).__name__
        first, *rest = layout.wrap_message(f"{name}: {self}") or [f"{name}: "]
        red, reset = "\x1b[0;31m", "\x1b[0m"
        return [red + name + reset + first[len(name):], *rest]


def rel_error(x, y):
    """Largest elementwise relative error, ``max(|x - y| / max(1e-8, |x| + |y|))``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)), initial=0.0))


#: Arrays of at most this many entries are printed in full in a failure message ...
MAX_ARRAY_ITEMS = 16
#: ... and in its "called with" line.
INPUT_ITEMS = 6


def describe(value, max_items=MAX_ARRAY_ITEMS):
    """A short, readable description of ``value`` for a failure message.

    Arrays of up to ``max_items`` entries are printed in full (on one line);
    larger ones as dtype, shape and value range. The "called with" line of a
    message uses a smaller ``max_items`` (inputs are context; results are
    what the student compares).

    >>> describe(np.array([[1.0, 2.5], [0.0, -1.0]]))
    '[[ 1.   2.5] [ 0.  -1. ]]'
    >>> describe(np.zeros((30, 4)))
    'float64 array (30, 4), values in [0, 0]'
    """
    if isinstance(value, np.ndarray):
        if value.size <= max_items:
            return _array_text(value, max_items)
        if value.size and np.issubdtype(value.dtype, np.number) and not np.iscomplexobj(value):
            finite = value[np.isfinite(value)] if np.issubdtype(value.dtype, np.floating) else value
            if finite.size:
                lo, hi = np.min(finite), np.max(finite)
                nonfinite = "" if finite.size == value.size else f", {value.size - finite.size} NaN/inf"
                return f"{value.dtype} array {value.shape}, values in [{lo:.4g}, {hi:.4g}]{nonfinite}"
            return f"{value.dtype} array {value.shape}, all NaN/inf"
        return f"{value.dtype} array {value.shape}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v, max_items) for v in list(value)[:max_items])
        more = ", ..." if len(value) > max_items else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {describe(v, max_items)}" for k, v in list(value.items())[:max_items])
        more = ", ..." if len(value) > max_items else ""
        return "{" + inner + more + "}"
    if hasattr(value, "layers") and hasattr(value, "count_params"):   # a Keras model (no Keras import needed)
        def shape(s):
            return str(tuple(s)).replace("None", "N") if isinstance(s, (tuple, list)) else str(s)
        try:
            return f"Keras model {value.name!r} ({shape(value.input_shape)} -> {shape(value.output_shape)})"
        except (AttributeError, ValueError):
            return f"Keras model {getattr(value, 'name', '')!r}"
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
        return ", ".join(f"{n} = {describe(v, INPUT_ITEMS)}" for n, v in pairs)

    def __str__(self):
        return self.signature()


def _array_text(value, max_items=MAX_ARRAY_ITEMS):
    """A small array on one line, ``-0.`` printed as ``0.`` (a sign a student cannot act on)."""
    if np.issubdtype(value.dtype, np.floating):
        value = value + 0.0
    text = np.array2string(value, precision=4, separator=" ", threshold=max_items, max_line_width=10_000)
    return re.sub(r"\n\s*", " ", text)


def describe_pair(got, expected):
    """``(got, expected)`` described for a message. Two small real arrays of one shape are
    printed in one number format (numpy's for both together), so that their entries line
    up column by column when the message shows them one above the other.

    >>> describe_pair(np.array([0.5, -12.25]), np.array([0.5, 1.0]))
    ('[  0.5  -12.25]', '[  0.5    1.  ]')
    """
    def real(a):
        return isinstance(a, np.ndarray) and a.ndim >= 1 and not np.iscomplexobj(a) \
            and (np.issubdtype(a.dtype, np.number) or a.dtype == bool)

    if real(got) and real(expected) and got.shape == expected.shape and got.size <= MAX_ARRAY_ITEMS:
        both = _array_text(np.stack([got, expected]), 2 * MAX_ARRAY_ITEMS)[1:-1]   # "A B" of "[A B]"
        depth = 0
        for i, ch in enumerate(both):
            depth += (ch == "[") - (ch == "]")
            if depth == 0:
                return both[:i + 1], both[i + 1:].strip()
    return (got if isinstance(got, str) else describe(got),
            expected if isinstance(expected, str) else describe(expected))


def _message(headline, call=None, got=None, expected=None, cause=None, extra=None, show_values=True):
    lines = [headline]
    if call is not None and (call.args or call.kwargs):
        lines.append(f"  called with: {call.inputs()}")
    if show_values:
        got_text, expected_text = describe_pair(got, expected)
        lines.append(f"  got:         {got_text}")
        lines.append(f"  expected:    {expected_text}")
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


def not_implemented(signature):
    """The failure for a graded function that still raises the release's ``NotImplementedError``
    (``signature``: how the message names the call). Checks that call the student's code
    themselves, rather than through :func:`call`, raise it too, so every notebook says it alike.

    >>> print(not_implemented("f(x)"))
    f(x) is not implemented yet: it raised NotImplementedError.
      Replace the `raise NotImplementedError()` line with your code.
    """
    return CheckFailure(f"{signature} is not implemented yet: it raised NotImplementedError.\n"
                        f"  Replace the `raise NotImplementedError()` line with your code.")


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
        raise not_implemented(record.signature()) from None
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


def _comparable(value, as_float):
    """``value`` for a message, printed the way its counterpart is (a list as an array)."""
    return as_float if as_float.ndim else float(as_float)


def worst_entry(got, expected):
    """Where ``got`` and ``expected`` differ most (relative error), as text for a message.

    >>> worst_entry(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 5.0]]))
    'index (1, 1): got 4, expected 5'
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        err = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    err = np.where(np.isnan(err), np.inf, err)
    index = np.unravel_index(int(np.argmax(err)), err.shape) if err.size else ()
    return (f"index {tuple(int(i) for i in index)}: got {got[index]:.6g}, expected {expected[index]:.6g}")


def matches(got, value, tol=1e-6, *, normwise=False):
    """Whether ``got`` equals ``value`` within ``tol``: same shape, finite, and
    ``rel_error(got, value) <= tol`` (``normwise``: ``max|got - value| <= tol *
    max|value|``, for values with entries near 0). Never raises.

    >>> matches([1.0, 2.0], np.array([1.0, 2.0 + 1e-9])), matches([1.0], [1.0, 2.0])
    (True, False)
    """
    try:
        got = np.asarray(got, dtype=np.float64)
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != value.shape or not np.all(np.isfinite(got)):
        return False
    if normwise:
        scale = max(1e-300, float(np.max(np.abs(value), initial=0.0)))
        return bool(np.max(np.abs(got - value), initial=0.0) <= tol * scale)
    return rel_error(got, value) <= tol


def diagnose(got, candidates, *, tol=1e-6, normwise=False, default=None):
    """Which known wrong formula ``got`` matches: the cause of the first candidate it matches.

    ``candidates`` holds ``(value, cause)`` pairs, or ``(value, cause, tol)``
    with a tolerance of its own; a ``None`` value is skipped (a mistake that
    cannot be told apart on this input). Returns ``default`` when none matches.
    The checks compute each candidate from the same inputs as the expected
    value, so a student hears "the gradient is summed instead of averaged"
    rather than only "wrong".

    >>> diagnose(6.0, [(3.0, "averaged, not summed"), (6.0, "summed instead of averaged")])
    'summed instead of averaged'
    >>> diagnose(5.0, [(3.0, "averaged, not summed")], default="compare with the formula")
    'compare with the formula'
    """
    for value, cause, *own_tol in candidates:
        if value is not None and matches(got, value, own_tol[0] if own_tol else tol, normwise=normwise):
            return cause
    return default


def expect_tuple(result, names, *, call, cause=None):
    """Check that a function returned a tuple of the named values; return it as a tuple.

    ``names`` is ``"(loss, dW)"`` or ``("loss", "dW")``. The failure message
    says what came back and how the function should end.

    >>> expect_tuple((1.0, 2.0), "(loss, dW)", call=Call("svm_loss"))
    (1.0, 2.0)
    """
    if isinstance(names, str):
        names = tuple(n.strip() for n in names.strip("() ").split(","))
    names = tuple(names)
    what = "(" + ", ".join(names) + ")"
    ok = isinstance(result, (tuple, list)) and len(result) == len(names)
    if not ok:
        if isinstance(result, (tuple, list)):
            got = f"a {type(result).__name__} of {len(result)} item{'s' if len(result) != 1 else ''}"
        else:
            got = describe(result)
        raise CheckFailure(_message(
            f"{call} must return {len(names)} values, {what}." if len(names) > 1 else f"{call} must return {what}.",
            call, got, f"a tuple {what}",
            cause or f"end the function with `return {', '.join(names)}`",
        ))
    return tuple(result)


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
        extra = f"relative error {err:.1e}, tolerance {tol:.0e}"
        if expected_arr.size > MAX_ARRAY_ITEMS:
            extra += f"\n  worst entry: {worst_entry(got_arr, expected_arr)}"
        raise CheckFailure(_message(
            f"{call or 'your function'} returned the wrong {what}.",
            call, _comparable(value, got_arr), _comparable(expected, expected_arr), cause, extra=extra,
        ))


# --------------------------------------------------------------------------- graded results


@dataclasses.dataclass(frozen=True)
class Threshold:
    """The graded minimum of an experiment's result, and the reference run it was set from.

    ``minimum`` is what a student's run must reach; ``measured`` what the
    reference solution reached, and ``reference`` how (data, mode, seed,
    machine, date), so an instructor can see why the bar is where it is.
    """

    minimum: float
    measured: float
    reference: str

    def __post_init__(self):
        if not self.minimum <= self.measured:
            raise ValueError(f"Threshold minimum {self.minimum} is above the measured reference {self.measured}: "
                             f"the reference solution itself would fail ({self.reference})")


class Thresholds:
    """A notebook's graded thresholds for one result, keyed by data kind and mode.

    >>> table = Thresholds("test accuracy of the tuned classifier", {
    ...     ("cifar10", "fast"): Threshold(0.30, 0.342, "fast run, seed 0, 2026-11-22"),
    ...     ("synthetic", "fast"): Threshold(0.18, 0.25, "fast run on the synthetic set, seed 0"),
    ... })
    >>> table.lookup("cifar10", fast=True).minimum
    0.3
    """

    def __init__(self, what, table):
        self.what = str(what)
        self.table = {}
        for key, threshold in dict(table).items():
            kind, mode = key
            if mode not in ("fast", "full"):
                raise ValueError(f"Thresholds key {key!r}: mode must be 'fast' or 'full'")
            if not isinstance(threshold, Threshold):
                raise TypeError(f"Thresholds[{key!r}] must be a Threshold(minimum, measured, reference)")
            self.table[(kind, mode)] = threshold

    def lookup(self, kind, fast):
        mode = "fast" if fast else "full"
        try:
            return self.table[(kind, mode)]
        except KeyError:
            known = ", ".join(f"{k} ({m})" for k, m in self.table)
            raise CheckFailure(
                f"No graded minimum for the {self.what} on data {kind!r} in {mode} mode (known: {known}).\n"
                f"  likely cause: the set-up or data cell was changed; restore it and run the notebook from the top"
            ) from None

    def __repr__(self):
        return f"Thresholds({self.what!r}, {self.table!r})"


def expect_accuracy(accuracy, thresholds, *, kind, fast, cause=None, report=False):
    """Fail unless ``accuracy`` (a fraction) reaches the graded minimum for this data kind and mode.

    The message gives the student's figure, the minimum, the reference run
    it came from, and ``cause``; it always reminds that the checks above must
    pass first (a failing earlier function is the most common reason).
    With ``report=True`` a pass prints one line, ``test accuracy 0.342 >= 0.3
    on cifar10 (fast mode)``, so the student sees the figure that was graded.
    Returns the :class:`Threshold` it checked against.
    """
    threshold = thresholds.lookup(kind, fast)
    try:
        accuracy = float(accuracy)
    except (TypeError, ValueError):
        raise CheckFailure(f"The {thresholds.what} must be a number; got {describe(accuracy)}.") from None
    if not accuracy >= threshold.minimum:
        from course.notebook import DATA_NAMES

        name = DATA_NAMES.get(kind, kind)
        first = "all the checks above must pass first"
        raise CheckFailure(_message(
            f"The {thresholds.what} is {accuracy:.1%} on {name} ({'fast' if fast else 'full'} mode); "
            f"the graded minimum is {threshold.minimum:.0%}.",
            got=f"{accuracy:.1%}", expected=f"at least {threshold.minimum:.0%} "
            f"(the reference solution reached {threshold.measured:.1%}: {threshold.reference})",
            cause=first + ("; then " + cause if cause else ""),
        ))
    if report:
        print(f"test accuracy {accuracy:.3f} >= {threshold.minimum:g} on {kind} ({'fast' if fast else 'full'} mode)")
    return threshold


def timed(fn, *args, repeat=3, **kwargs):
    """Best wall time of ``repeat`` calls of ``fn(*args, **kwargs)``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


# --------------------------------------------------------------------------- the package's own versions, held back
#
# Some graded functions exist in the package too (``course.data.fit_pca_color``
# is the production form of the student's ``fit_pca_color``). A check grades
# the student's code, so while it runs, the package's versions are replaced by
# stubs that raise :class:`PackageVersionUnavailable`; calling one fails the
# check with a message saying why. Self-contained: nothing above depends on it.

__all__ += ["PackageVersionUnavailable", "unavailable"]


class PackageVersionUnavailable(RuntimeError):
    """Raised by the stand-in of a package function that a check holds back (see :func:`unavailable`)."""


def _resolve_target(target):
    """``"course.data.augment.fit_pca_color"`` -> ``(module, "fit_pca_color")``, or None when its module is not loaded.

    Nothing is imported (a check must not pay for importing Keras): a module
    nobody has imported has no names anyone can have bound. A check module
    imports the numpy-only modules it holds functions back from, so that a
    student's ``from course.data import ...`` inside the graded function
    finds the stand-in.
    """
    import sys

    module_name, _, attr = target.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"unavailable: {target!r} must be 'module.attribute', e.g. 'course.data.augment.fit_pca_color'")
    module = sys.modules.get(module_name)
    if module is None:
        return None
    if not hasattr(module, attr):
        raise ValueError(f"unavailable: {module_name} has no attribute {attr!r}")
    return module, attr


def _stand_in(target, original, message):
    def held_back(*args, **kwargs):
        raise PackageVersionUnavailable(message)

    name = getattr(original, "__name__", target.rpartition(".")[2])
    held_back.__name__ = held_back.__qualname__ = name
    held_back.__doc__ = message
    return held_back


@contextlib.contextmanager
def unavailable(*targets, student=None, exercise=None):
    """Hold back the package's own versions of a graded function while a check runs.

    ``targets`` are ``"module.attribute"`` names (``"course.data.fit_pca_color"``,
    ``"keras.callbacks.EarlyStopping"``). Inside the ``with`` block each one is
    replaced by a stand-in that raises :class:`PackageVersionUnavailable`,
    wherever the original object is reachable by name: in its module, in every
    loaded ``course`` module that imported it, and in the globals of
    ``student`` (the student's function: a notebook's ``from course.data import
    fit_pca_color`` binds the name there). On the way out, every name is put
    back exactly as it was, also when the check fails. A target whose module
    is not imported is skipped (nothing can have bound its names; importing
    it could cost seconds). ``exercise`` names the graded function in the
    message.

    >>> import course.data.augment as augment
    >>> with unavailable("course.data.augment.fit_pca_color", exercise="fit_pca_color"):
    ...     try:
    ...         augment.fit_pca_color(np.zeros((1, 2, 2, 3)))
    ...     except PackageVersionUnavailable as e:
    ...         print(e)
    course.data.augment.fit_pca_color is not available while this check runs: the check grades your own fit_pca_color, so write it without calling the package's version.
    >>> len(augment.fit_pca_color(np.zeros((1, 2, 2, 3))))   # back after the block
    2
    """
    import sys

    own = f"your own {exercise}" if exercise else "your own code"
    replaced = []   # (namespace dict, key, original object)
    try:
        for target in targets:
            found = _resolve_target(target)
            if found is None:
                continue
            module, attr = found
            original = getattr(module, attr)
            if isinstance(original, type(sys)):
                raise ValueError(f"unavailable: {target!r} is a module; name a function or class in it")
            message = (f"{target} is not available while this check runs: the check grades {own}, "
                       "so write it without calling the package's version.")
            stand_in = _stand_in(target, original, message)
            namespaces = [vars(module)]
            namespaces += [vars(m) for name, m in list(sys.modules.items())
                           if m is not None and m is not module and (name == "course" or name.startswith("course."))]
            student_globals = getattr(student, "__globals__", None)
            if isinstance(student_globals, dict):
                namespaces.append(student_globals)
            for namespace in namespaces:
                for key, value in list(namespace.items()):
                    if value is original:
                        replaced.append((namespace, key, original))
                        namespace[key] = stand_in
        yield
    finally:
        for namespace, key, original in reversed(replaced):
            namespace[key] = original
