"""The set-up every course notebook calls first, and the data it trains on.

A notebook's parameters cell holds literals only (papermill injects new
ones), and the cell after it makes one call::

    FAST = None          # None: on when graded (NBGRADER_EXECUTION) or with COURSE_FAST=1
    SEED = 0
    DATA_SOURCE = "auto"
    DATA_DIR = None

    import course.notebook
    nb = course.notebook.setup(fast=FAST, seed=SEED, keras=True)
    data = nb.load_cifar10(DATA_SOURCE, DATA_DIR, n_train=nb.choose(fast=2000, full=None), n_val=500)

:func:`setup` resolves fast mode, seeds Python and NumPy, sets up Keras and
TensorFlow through :func:`course.runtime.setup` *only* when the notebook
uses Keras (``keras=True``; a numpy-only notebook does not pay TensorFlow's
import, several seconds), limits BLAS threads when asked, starts the run
timer and prints one line. :meth:`Notebook.load_cifar10` gives the
notebook's train / validation / test split and the one answer to "real
CIFAR-10 or the synthetic set?" (``data.kind``) that every accuracy
threshold is looked up by. Hidden checks that grade an experiment's result
reload the same split from disk with :meth:`Notebook.reload_data` instead of
trusting arrays the student could have changed.

>>> nb = setup(fast=True, seed=0)
fast mode, seed 0, numpy only (no TensorFlow)
>>> nb.fast, nb.mode, nb.choose(fast=10, full=1000)
(True, 'fast', 10)
>>> data = nb.load_cifar10("synthetic", n_train=100, n_val=20, n_test=50)
data: the synthetic CIFAR-shaped set (synthetic: seed=0, n_train=10000, n_test=2000): 100 training, 20 validation, 50 test images
>>> data.kind, data.x_train.shape, data.x_val.shape, data.y_test.shape
('synthetic', (100, 32, 32, 3), (20, 32, 32, 3), (50,))
>>> current() is nb
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import random
import time

import numpy as np

__all__ = ["Notebook", "NotebookData", "setup", "current", "resolve_fast", "DATA_NAMES"]

#: Readable names of the data kinds (``course.data.DATA_KINDS``), for messages and plot titles.
DATA_NAMES = {
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "synthetic": "the synthetic CIFAR-shaped set",
}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")

_CURRENT = None


def resolve_fast(fast=None) -> bool:
    """Fast mode: ``fast`` when it is True or False; with ``None``, on when the
    notebook is being graded (``NBGRADER_EXECUTION`` is set) or ``COURSE_FAST=1``.

    >>> resolve_fast(False)
    False
    """
    if fast is not None:
        if not isinstance(fast, (bool, np.bool_)):
            raise ValueError(f"FAST must be True, False or None (None: decided by the environment); got {fast!r}")
        return bool(fast)
    if os.environ.get("NBGRADER_EXECUTION"):
        return True
    value = os.environ.get("COURSE_FAST", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"COURSE_FAST={os.environ['COURSE_FAST']!r}: expected 1 (fast mode) or 0 (full mode)")


@dataclasses.dataclass(frozen=True, eq=False)
class NotebookData:
    """A notebook's CIFAR split: uint8 NHWC images, int64 labels, and where they came from.

    ``kind`` is ``"cifar10"``, ``"cifar100"`` or ``"synthetic"``; ``source``
    says where the images were read (``"local: /data/cifar-10-batches-py"``).
    The validation images are drawn from the training set (never the test
    set); with ``n_val=0`` they are empty arrays.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    kind: str
    source: str

    train = property(lambda self: (self.x_train, self.y_train), doc="``(x_train, y_train)``")
    val = property(lambda self: (self.x_val, self.y_val), doc="``(x_val, y_val)``")
    test = property(lambda self: (self.x_test, self.y_test), doc="``(x_test, y_test)``")
    num_classes = property(lambda self: len(self.class_names))

    @property
    def name(self) -> str:
        """``"CIFAR-10"`` or ``"the synthetic CIFAR-shaped set"``: for plot titles and messages."""
        return DATA_NAMES[self.kind]

    @property
    def is_synthetic(self) -> bool:
        return self.kind == "synthetic"

    def __str__(self):
        return (f"{self.name} ({self.source}): {len(self.y_train)} training, {len(self.y_val)} validation, "
                f"{len(self.y_test)} test images")

    __repr__ = __str__


