"""Small helpers shared by the callbacks (not part of the public API)."""

import os

import numpy as np
from keras import ops
from keras.optimizers.schedules import LearningRateSchedule


def sync_state(model):
    """Make ``model``'s variables hold the values the training loop is using.

    Under the JAX backend, ``fit`` keeps the model and optimizer state outside
    the variables between steps and writes it back only at the end of an
    epoch. A callback that reads or writes a variable in the middle of an
    epoch must call this first; the loop then picks the (possibly changed)
    values up again before the next step. It costs no device work. Other
    backends update the variables in place, so this is a no-op there.
    """
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def check_settable_learning_rate(optimizer, who):
    """Raise a clear error when ``optimizer``'s learning rate cannot be set.

    Keras refuses to assign a learning rate to an optimizer built with a
    ``LearningRateSchedule`` (or a callable) and says so in terms of its own
    internals; this names the callback and the two ways out.
    """
    if optimizer is None:
        raise ValueError(f"{who}: the model has no optimizer; call model.compile(optimizer=...) before fit.")
    inner = getattr(optimizer, "inner_optimizer", None)  # LossScaleOptimizer wraps one
    if inner is not None:
        optimizer = inner
    lr = getattr(optimizer, "_learning_rate", None)
    if isinstance(lr, LearningRateSchedule) or (callable(lr) and not hasattr(lr, "assign")):
        kind = type(lr).__name__
        raise TypeError(
            f"{who}: the model's optimizer ({type(optimizer).__name__}) was given a learning-rate schedule "
            f"object ({kind}) as its learning_rate, so no callback can set its learning rate. Use one or the "
            f"other: compile with a plain float, e.g. {type(optimizer).__name__}(learning_rate=0.01), and let "
            f"{who.split('(')[0]} set the rate; or keep the {kind} and drop the callback."
        )


def variable_to_numpy(variable):
    """A host copy of a Keras variable's value (via a tensor: numpy's ``np.array``
    on a TF variable is deprecated)."""
    return np.array(ops.convert_to_numpy(ops.convert_to_tensor(variable)), copy=True)


def get_lr(model):
    """The optimizer's current learning rate as a Python float (one host read)."""
    return float(ops.convert_to_numpy(ops.convert_to_tensor(model.optimizer.learning_rate)))


def set_lr(model, value):
    """Assign ``value`` to the optimizer's learning-rate variable."""
    model.optimizer.learning_rate = float(value)


def under_nbgrader():
    """True while nbgrader executes a notebook (autograding or validation)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def in_notebook():
    """True inside a Jupyter kernel (where IPython.display can update output in place)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with jupyter
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def new_figure(figsize):
    """A pyplot-free Figure that draws itself in Jupyter (see ``course.plots``)."""
    from course.plots import _figure

    return _figure(figsize)


def figure_and_axes(ax, figsize):
    """``(ax.figure, ax)``, or a new figure (:func:`new_figure`) and its one axes when ``ax`` is None."""
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot()


def check_positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: `{name}` must be a positive integer; got {value!r}.")
    return int(value)


def check_positive_float(value, name, who, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: `{name}` must be a number; got {value!r}.") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{who}: `{name}` must be a finite number {bound}; got {value!r}.")
    return v
