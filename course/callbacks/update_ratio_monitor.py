import numpy as np
import keras
from keras import ops

from course.callbacks._common import check_positive_float, check_positive_int, figure_and_axes, sync_state


class UpdateRatioMonitor(keras.callbacks.Callback):
    """Watch the ratio of each update's size to the weights' size.

    The lectures' rule of thumb: the ratio ``||W_after - W_before|| /
    ||W_before||`` of one optimizer step should sit around ``1e-3``. Much
    larger and the learning rate is too high (the weights are being thrown
    around); much smaller and it is too low (they barely move).

    Every ``every``-th step, the callback copies each trainable tensor just
    before the step and compares it with the same tensor just after. It
    measures the weights themselves, so the figure is right for any
    optimizer (with momentum or Adam the step is not ``lr * grad``). The
    comparison runs when the next step begins (or at the epoch's end), where
    the weights are exactly those the measured step produced; the callback
    deliberately does not override ``on_train_batch_end``, because Keras
    converts every batch's logs to host numbers (a device sync per step) for
    callbacks that do. The norms stay on the device until the epoch ends and
    are then fetched in one transfer.

    Results, per epoch (the median over the epoch's measured steps), are
    added to the logs, hence to ``model.fit(...).history``:

    - ``"update_ratio/<weight path>"`` for each tensor (e.g.
      ``"update_ratio/sequential/dense/kernel"``);
    - ``"update_ratio_median"``: the median over the tensors.

    When that median leaves ``band``, the callback says so once per epoch,
    with the likely fix (lower or raise the learning rate). The message goes
    to stdout (``print``), never to stderr, so it is safe under nbgrader;
    ``verbose=0`` silences it. Every message is also kept in ``messages``.

    Tensors whose norm before the step is below ``min_norm`` (zero-initialised
    biases early in training, for instance) are skipped for that step: their
    ratio says nothing about the learning rate.

    With ``steps_per_execution > 1`` in ``compile``, Keras calls the callback
    once per execution, so a measurement spans that many optimizer steps.

    Args:
        every: measure one step in ``every`` (default 10).
        band: ``(low, high)`` range that counts as healthy
            (default ``(1e-4, 1e-2)``).
        min_norm: skip a tensor for a step when its norm is below this
            (default ``1e-6``).
        kernels_only: only watch tensors with 2 or more dimensions (kernels),
            leaving out biases and normalization scales (default False).
        verbose: 1 (default) prints the out-of-band message; 0 is silent.

    Attributes (after ``fit``; reset by each new ``fit``):
        names: the watched tensors' paths.
        steps: global step index of each measurement.
        ratios: array ``(len(steps), len(names))``; NaN where skipped.
        epoch_medians: the per-epoch ``update_ratio_median`` values.
        messages: the out-of-band messages.

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import UpdateRatioMonitor
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(256, 8)), rng.integers(0, 3, 256)
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
    ...                           keras.layers.Dense(3)])
    >>> model.compile(keras.optimizers.SGD(1e-3),
    ...               loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    >>> monitor = UpdateRatioMonitor(every=2, verbose=0)
    >>> hist = model.fit(x, y, epochs=2, batch_size=32, callbacks=[monitor], verbose=0)
    >>> len(hist.history["update_ratio_median"])
    2
    >>> fig = monitor.plot()  # a matplotlib Figure
    """

    def __init__(self, every=10, band=(1e-4, 1e-2), min_norm=1e-6, kernels_only=False, verbose=1):
        super().__init__()
        who = type(self).__name__
        self.every = check_positive_int(every, "every", who)
        try:
            low, high = band
            low, high = float(low), float(high)
        except (TypeError, ValueError):
            raise ValueError(f"{who}: `band` must be a pair (low, high) of numbers; got {band!r}.") from None
        if not (0 < low < high):
            raise ValueError(f"{who}: `band` must satisfy 0 < low < high; got {band!r}.")
        self.band = (low, high)
        self.min_norm = check_positive_float(min_norm, "min_norm", who, allow_zero=True)
        self.kernels_only = bool(kernels_only)
        self.verbose = verbose
        self._reset()

    def _reset(self):
        self.names = []
        self.steps = []
        self.ratios = np.zeros((0, 0))
        self.epoch_medians = []
        self.messages = []
        self._variables = []
        self._step = 0
        self._pending = None  # (step, [tensors before the step])
        self._buffer = []  # device tensors (2, n): ||after - before||, ||before||
        self._buffer_steps = []

    # -- measurement ---------------------------------------------------------
    def _values(self):
        return [ops.convert_to_tensor(v.value) for v in self._variables]

    def _finish_pending(self):
        step, before = self._pending
        self._pending = None
        after = self._values()
        diff = [_norm(a - b) for a, b in zip(after, before)]
        base = [_norm(b) for b in before]
        self._buffer.append(ops.stack([ops.stack(diff), ops.stack(base)]))
        self._buffer_steps.append(step)

    def on_train_begin(self, logs=None):
        self._reset()
        self._variables = [
            v for v in self.model.trainable_variables if not self.kernels_only or len(v.shape) >= 2
        ]
        if not self._variables:
            raise ValueError(
                f"{type(self).__name__}: the model has no trainable tensors to watch"
                + (" with 2 or more dimensions (kernels_only=True)." if self.kernels_only else ".")
            )
        self.names = [v.path for v in self._variables]
        self.ratios = np.zeros((0, len(self.names)))

    def on_epoch_begin(self, epoch, logs=None):
        self._buffer = []
        self._buffer_steps = []

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending is not None:
            sync_state(self.model)
            self._finish_pending()
        if self._step % self.every == 0:
            sync_state(self.model)
            # A real copy: JAX donates the state buffers to the next step.
            self._pending = (self._step, [ops.copy(t) for t in self._values()])
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        if self._pending is not None:  # the epoch's last step was measured
            self._finish_pending()
        n = len(self.names)
        if self._buffer:
            norms = ops.convert_to_numpy(ops.stack(self._buffer)).astype(np.float64)  # one transfer
            diff, base = norms[:, 0, :], norms[:, 1, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = np.where(base > self.min_norm, diff / base, np.nan)
            self.steps.extend(self._buffer_steps)
            self.ratios = np.concatenate([self.ratios, ratios])
        else:
            ratios = np.full((0, n), np.nan)
        self._buffer, self._buffer_steps = [], []
        per_tensor = _nanmedian_columns(ratios, n)
        median = float(np.nanmedian(per_tensor)) if np.isfinite(per_tensor).any() else float("nan")
        self.epoch_medians.append(median)
        if logs is not None:
            for name, value in zip(self.names, per_tensor):
                logs[f"update_ratio/{name}"] = float(value)
            logs["update_ratio_median"] = median
        self._check_band(epoch, median)

    def _check_band(self, epoch, median):
        low, high = self.band
        if not np.isfinite(median) or low <= median <= high:
            return
        if median > high:
            msg = (f"epoch {epoch + 1}: median update/weight ratio {median:.2e} is above {high:.0e}: each step "
                   "changes the weights too much. Lower the learning rate (try 3-10x smaller).")
        else:
            msg = (f"epoch {epoch + 1}: median update/weight ratio {median:.2e} is below {low:.0e}: the weights "
                   "barely move. Raise the learning rate (try 3-10x larger).")
        self.messages.append(msg)
        if self.verbose:
            print(f"{type(self).__name__}: {msg}")

    # -- plotting ------------------------------------------------------------
    def plot(self, ax=None):
        """Ratio against step, one thin line per tensor, the median thick,
        the healthy band shaded. Returns the matplotlib Figure."""
        if len(self.steps) == 0:
            raise ValueError(f"{type(self).__name__}.plot(): nothing measured yet; call fit with this callback first.")
        fig, ax = figure_and_axes(ax, (7, 4))
        steps = np.asarray(self.steps)
        for j, name in enumerate(self.names):
            col = self.ratios[:, j]
            if np.isfinite(col).any():
                ax.plot(steps, col, lw=0.8, alpha=0.6, label=name if len(self.names) <= 8 else None)
        with np.errstate(all="ignore"):
            finite_rows = np.isfinite(self.ratios).any(axis=1)
            med = np.full(len(steps), np.nan)
            med[finite_rows] = np.nanmedian(self.ratios[finite_rows], axis=1)
        ax.plot(steps, med, color="black", lw=2, label="median")
        ax.axhspan(*self.band, color="tab:green", alpha=0.12, label="healthy band")
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("||W_after - W_before|| / ||W_before||")
        ax.set_title("Update / weight ratio per step")
        ax.legend(fontsize="small", loc="best")
        return fig


def _norm(x):
    """Euclidean norm of a tensor of any rank (ops.norm wants 1-D or 2-D), in float32."""
    return ops.sqrt(ops.sum(ops.square(ops.cast(x, "float32"))))


def _nanmedian_columns(a, n):
    out = np.full(n, np.nan)
    for j in range(n):
        col = a[:, j] if a.size else np.zeros(0)
        col = col[np.isfinite(col)]
        if col.size:
            out[j] = float(np.median(col))
    return out
