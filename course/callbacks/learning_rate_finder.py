import math

import numpy as np
import keras

from course.callbacks._common import (
    check_positive_float,
    check_positive_int,
    check_settable_learning_rate,
    figure_and_axes,
    set_lr,
    sync_state,
    variable_to_numpy,
)

SKIP_START = 5  # the first few points of the sweep are noise; the suggestion ignores them


class LearningRateFinder(keras.callbacks.Callback):
    """Sweep the learning rate exponentially and watch the loss (Smith's "LR range test").

    Step ``i`` of ``num_steps`` trains with
    ``min_lr * (max_lr / min_lr) ** (i / (num_steps - 1))`` and records that
    batch's loss. The sweep stops early once the smoothed loss rises above
    ``stop_factor`` (default 4) times the best smoothed loss so far, or the
    loss is NaN/inf. When training ends, the model and optimizer are put back
    exactly as they were: every model variable (weights, batch-norm
    statistics), every optimizer variable (momenta, Adam moments, the
    iteration count) and the learning rate. An optimizer that was not built
    yet comes back built with fresh (zero) slots, which is the same state.

    The loss is smoothed with an exponential moving average (``smoothing``,
    default 0.98) with bias correction. Keras logs the epoch's running mean
    loss after each batch; the finder recovers each batch's own loss from
    two consecutive running means, which is exact when the batches of an
    epoch have equal size (``find`` drops the ragged last batch for arrays).

    Suggested rate (``suggestion``): the rate where the smoothed loss falls
    fastest against ``log(lr)`` (steepest descent), looked for before the
    minimum of the smoothed loss and after the first few points. Also kept:
    ``suggestion_min_over_10``, a tenth of the rate at the minimum of the
    smoothed loss (a more conservative rule of thumb).

    Args:
        min_lr: first rate of the sweep (default 1e-7).
        max_lr: last rate (default 10).
        num_steps: number of steps of the sweep (default 200).
        stop_factor: stop once the smoothed loss exceeds this many times its
            best value (default 4).
        smoothing: moving-average factor in [0, 1) (default 0.98).
        verbose: 1 prints the suggestion when the sweep ends (stdout).

    Attributes (after a sweep; reset at each ``fit``):
        learning_rates, losses, smoothed_losses: the sweep, per step.
        suggestion, suggestion_min_over_10: suggested rates (None if the
            sweep was too short to say).
        stop_reason: ``"diverged"``, ``"nan"`` or ``"num_steps"``.

    Use it through ``find`` (it works out the number of epochs and restores
    everything) or pass it to ``model.fit`` with enough epochs to cover
    ``num_steps``; it stops training itself.

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import LearningRateFinder
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(512, 8)), rng.integers(0, 3, 512)
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    >>> model.compile(keras.optimizers.SGD(0.01),
    ...               loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    >>> finder = LearningRateFinder(min_lr=1e-4, max_lr=10, num_steps=60)
    >>> lr = finder.find(model, x, y, batch_size=32)   # weights/optimizer restored
    >>> 1e-4 < lr < 10
    True
    >>> fig = finder.plot()
    """

    def __init__(self, min_lr=1e-7, max_lr=10.0, num_steps=200, stop_factor=4.0, smoothing=0.98, verbose=0):
        super().__init__()
        who = type(self).__name__
        self.min_lr = check_positive_float(min_lr, "min_lr", who)
        self.max_lr = check_positive_float(max_lr, "max_lr", who)
        if self.max_lr <= self.min_lr:
            raise ValueError(f"{who}: `max_lr` ({max_lr!r}) must be larger than `min_lr` ({min_lr!r}).")
        self.num_steps = check_positive_int(num_steps, "num_steps", who)
        if self.num_steps < 2:
            raise ValueError(f"{who}: `num_steps` must be at least 2; got {num_steps!r}.")
        self.stop_factor = check_positive_float(stop_factor, "stop_factor", who)
        if self.stop_factor <= 1:
            raise ValueError(f"{who}: `stop_factor` must be > 1; got {stop_factor!r}.")
        smoothing = float(smoothing)
        if not 0 <= smoothing < 1:
            raise ValueError(f"{who}: `smoothing` must be in [0, 1); got {smoothing!r}.")
        self.smoothing = smoothing
        self.verbose = verbose
        self._reset()

    def _reset(self):
        self.learning_rates = []
        self.losses = []
        self.smoothed_losses = []
        self.suggestion = None
        self.suggestion_min_over_10 = None
        self.stop_reason = None
        self._saved = None
        self._step = 0
        self._avg = 0.0
        self._best = math.inf
        self._prev_mean = None

    def learning_rate_at(self, i):
        """The rate the sweep uses at step ``i``."""
        return self.min_lr * (self.max_lr / self.min_lr) ** (i / (self.num_steps - 1))

    # -- save and restore ------------------------------------------------------
    def _save_state(self):
        model, opt = self.model, self.model.optimizer
        if not opt.built:
            opt.build(model.trainable_variables)
        self._saved = (
            [variable_to_numpy(v) for v in model.variables],
            [variable_to_numpy(v) for v in opt.variables],
        )

    def _restore_state(self):
        model_values, opt_values = self._saved
        for v, value in zip(self.model.variables, model_values):
            v.assign(value)
        for v, value in zip(self.model.optimizer.variables, opt_values):
            v.assign(value)
        self._saved = None

    # -- callback hooks ----------------------------------------------------------
    def on_train_begin(self, logs=None):
        check_settable_learning_rate(self.model.optimizer, type(self).__name__)
        self._reset()
        self._save_state()

    def on_epoch_begin(self, epoch, logs=None):
        self._prev_mean = None

    def on_train_batch_begin(self, batch, logs=None):
        if self._step >= self.num_steps:
            self.model.stop_training = True
            return
        sync_state(self.model)
        set_lr(self.model, self.learning_rate_at(self._step))

    def on_train_batch_end(self, batch, logs=None):
        if self.stop_reason is not None:
            return
        mean = (logs or {}).get("loss")
        if mean is None:
            raise ValueError(f"{type(self).__name__}: the training logs have no 'loss'; compile the model with a loss.")
        # Keras logs the running mean over the epoch: recover this batch's loss.
        loss = mean if self._prev_mean is None else (batch + 1) * mean - batch * self._prev_mean
        self._prev_mean = mean
        self.learning_rates.append(self.learning_rate_at(self._step))
        self.losses.append(float(loss))
        self._step += 1
        if not math.isfinite(loss):
            self.smoothed_losses.append(float("nan"))
            self._finish("nan")
            return
        self._avg = self.smoothing * self._avg + (1 - self.smoothing) * loss
        smooth = self._avg / (1 - self.smoothing ** self._step)
        self.smoothed_losses.append(smooth)
        if self._step > 1 and smooth > self.stop_factor * self._best:
            self._finish("diverged")
            return
        self._best = min(self._best, smooth)
        if self._step >= self.num_steps:
            self._finish("num_steps")

    def _finish(self, reason):
        self.stop_reason = reason
        self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._saved is not None:
            self._restore_state()
        if self.stop_reason is None and self.learning_rates:
            self.stop_reason = "num_steps"
        self._suggest()
        if self.verbose:
            if self.suggestion is None:
                print(f"{type(self).__name__}: the sweep was too short to suggest a learning rate "
                      f"({len(self.losses)} steps).")
            else:
                print(f"{type(self).__name__}: suggested learning rate {self.suggestion:.2e} (steepest descent); "
                      f"min-loss/10 gives {self.suggestion_min_over_10:.2e}.")

    def _suggest(self):
        lrs = np.asarray(self.learning_rates, dtype=float)
        sm = np.asarray(self.smoothed_losses, dtype=float)
        ok = np.isfinite(sm)
        lrs, sm = lrs[ok], sm[ok]
        if len(sm) < SKIP_START + 3:
            self.suggestion = self.suggestion_min_over_10 = None
            return
        i_min = int(np.argmin(sm))
        self.suggestion_min_over_10 = float(lrs[i_min] / 10)
        end = max(i_min + 1, SKIP_START + 3)
        slope = np.gradient(sm[:end], np.log(lrs[:end]))
        self.suggestion = float(lrs[SKIP_START + int(np.argmin(slope[SKIP_START:]))])

    # -- convenience -----------------------------------------------------------
    def find(self, model, x, y=None, batch_size=32, **fit_kwargs):
        """Run the sweep on ``model`` and return ``suggestion``.

        ``x``/``y`` are what ``model.fit`` takes. For arrays, the number of
        epochs is worked out so the sweep gets its ``num_steps`` steps, and
        the ragged last batch is dropped. Other ``fit`` arguments pass
        through (``verbose`` defaults to 0). The model and optimizer are
        restored afterwards.
        """
        fit_kwargs.setdefault("verbose", 0)
        if hasattr(x, "__len__") and hasattr(x, "shape"):
            n = (len(x) // batch_size) * batch_size
            if n == 0:
                raise ValueError(f"{type(self).__name__}.find: `x` has {len(x)} samples, fewer than one batch "
                                 f"of {batch_size}.")
            x = x[:n]
            y = None if y is None else y[:n]
            epochs = math.ceil(self.num_steps / (n // batch_size))
            model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[self], **fit_kwargs)
        else:
            model.fit(x, y, epochs=self.num_steps, callbacks=[self], **fit_kwargs)
        return self.suggestion

    def plot(self, ax=None):
        """Loss against learning rate (log scale), raw and smoothed, with the
        suggestions marked. Returns the matplotlib Figure."""
        if not self.learning_rates:
            raise ValueError(f"{type(self).__name__}.plot(): no sweep yet; call find(...) or fit with this callback.")
        fig, ax = figure_and_axes(ax, (6, 4))
        lrs = np.asarray(self.learning_rates)
        ax.plot(lrs, self.losses, lw=0.8, alpha=0.4, label="batch loss")
        ax.plot(lrs, self.smoothed_losses, lw=2, label="smoothed loss")
        if self.suggestion is not None:
            ax.axvline(self.suggestion, color="tab:red", ls="--", label=f"steepest: {self.suggestion:.1e}")
            ax.axvline(self.suggestion_min_over_10, color="tab:gray", ls=":",
                       label=f"min/10: {self.suggestion_min_over_10:.1e}")
        sm = np.asarray(self.smoothed_losses, dtype=float)
        if np.isfinite(sm).any():  # keep the explosion at the end from squashing the curve
            lo, first = np.nanmin(sm), sm[np.isfinite(sm)][0]
            top = max(first, lo) + 0.5 * abs(first - lo) + 1e-12
            ax.set_ylim(lo - 0.1 * (top - lo), min(top, np.nanmax(sm)) + 0.1 * (top - lo))
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss")
        ax.set_title("Learning-rate range test")
        ax.legend(fontsize="small")
        return fig
