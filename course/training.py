"""One call to train a reference model: ``course.train(...)`` and ``course train``.

::

    import course
    result = course.train(fast=True)            # small CNN, a few epochs, well under a minute on a CPU
    print(result)                               # test accuracy, time, where the curves are
    result = course.train("resnet9", data="cifar10", epochs=30)

It ties the package together: :func:`course.runtime.setup` (seed,
determinism, precision, XLA, quiet logs), :func:`course.data.load_cifar10`
(real CIFAR-10 when it is available, else the embedded synthetic set), the
tf.data pipeline of :mod:`course.data.pipeline` (normalisation fitted on the
training images only, augmentation), a model from :mod:`course.models`, a
one-cycle learning-rate schedule, optional test-time augmentation, and
:func:`course.plots.plot_history` for the loss/accuracy curves.

Two recipes, the same code with different sizes:

``fast``
    the small CNN on at most 2000 training / 1000 test images, AdamW with a
    one-cycle schedule, flips and crops, 6 epochs. Used by ``make demo``,
    the tests and grading.
``full``
    the recipe of ``benchmarks/cifar_subset.py`` (see :data:`FULL`): a narrow
    ResNet-9, SGD with Nesterov momentum and a one-cycle schedule, label
    smoothing, flips + pad-crop + cutout, test-time flips. On the 5170-image
    CIFAR-10 subset it is tuned to fit 10 minutes on 2 CPU cores; on the full
    data set it is meant for a GPU.

The held-out set monitored during training is the test set: it is reported
per epoch (``history["val_accuracy"]``, plotted as "test") but never used to
choose anything, so the final test accuracy is an honest estimate.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["train", "cli", "TrainResult", "FAST", "FULL", "OneCycle", "model_names", "build_model", "compile_model",
           "restart"]

# The two recipes. Every key can be overridden by the argument of the same name.
FAST = dict(
    model="small_cnn", model_kwargs={}, epochs=6, batch_size=64, optimizer="adamw", learning_rate=3e-3,
    weight_decay=5e-4, warmup=0.2, label_smoothing=0.0, augment="flip,crop", tta="none",
    n_train=2000, n_test=1000,
)
# Keras' SGD weight decay is decoupled (w -= lr * wd * w, outside the momentum), so 5e-3 here is about the
# classic coupled L2 of 5e-4 under momentum 0.9 (whose decay the momentum amplifies 1 / (1 - 0.9) = 10x).
FULL = dict(
    model="resnet9", model_kwargs={"width": 16}, epochs=60, batch_size=128, optimizer="sgd", learning_rate=0.2,
    weight_decay=5e-3, warmup=0.2, label_smoothing=0.1, augment="flip,crop,cutout12", tta="flip",
    n_train=None, n_test=None,
)

_OPTIMIZERS = ("sgd", "adamw", "adam")
_DATA = ("auto", "cifar10", "synthetic")


# --------------------------------------------------------------------------- pieces


def model_names():
    """Names of the builders in :mod:`course.models` (valid ``model=`` strings)."""
    import course.models

    return sorted(course.models.__all__)


def build_model(model, input_shape, num_classes, **kwargs):
    """A ``keras.Model`` from a builder name, a builder callable, or a model (returned as is)."""
    import keras

    if isinstance(model, keras.Model):
        if kwargs:
            raise ValueError(f"model_kwargs {sorted(kwargs)} only apply when model is a builder name, "
                             "not a built keras.Model")
        return model
    if isinstance(model, str):
        names = model_names()
        if model not in names:
            raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(names)} "
                             "(or pass a keras.Model)")
        import course.models

        builder = getattr(course.models, model)
    elif callable(model):
        builder = model
    else:
        raise TypeError(f"model must be a name ({', '.join(model_names())}), a builder function or a "
                        f"keras.Model; got {type(model).__name__}")
    try:
        return builder(input_shape=input_shape, num_classes=num_classes, **kwargs)
    except TypeError as e:
        raise TypeError(f"model_kwargs {kwargs} do not fit the builder {getattr(builder, '__name__', builder)}: "
                        f"{e}") from e


def compile_model(model, optimizer, loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                  jit_compile=False, run_eagerly=False, **compile_kwargs):
    """``model.compile(...)``, then the optimizer's variables built at once, outside any ``tf.function``.

    Keras 3 on TensorFlow creates the optimizer's variables (momentum, Adam's
    moments) lazily, inside the first traced training step, where creating
    each one costs tens of milliseconds: 1.5-2 s of CPU for the 59 tensors of
    a ResNet-20, a quarter of the first epoch of a short run. Building them
    here, eagerly, gives the same training (the variables start at zero
    either way) without that cost. ``metrics=None`` compiles without metrics
    (each one adds to the traced step as well).

    Args:
        model: a ``keras.Model``.
        optimizer: a ``keras.optimizers.Optimizer`` instance (or a name).
        loss, metrics, compile_kwargs: as for ``model.compile``.
        jit_compile: XLA; pass ``course.runtime.setup(...).jit_compile`` (on with
            a GPU, off on a CPU, where compiling costs more than it saves).
            Keras' own default, ``"auto"``, turns XLA on even on a CPU.
        run_eagerly: no graph at all: each training step runs op by op. For a
            handful of steps of a small network (a smoke test) this is faster
            than tracing the step first; it overrides ``jit_compile`` (Keras
            would warn that it cannot compile an eager step).

    Returns:
        ``model``, compiled.

    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    >>> model = compile_model(model, keras.optimizers.SGD(0.1, momentum=0.9))
    >>> model.optimizer.built, len(model.optimizer.variables) > 2
    (True, True)
    """
    metrics = None if metrics is None else list(metrics)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=False if run_eagerly else jit_compile,
                  run_eagerly=run_eagerly, **compile_kwargs)
    if not model.built:
        raise ValueError(f"compile_model: the model {model.name!r} is not built yet (its weights do not exist); "
                         "build it first, e.g. give it a keras.Input")
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model


def _one_cycle_class():
    import keras

    @keras.saving.register_keras_serializable(package="course")
    class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
        """Linear warm-up from ``peak / 25`` to ``peak`` over ``warmup`` of the steps, then linear decay to 0.

        The schedule of "super-convergence" (Smith) as used by Page's fast
        CIFAR-10 ResNet: a short climb lets batch norm settle before the
        largest steps, and annealing to zero ends in a sharp minimum of the
        training loss without a separate fine-tuning phase.
        """

        def __init__(self, peak, total_steps, warmup=0.25):
            self.peak = float(peak)
            self.total_steps = int(total_steps)
            self.warmup = float(warmup)

        def __call__(self, step):
            ops = keras.ops
            step = ops.cast(step, "float32")
            w = max(1.0, self.warmup * self.total_steps)
            rest = max(1.0, self.total_steps - w)
            start = self.peak / 25.0
            up = start + (self.peak - start) * step / w
            down = self.peak * ops.maximum(0.0, (self.total_steps - step) / rest)
            return ops.where(step < w, up, down)

        def get_config(self):
            return {"peak": self.peak, "total_steps": self.total_steps, "warmup": self.warmup}

    return OneCycle


def __getattr__(name):
    if name == "OneCycle":  # keras is imported only when the schedule is needed
        return _one_cycle_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _make_optimizer(name, lr_schedule, weight_decay):
    import keras

    if name == "sgd":
        opt = keras.optimizers.SGD(lr_schedule, momentum=0.9, nesterov=True, weight_decay=weight_decay or None)
    elif name == "adamw":
        opt = keras.optimizers.AdamW(lr_schedule, weight_decay=weight_decay)
    else:
        opt = keras.optimizers.Adam(lr_schedule)
    if weight_decay:
        # decay the weights, not the batch-norm scales/shifts or biases
        opt.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return opt


def _loss(num_classes, label_smoothing):
    """Cross-entropy on softmax outputs with integer labels, optionally label-smoothed."""
    import keras

    if not label_smoothing:
        return keras.losses.SparseCategoricalCrossentropy()

    def smoothed_crossentropy(y_true, y_pred):
        y = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32"), num_classes)
        return keras.losses.categorical_crossentropy(y, y_pred, label_smoothing=label_smoothing)

    return smoothed_crossentropy


def _augment(spec):
    """``"flip,crop,cutout8"`` -> :class:`course.data.Augment` (cutoutN: an N-pixel square)."""
    from course.data.pipeline import Augment

    if not isinstance(spec, str):
        return Augment.from_spec(spec)
    names, cutout = [], None
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part.startswith("cutout") and part[6:].isdigit():
            cutout = int(part[6:])
            names.append("cutout")
        else:
            names.append(part)
    aug = Augment.from_spec(",".join(names) if names else "none")
    if cutout is not None:
        aug = dataclasses.replace(aug, cutout=cutout)
    return aug


class _Progress:
    """Keras callback: per-epoch elapsed time and learning rate in the history, one line per epoch."""

    def __new__(cls, *args, **kwargs):
        import keras

        class Progress(keras.callbacks.Callback):
            def __init__(self, epochs, verbose, printer):
                super().__init__()
                self.epochs, self.verbose, self.printer = epochs, verbose, printer
                self.elapsed, self.lrs = [], []

            def on_train_begin(self, logs=None):
                self.t0 = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                self.elapsed.append(time.perf_counter() - self.t0)
                opt = self.model.optimizer
                lr = opt.learning_rate
                try:
                    lr = float(keras.ops.convert_to_numpy(lr))
                except Exception:  # pragma: no cover
                    lr = float("nan")
                self.lrs.append(lr)
                if self.verbose:
                    of = f"/{self.epochs}" if self.epochs else ""
                    parts = [f"epoch {epoch + 1:>3}{of}", f"{self.elapsed[-1]:7.1f}s",
                             f"loss {logs.get('loss', float('nan')):.3f}",
                             f"train acc {logs.get('accuracy', float('nan')):.3f}"]
                    if "val_accuracy" in logs:
                        parts += [f"test loss {logs['val_loss']:.3f}", f"test acc {logs['val_accuracy']:.3f}"]
                    parts.append(f"lr {lr:.2g}")
                    self.printer("  ".join(parts))

        return Progress(*args, **kwargs)


class _TimeBudget:
    """Keras callback: a one-cycle schedule over *wall time* instead of steps, stopping at a deadline.

    Budgeted training (Li, Yumer and Ramanan, ICLR 2020): when the budget is
    time, the learning rate should reach zero when the time runs out, whatever
    the machine's speed. The learning rate at each step is the one-cycle value
    at ``elapsed / available`` (warm-up, then linear decay to 0), and training
    stops mid-epoch when that fraction reaches 1. ``available`` leaves room for
    the final evaluation (``reserve_passes`` test-set passes, timed from the
    per-epoch validation). Results then depend on the machine's speed: use
    ``epochs`` when runs must be reproducible.
    """

    def __new__(cls, *args, **kwargs):
        import keras

        class TimeBudget(keras.callbacks.Callback):
            def __init__(self, deadline, peak, warmup, reserve_passes):
                super().__init__()
                self.deadline, self.peak, self.warmup = deadline, float(peak), float(warmup)
                self.reserve_passes = reserve_passes
                self.val_time = None
                self.first_val_time = None
                self.stopped_early = False

            def on_train_begin(self, logs=None):
                self.t0 = time.perf_counter()
                self.margin = 0.02 * (self.deadline - self.t0) + 1.0  # first guess, refined after epoch 1

            def _available(self):
                # the evaluation passes at the end, twice the first (traced) pass for tracing the predict
                # function and slack, 1% of the budget for the plot and the batch that overruns, 1 s
                reserve = (self.margin if self.val_time is None
                           else self.reserve_passes * self.val_time + 2 * self.first_val_time
                           + 0.01 * (self.deadline - self.t0) + 1.0)
                return max(1e-3, self.deadline - reserve - self.t0)

            def on_train_batch_begin(self, batch, logs=None):
                frac = (time.perf_counter() - self.t0) / self._available()
                if frac >= 1.0:
                    self.model.stop_training = True
                    self.stopped_early = True
                    frac = 1.0
                w = self.warmup
                start = self.peak / 25.0
                lr = start + (self.peak - start) * frac / w if frac < w else self.peak * (1.0 - frac) / (1.0 - w)
                self.model.optimizer.learning_rate = max(lr, 0.0)

            def on_train_batch_end(self, batch, logs=None):
                if time.perf_counter() - self.t0 >= self._available():
                    self.model.stop_training = True

            def on_test_begin(self, logs=None):
                self._tv = time.perf_counter()

            def on_test_end(self, logs=None):
                self.val_time = time.perf_counter() - self._tv
                if self.first_val_time is None:
                    self.first_val_time = self.val_time

        return TimeBudget(*args, **kwargs)


# --------------------------------------------------------------------------- result


@dataclasses.dataclass
class TrainResult:
    """What :func:`train` returns.

    ``history`` maps ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``
    (test set), ``elapsed_s`` (seconds since training started, at each
    epoch's end) and ``lr`` to per-epoch lists. ``test_accuracy`` is the final
    one (with test-time augmentation when ``tta`` is not ``"none"``;
    ``test_accuracy_plain`` is without).
    """

    model: object
    history: dict
    test_accuracy: float
    test_accuracy_plain: float
    test_loss: float
    wall_time_s: float
    train_time_s: float
    epochs: int
    plot_path: Path | None
    data_source: str
    n_train: int
    n_test: int
    runtime: object
    config: dict
    normalizer: object = None
    class_names: tuple = ()

    def summary(self) -> dict:
        """JSON-friendly summary (no model)."""
        return {
            "test_accuracy": self.test_accuracy, "test_accuracy_plain": self.test_accuracy_plain,
            "test_loss": self.test_loss, "wall_time_s": self.wall_time_s, "train_time_s": self.train_time_s,
            "epochs": self.epochs, "plot_path": str(self.plot_path) if self.plot_path else None,
            "data_source": self.data_source, "n_train": self.n_train, "n_test": self.n_test,
            "runtime": str(self.runtime), "config": self.config,
            "history": {k: [float(v) for v in vals] for k, vals in self.history.items()},
        }

    def __str__(self):
        tta = self.config.get("tta", "none")
        acc = f"test accuracy {100 * self.test_accuracy:.1f}%"
        if tta != "none":
            acc += f" (TTA {tta}; {100 * self.test_accuracy_plain:.1f}% without)"
        where = f"; curves: {self.plot_path}" if self.plot_path else ""
        return (f"{self.config.get('model_name', 'model')}: {acc} on {self.n_test} test images, "
                f"{self.epochs} epochs on {self.n_train} training images in {self.wall_time_s:.1f} s{where}")


# --------------------------------------------------------------------------- data


def _load_data(data, fast, n_train, n_test, seed, data_dir, printer):
    """``(x_train, y_train), (x_test, y_test), class_names, source`` as asked."""
    from course import data as cdata

    if isinstance(data, str):
        if data not in _DATA:
            raise ValueError(f"data={data!r}: expected one of {', '.join(repr(d) for d in _DATA)}, "
                             "or arrays ((x_train, y_train), (x_test, y_test)[, class_names])")
        if data == "synthetic":
            # the synthetic generator makes exactly the sizes asked for
            ds = cdata.load_synthetic(n_train=n_train or 10000, n_test=n_test or 2000, seed=seed)
        else:
            import contextlib
            import io

            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):  # the loader's one-line notice goes through `printer`
                ds = cdata.load_cifar10(source="auto", data_dir=data_dir,
                                        fallback="synthetic" if data == "auto" else None)
            notice = buf.getvalue().strip()
            if notice:
                printer(notice.splitlines()[-1])
            if data == "auto" and ds.source.startswith("synthetic") and (n_train or n_test):
                ds = cdata.load_synthetic(n_train=n_train or 10000, n_test=n_test or 2000, seed=seed)
        (xtr, ytr), (xte, yte), names = ds
        source = ds.source
    else:
        try:
            (xtr, ytr), (xte, yte), *rest = data
        except (TypeError, ValueError):
            raise ValueError("data must be 'auto', 'cifar10', 'synthetic' or "
                             "((x_train, y_train), (x_test, y_test)[, class_names])") from None
        xtr, ytr, xte, yte = (np.asarray(a) for a in (xtr, ytr, xte, yte))
        names = tuple(rest[0]) if rest else tuple(str(i) for i in range(int(max(ytr.max(), yte.max())) + 1))
        source = getattr(data, "source", "arrays")
        for nm, x, y in (("x_train", xtr, ytr), ("x_test", xte, yte)):
            if x.ndim != 4:
                raise ValueError(f"data: {nm} must have shape (N, H, W, C), got {x.shape}")
            if y.shape != (len(x),):
                raise ValueError(f"data: {nm} has {len(x)} images but its labels have shape {y.shape}")
        if xtr.shape[1:] != xte.shape[1:]:
            raise ValueError(f"data: training images {xtr.shape[1:]} and test images {xte.shape[1:]} differ")
    if n_train is not None and n_train < len(xtr):
        xtr, ytr = xtr[:n_train], ytr[:n_train]
    if n_test is not None and n_test < len(xte):
        xte, yte = xte[:n_test], yte[:n_test]
    return (xtr, ytr), (xte, yte), tuple(names), source


def _check_positive(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


# --------------------------------------------------------------------------- several runs, one compiled model


def restart(model, weights, learning_rate=None):
    """Put a compiled Keras model back at the start of training, without compiling it again.

    Every ``model.compile`` makes Keras build a new training function, which
    TensorFlow traces on the first ``fit`` (one to a few seconds on a CPU: in
    a notebook of many short runs, more than the runs themselves). To compare
    runs that differ only in their data, augmentation, callbacks or initial
    weights, compile once and ``restart`` before each run:

    - ``weights`` (a ``model.get_weights()`` list, which holds the batch-norm
      moving statistics too) are set;
    - the optimizer's state is cleared: step count, momenta, Adam's moments,
      the averages of ``use_ema`` (a rate schedule restarts with the step count);
    - its learning rate is set to ``learning_rate`` (None: left as it is; a
      callback such as ``LearningRateDecay`` may have changed it).

    The next ``fit`` then trains exactly as the first one from those weights
    (with the same data pipeline and seeds) and reuses the traced function.
    Returns the model.

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    >>> model.compile(keras.optimizers.Adam(0.1), "sparse_categorical_crossentropy")
    >>> start = model.get_weights()
    >>> x, y = np.ones((8, 3), "float32"), np.zeros(8, "int64")
    >>> first = model.fit(x, y, epochs=2, verbose=0).history["loss"]
    >>> traced = model.train_function
    >>> again = restart(model, start, learning_rate=0.1).fit(x, y, epochs=2, verbose=0).history["loss"]
    >>> np.allclose(first, again), model.train_function is traced
    (True, True)
    """
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("restart: the model is not compiled (model.optimizer is None); call model.compile(...) once "
                         "first")
    model.set_weights(weights)
    rate = optimizer.learning_rate
    settable = isinstance(rate, keras.Variable)
    for variable in optimizer.variables:
        if settable and variable is rate:
            continue
        variable.assign(keras.ops.zeros(variable.shape, variable.dtype))
    if learning_rate is not None:
        if not settable:
            raise ValueError(f"restart: the optimizer's learning rate is a schedule ({type(rate).__name__}), which "
                             "restarts with the step count; pass learning_rate=None")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
            raise ValueError(f"restart: learning_rate must be a positive number or None, got {learning_rate!r}")
        optimizer.learning_rate = float(learning_rate)
    return model


# --------------------------------------------------------------------------- train


def train(model=None, data="auto", *, epochs=None, batch_size=None, fast=False, augment=None,
          label_smoothing=None, tta=None, optimizer=None, learning_rate=None, weight_decay=None, warmup=None,
          model_kwargs=None, n_train=None, n_test=None, time_budget_s=None, seed=0, deterministic=True,
          out_dir="runs/train", plot=True, verbose=1, data_dir=None, printer=print):
    """Train a model on CIFAR-10 (or the synthetic set, or arrays) and evaluate it on the test set.

    Args:
        model: a :mod:`course.models` builder name (``"small_cnn"``,
            ``"resnet9"``, ...), a builder ``f(input_shape, num_classes, **kw)``
            or a ``keras.Model`` with a softmax output. Default: the recipe's.
        data: ``"auto"`` (real CIFAR-10 if found, else the synthetic set with
            a one-line notice), ``"cifar10"`` (error if not found),
            ``"synthetic"``, or ``((x_train, y_train), (x_test, y_test)[, names])``
            with uint8 images.
        epochs, batch_size: default the recipe's.
        fast: the fast recipe (:data:`FAST`) instead of the full one (:data:`FULL`).
        augment: ``"flip,crop,cutout8"``-style names (``cutoutN``: an N-pixel
            square; also ``jitter``, ``pca``), ``None`` for the recipe's,
            ``"none"`` for none, or a :class:`course.data.Augment`.
        label_smoothing: in ``[0, 1)``.
        tta: test-time augmentation for the final accuracy: ``"none"``,
            ``"flip"`` or ``"crops10"`` (True means ``"flip"``).
        optimizer: ``"sgd"`` (Nesterov momentum 0.9), ``"adamw"`` or ``"adam"``.
        learning_rate: peak of the one-cycle schedule; weight_decay: decoupled
            weight decay (not on batch-norm parameters or biases); warmup:
            fraction of the steps spent warming up.
        model_kwargs: extra arguments of the builder (e.g. ``{"width": 16}``).
        n_train, n_test: use at most this many images (the first ones).
        time_budget_s: a wall-clock budget for the whole call (data, build,
            training, final evaluation), in seconds. The one-cycle schedule
            then runs over time, not steps, and training stops when the time
            is up (``epochs`` becomes a maximum, default unlimited). Results
            depend on the machine's speed; leave it None for reproducible runs.
        seed: seeds everything (:func:`course.runtime.setup`); deterministic:
            op determinism.
        out_dir: where ``curves.png`` and ``result.json`` go (None: nowhere).
        plot: save the loss/accuracy curves.
        verbose: 0 silent, 1 one line per epoch, 2 Keras' own progress output.
        data_dir: folder holding ``cifar-10-batches-py`` (else ``COURSE_DATA_DIR``, ...).
        printer: where progress lines go (default ``print``).

    Returns:
        :class:`TrainResult`.
    """
    t_start = time.perf_counter()
    from course import runtime

    if not isinstance(deterministic, bool):
        raise ValueError(f"deterministic must be True or False, got {deterministic!r}")
    info = runtime.setup(seed=seed, deterministic=deterministic)  # first: quiets TensorFlow before it loads
    recipe = dict(FAST if fast else FULL)
    given = dict(model=model, epochs=epochs, batch_size=batch_size, augment=augment,
                 label_smoothing=label_smoothing, tta=tta, optimizer=optimizer, learning_rate=learning_rate,
                 weight_decay=weight_decay, warmup=warmup, model_kwargs=model_kwargs, n_train=n_train,
                 n_test=n_test)
    if model is not None and model != recipe["model"] and model_kwargs is None:
        given["model_kwargs"] = {}  # the recipe's builder arguments belong to the recipe's model
    cfg = {k: (v if v is not None else recipe[k]) for k, v in given.items()}
    if tta is True:
        cfg["tta"] = "flip"
    elif tta is False:
        cfg["tta"] = "none"

    # ---- validate arguments before any heavy work
    _check_positive("epochs", cfg["epochs"])
    _check_positive("batch_size", cfg["batch_size"])
    _check_positive("n_train", cfg["n_train"], allow_none=True)
    _check_positive("n_test", cfg["n_test"], allow_none=True)
    if time_budget_s is not None and (isinstance(time_budget_s, bool) or not isinstance(time_budget_s, (int, float))
                                      or not time_budget_s > 0):
        raise ValueError(f"time_budget_s must be a positive number of seconds, got {time_budget_s!r}")
    if time_budget_s is not None and epochs is None:
        cfg["epochs"] = 100_000  # the clock decides
    if cfg["optimizer"] not in _OPTIMIZERS:
        raise ValueError(f"optimizer={cfg['optimizer']!r}: expected one of {', '.join(_OPTIMIZERS)}")
    if cfg["tta"] not in ("none", "flip", "crops10"):
        raise ValueError(f"tta={cfg['tta']!r}: expected 'none', 'flip' or 'crops10' (or True/False)")
    ls = cfg["label_smoothing"]
    if isinstance(ls, bool) or not isinstance(ls, (int, float)) or not 0.0 <= ls < 1.0:
        raise ValueError(f"label_smoothing must be a number in [0, 1), got {ls!r}")
    for name in ("learning_rate", "weight_decay"):
        v = cfg[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (name == "learning_rate" and v == 0):
            raise ValueError(f"{name} must be a {'positive' if name == 'learning_rate' else 'non-negative'} "
                             f"number, got {v!r}")
    if isinstance(cfg["warmup"], bool) or not isinstance(cfg["warmup"], (int, float)) or not 0 <= cfg["warmup"] < 1:
        raise ValueError(f"warmup must be a fraction in [0, 1), got {cfg['warmup']!r}")
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if isinstance(cfg["model"], str) and cfg["model"] not in model_names():
        raise ValueError(f"unknown model {cfg['model']!r}; choose one of: {', '.join(model_names())} "
                         "(or pass a keras.Model)")
    aug = _augment(cfg["augment"])
    say = printer if verbose else (lambda *a, **k: None)

    # ---- data, pipeline
    (xtr, ytr), (xte, yte), class_names, source = _load_data(
        data, fast, cfg["n_train"], cfg["n_test"], seed, data_dir, say)
    num_classes = len(class_names)
    if ytr.min() < 0 or max(ytr.max(), yte.max()) >= num_classes:
        raise ValueError(f"data: labels must be in [0, {num_classes}), got [{min(ytr.min(), yte.min())}, "
                         f"{max(ytr.max(), yte.max())}]")

    import keras

    from course.data.pipeline import fit_normalization, make_dataset, tta_predict

    norm = fit_normalization(xtr, kind="channel")
    # repeat=True: one tf.data iterator for the whole run (no per-epoch pipeline restart or XLA recompilation)
    train_ds = make_dataset(xtr, ytr, cfg["batch_size"], training=True, augment=aug, normalize=norm, seed=seed,
                            repeat=True)
    steps_per_epoch = int(np.ceil(len(xtr) / cfg["batch_size"]))
    test_ds = make_dataset(xte, yte, 512, training=False, normalize=norm, cache=True)

    # ---- model, optimizer, loss
    net = build_model(cfg["model"], tuple(xtr.shape[1:]), num_classes, **dict(cfg["model_kwargs"]))
    in_shape = tuple(net.input_shape[1:])
    if in_shape != tuple(xtr.shape[1:]):
        raise ValueError(f"model expects inputs of shape {in_shape}, the data has images of shape {xtr.shape[1:]}")
    steps = steps_per_epoch * cfg["epochs"]
    if time_budget_s is None:
        schedule = _one_cycle_class()(cfg["learning_rate"], steps, cfg["warmup"])
    else:
        schedule = cfg["learning_rate"] / 25.0  # set at every step by _TimeBudget
    net.compile(optimizer=_make_optimizer(cfg["optimizer"], schedule, cfg["weight_decay"]),
                loss=_loss(num_classes, ls), metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
                jit_compile=info.jit_compile)
    model_name = cfg["model"] if isinstance(cfg["model"], str) else net.name
    cfg_out = {k: (v if isinstance(v, (str, int, float, dict, type(None))) else repr(v)) for k, v in cfg.items()}
    cfg_out.update(time_budget_s=time_budget_s, model_name=model_name, augment=repr(aug),
                   params=int(net.count_params()), fast=bool(fast), seed=seed)

    say(f"device: {info}")
    say(f"data: {source} ({len(xtr)} training / {len(xte)} test images, {num_classes} classes)")
    n_ep = f"{cfg['epochs']} epochs" if time_budget_s is None else "epochs until the time is up"
    say(f"model: {model_name} ({net.count_params():,} parameters), {n_ep}, "
        f"{int(np.ceil(len(xtr) / cfg['batch_size']))} batches of {cfg['batch_size']} per epoch, {cfg['optimizer']} "
        f"one-cycle peak lr {cfg['learning_rate']:g}, augment {cfg['augment']}, label smoothing {ls:g}")

    # ---- train
    progress = _Progress(cfg["epochs"] if time_budget_s is None else None, verbose == 1 or verbose is True, printer)
    callbacks = [progress]
    if time_budget_s is not None:
        passes = 1 + {"none": 0, "flip": 2, "crops10": 10}[cfg["tta"]] + 1  # last validation, evaluate, TTA views
        callbacks.insert(0, _TimeBudget(t_start + time_budget_s, cfg["learning_rate"], max(cfg["warmup"], 1e-3),
                                        passes))
        say(f"time budget: {time_budget_s:g} s in all; the learning rate follows the clock "
            f"({time.perf_counter() - t_start:.1f} s used before training)")
    t_train = time.perf_counter()
    hist = net.fit(train_ds, validation_data=test_ds, epochs=cfg["epochs"], steps_per_epoch=steps_per_epoch,
                   verbose=2 if verbose == 2 else 0, callbacks=callbacks)
    train_time = time.perf_counter() - t_train
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    history["elapsed_s"] = list(progress.elapsed)
    history["lr"] = list(progress.lrs)

    # ---- evaluate
    test_loss, acc_plain = (float(v) for v in net.evaluate(test_ds, verbose=0)[:2])
    if cfg["tta"] != "none":
        probs = tta_predict(net, xte, views=cfg["tta"], normalize=norm, batch_size=512)
        acc = float(np.mean(np.argmax(probs, axis=1) == yte))
    else:
        acc = acc_plain
    wall = time.perf_counter() - t_start

    plot_path = None
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if plot:
            from course import plots

            kind = source.split(":")[0]
            label = {"synthetic": "the synthetic set", "arrays": "the given arrays"}.get(kind, "CIFAR-10")
            fig = plots.plot_history(
                history, path=out / "curves.png", val_label="test",
                title=f"{model_name} on {label} ({len(xtr)} training images): test accuracy {100 * acc:.1f}%")
            plot_path = out / "curves.png"
            del fig
    result = TrainResult(
        model=net, history=history, test_accuracy=acc, test_accuracy_plain=acc_plain, test_loss=test_loss,
        wall_time_s=wall, train_time_s=train_time, epochs=len(history["loss"]), plot_path=plot_path,
        data_source=source, n_train=len(xtr), n_test=len(xte), runtime=info, config=cfg_out,
        normalizer=norm, class_names=class_names,
    )
    if out_dir is not None:
        (Path(out_dir) / "result.json").write_text(json.dumps(result.summary(), indent=1))
    return result


# --------------------------------------------------------------------------- CLI


def _parser():
    p = argparse.ArgumentParser(
        prog="course train",
        description="Train a reference model on CIFAR-10 (real data when found, else the embedded synthetic "
                    "set) and report its test accuracy, time and loss/accuracy curves.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fast", action="store_true",
                      help="small CNN, at most 2000 training images, 6 epochs: under a minute on a CPU "
                           "(default when COURSE_FAST=1)")
    mode.add_argument("--full", action="store_true", help="the benchmark recipe (narrow ResNet-9, 60 epochs)")
    p.add_argument("--model", help="model builder name (default: the recipe's)")
    p.add_argument("--data", default="auto", choices=_DATA,
                   help="auto: real CIFAR-10 if found (COURSE_DATA_DIR, Keras/TFDS caches), else synthetic")
    p.add_argument("--data-dir", help="folder holding cifar-10-batches-py")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--n-train", type=int, help="use at most this many training images")
    p.add_argument("--n-test", type=int, help="use at most this many test images")
    p.add_argument("--augment", help="e.g. 'flip,crop,cutout8' or 'none'")
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--tta", choices=("none", "flip", "crops10"))
    p.add_argument("--optimizer", choices=_OPTIMIZERS)
    p.add_argument("--lr", type=float, dest="learning_rate", help="peak learning rate")
    p.add_argument("--time-budget", type=float, dest="time_budget_s",
                   help="seconds for the whole run: the schedule follows the clock and training stops in time")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/train", help="output folder for curves.png and result.json")
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    return p


def cli(argv=None):
    """``course train ...``; returns an exit status."""
    args = _parser().parse_args(argv)
    from course import runtime

    runtime.setup(seed=args.seed)  # quiet TensorFlow before anything imports it
    fast = args.fast or (not args.full and os.environ.get("COURSE_FAST") == "1")
    if args.model is not None and args.model not in model_names():
        print(f"course train: unknown model {args.model!r}; choose one of: {', '.join(model_names())}",
              file=sys.stderr)
        return 2
    try:
        result = train(
            model=args.model, data=args.data, fast=fast, epochs=args.epochs, batch_size=args.batch_size,
            n_train=args.n_train, n_test=args.n_test, augment=args.augment, label_smoothing=args.label_smoothing,
            tta=args.tta, optimizer=args.optimizer, learning_rate=args.learning_rate, seed=args.seed,
            out_dir=args.out, verbose=0 if args.quiet else 1, data_dir=args.data_dir,
            time_budget_s=args.time_budget_s,
        )
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"course train: {e}", file=sys.stderr)
        return 2
    tta = result.config["tta"]
    extra = f" (test-time {tta}; {100 * result.test_accuracy_plain:.1f}% without)" if tta != "none" else ""
    print(f"test accuracy: {100 * result.test_accuracy:.1f}%{extra} on {result.n_test} test images "
          f"[{result.data_source}]")
    print(f"wall time: {result.wall_time_s:.1f} s ({result.train_time_s:.1f} s training, {result.epochs} epochs)")
    if result.plot_path:
        print(f"loss/accuracy curves saved to {result.plot_path}")
    return 0