@dataclasses.dataclass(frozen=True)
class _DataRequest:
    """What :meth:`Notebook.load_cifar10` was asked for, so the same split can be read again."""

    source: str
    data_dir: object
    n_train: object
    n_val: int
    n_test: object
    download: bool
    at_most: bool = False


def _count(value, name, available, allow_none=True, at_most=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative int{' or None (all)' if allow_none else ''}; got {value!r}")
    if value > available:
        if at_most:
            return int(available)
        raise ValueError(f"{name}={value} but the data set has only {available} images for it "
                         f"(at_most=True takes all there are)")
    return int(value)


class Notebook:
    """What :func:`setup` decided: mode, seed, runtime, timer, and the notebook's data.

    Attributes: ``fast`` (bool), ``mode`` (``"fast"``/``"full"``), ``seed``,
    ``runtime`` (:class:`course.runtime.RuntimeInfo`, or None in a numpy-only
    notebook), ``blas_threads`` (the BLAS thread limit, or None), ``data``
    (the last :meth:`load_cifar10` result, or None).
    """

    def __init__(self, fast, seed, runtime=None, blas_threads=None, verbose=True):
        self.fast = bool(fast)
        self.seed = seed
        self.runtime = runtime
        self.blas_threads = blas_threads
        self.verbose = verbose
        self.data = None
        self._request = None
        self._limits = None  # the threadpoolctl limiter, kept alive with the notebook
        self._started = time.perf_counter()

    @property
    def mode(self) -> str:
        return "fast" if self.fast else "full"

    @property
    def data_kind(self) -> str:
        """``data.kind`` of the loaded data; an error before :meth:`load_cifar10`."""
        if self.data is None:
            raise RuntimeError("no data loaded yet: call nb.load_cifar10(...) first")
        return self.data.kind

    def choose(self, fast, full):
        """``fast`` in fast mode, ``full`` in full mode: ``nb.choose(fast=2, full=30)`` epochs."""
        return fast if self.fast else full

    def rng(self, offset=0) -> np.random.Generator:
        """A NumPy generator seeded from the notebook's seed (``offset`` gives independent streams)."""
        return np.random.default_rng(None if self.seed is None else self.seed + int(offset))

    def elapsed(self) -> float:
        """Seconds since :func:`setup`."""
        return time.perf_counter() - self._started

    def __str__(self):
        where = str(self.runtime) if self.runtime is not None else "numpy only (no TensorFlow)"
        threads = "" if self.blas_threads is None else f", {self.blas_threads} BLAS thread" + \
            ("s" if self.blas_threads != 1 else "")
        seed = "no seed" if self.seed is None else f"seed {self.seed}"
        if self.runtime is not None:       # the runtime's own line names the seed
            return f"{self.mode} mode, {where}{threads}"
        return f"{self.mode} mode, {seed}, {where}{threads}"

    def __repr__(self):
        return f"<course.notebook.Notebook: {self}>"

    # -- data ----------------------------------------------------------------------------------

    def load_cifar10(self, source="auto", data_dir=None, *, n_train=None, n_val=0, n_test=None,
                     download=None, at_most=False) -> NotebookData:
        """Load CIFAR-10 (or the synthetic set) and split it for this notebook.

        ``source`` and ``data_dir`` as in :func:`course.data.load_cifar10`; the
        synthetic set is the fallback when no source has CIFAR-10, and fast mode
        never downloads (``download=None``: only in full mode). ``n_train`` and
        ``n_val`` images (``None``: all the rest) are drawn without overlap from
        a seeded permutation of the training set; the test images are the first
        ``n_test`` (``None``: all). A size larger than the data set is an error,
        unless ``at_most=True``: then ``n_train`` and ``n_test`` are upper bounds
        (``n_train=nb.choose(fast=1000, full=10000), at_most=True`` takes all the
        training images of a smaller set, such as a subset of CIFAR-10). Prints
        one line saying what was loaded.
        """
        from course.data import load_cifar10

        request = _DataRequest(source, data_dir, n_train, n_val, n_test,
                               (not self.fast) if download is None else bool(download), bool(at_most))
        dataset = load_cifar10(source=source, data_dir=data_dir, fallback="synthetic", download=request.download)
        self.data = self._split(dataset, request)
        self._request = request
        if self.verbose:
            print(f"data: {self.data}")
        return self.data

    def reload_data(self) -> NotebookData:
        """The same split as the last :meth:`load_cifar10`, read again from its source.

        Hidden checks use it to evaluate a student's model on arrays nothing in
        the notebook can have modified.
        """
        if self._request is None:
            raise RuntimeError("no data loaded yet: the notebook must call nb.load_cifar10(...) first")
        from course.data import load_cifar10

        r = self._request
        with contextlib.redirect_stdout(io.StringIO()):   # the fallback notice was shown when the notebook loaded it
            dataset = load_cifar10(source=r.source, data_dir=r.data_dir, fallback="synthetic", download=r.download)
        return self._split(dataset, r)

    def _split(self, dataset, r):
        (x_train, y_train), (x_test, y_test), names = dataset
        n_val = _count(r.n_val, "n_val", len(y_train), allow_none=False)
        n_train = _count(r.n_train, "n_train", len(y_train) - n_val, at_most=r.at_most)
        n_train = len(y_train) - n_val if n_train is None else n_train
        n_test = _count(r.n_test, "n_test", len(y_test), at_most=r.at_most)
        n_test = len(y_test) if n_test is None else n_test
        order = np.random.default_rng(self.seed).permutation(len(y_train))
        train_idx, val_idx = order[:n_train], order[n_train:n_train + n_val]
        return NotebookData(x_train[train_idx], y_train[train_idx], x_train[val_idx], y_train[val_idx],
                            x_test[:n_test].copy(), y_test[:n_test].copy(), tuple(names), dataset.kind,
                            dataset.source)


def setup(fast=None, seed=0, *, keras=False, threads=None, verbose=True, **runtime_options) -> Notebook:
    """Set up a course notebook; call it once, in the cell after the parameters cell.

    Args:
        fast: True, False, or None (on when graded or with ``COURSE_FAST=1``;
            see :func:`resolve_fast`).
        seed: seeds Python's ``random`` and NumPy (and Keras, TensorFlow and
            JAX when ``keras=True``); None leaves the generators alone.
        keras: the notebook uses Keras: run :func:`course.runtime.setup`
            (TensorFlow imported quietly, op determinism, precision, XLA).
            A numpy-only notebook leaves it False and never imports TensorFlow.
        threads: limit BLAS (NumPy's matrix products) to this many threads;
            one thread gives steady timings for small products, and cannot fight
            TensorFlow's threads for the cores.
        verbose: print one line saying what was chosen.
        runtime_options: passed on to :func:`course.runtime.setup`
            (``mixed_precision``, ``jit_compile``, ``deterministic``).

    Returns:
        :class:`Notebook`; also what :func:`current` returns from now on.
    """
    global _CURRENT
    fast = resolve_fast(fast)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"SEED must be a non-negative int or None; got {seed!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive int (BLAS threads) or None; got {threads!r}")
    if not isinstance(keras, bool):
        raise ValueError(f"keras must be True (the notebook uses Keras) or False (numpy only); got {keras!r}")
    if runtime_options and not keras:
        raise ValueError(f"{', '.join(sorted(runtime_options))}: runtime options need keras=True")
    seed = None if seed is None else int(seed)

    runtime = None
    if keras:
        from course import runtime as _runtime

        runtime = _runtime.setup(seed=seed, **runtime_options)
    elif seed is not None:
        random.seed(seed)
        np.random.seed(seed)
    nb = Notebook(fast, seed, runtime=runtime, blas_threads=threads, verbose=verbose)
    if threads is not None:
        from threadpoolctl import threadpool_limits

        nb._limits = threadpool_limits(limits=threads, user_api="blas")
    _CURRENT = nb
    if verbose:
        print(nb)
    return nb


def current() -> Notebook:
    """The :class:`Notebook` of the last :func:`setup` in this process."""
    if _CURRENT is None:
        raise RuntimeError("course.notebook.setup(...) has not been called in this kernel: run the set-up cell "
                           "at the top of the notebook first")
    return _CURRENT
