import math

import keras

from course.callbacks._common import check_positive_float

REASONS = ("patience", "divergence", "nan")


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Early stopping that also stops a run whose training diverges.

    On top of Keras' patience rule (this class subclasses
    ``keras.callbacks.EarlyStopping`` and takes all its arguments), training
    stops when:

    - the training loss is not finite (NaN or infinite). With
      ``check_batches=True`` (default) every batch's loss is checked, so a
      run that blows up stops at that batch instead of finishing the epoch;
    - the epoch's training loss (``divergence_monitor``) exceeds
      ``divergence_factor`` times the first epoch's: the lectures' rule for
      catching an exploding solver early ("if the loss goes above 3x the
      original loss, quit").

    After ``fit``, ``stop_reason`` says why it stopped: ``"patience"``,
    ``"divergence"``, ``"nan"`` (any non-finite loss), or ``None`` when the
    run used all its epochs. ``stopped_epoch`` is the 0-based epoch at which
    it stopped. With ``restore_best_weights=True`` the weights of the best
    epoch come back, also after a divergence or a NaN; if no epoch finished
    with a finite monitored value, the weights from before training do.

    The batch check needs each batch's loss on the host, a device sync per
    step (as with ``keras.callbacks.TerminateOnNaN``). It runs in the
    training thread: run beside the loop (Keras' ``async_safe``), a stop
    requested mid-epoch races with the JAX trainer's state hand-over and
    crashes it ("Buffer has been deleted or donated"). With
    ``check_batches=False`` the callback is marked ``async_safe`` and adds
    no per-step work.

    Args:
        monitor, min_delta, patience, verbose, mode, baseline,
        restore_best_weights, start_from_epoch: as in
            ``keras.callbacks.EarlyStopping``. ``monitor`` defaults to
            ``"val_loss"``; without validation data use ``"loss"``.
        divergence_factor: stop when the epoch's training loss is above this
            many times the first epoch's (default 3). ``None`` disables it.
        divergence_monitor: the training quantity the divergence and NaN
            rules watch (default ``"loss"``).
        check_batches: also check every batch's loss for NaN/inf
            (default True).

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import EarlyStopping
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(1e6), loss="mse")  # far too large
    >>> stop = EarlyStopping(monitor="loss", patience=3)
    >>> _ = model.fit(x, x[:, :1], epochs=20, batch_size=16, callbacks=[stop], verbose=0)
    >>> stop.stop_reason
    'nan'
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
        *,
        divergence_factor=3.0,
        divergence_monitor="loss",
        check_batches=True,
    ):
        super().__init__(
            monitor=monitor,
            min_delta=min_delta,
            patience=patience,
            verbose=verbose,
            mode=mode,
            baseline=baseline,
            restore_best_weights=restore_best_weights,
            start_from_epoch=start_from_epoch,
        )
        if divergence_factor is not None:
            divergence_factor = check_positive_float(divergence_factor, "divergence_factor", type(self).__name__)
            if divergence_factor <= 1:
                raise ValueError(
                    f"{type(self).__name__}: `divergence_factor` must be > 1 (the loss may rise that many times "
                    f"its first value before the run counts as diverging); got {divergence_factor!r}."
                )
        self.divergence_factor = divergence_factor
        self.divergence_monitor = divergence_monitor
        self.check_batches = bool(check_batches)
        self.async_safe = not self.check_batches  # see the class docstring
        self.stop_reason = None
        self.first_loss = None
        self._initial_weights = None
        self._epoch = 0
        self._told_missing = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.stop_reason = None
        self.first_loss = None
        self._epoch = 0
        self._told_missing = False
        self._initial_weights = self.model.get_weights() if self.restore_best_weights else None

    def get_monitor_value(self, logs):
        # Keras warns through `warnings` (stderr) every epoch; say it once, on stdout.
        value = (logs or {}).get(self.monitor)
        if value is None and not self._told_missing:
            self._told_missing = True
            hint = " Pass validation data to fit, or monitor='loss'." if self.monitor.startswith("val_") else ""
            print(f"{type(self).__name__}: {self.monitor!r} is not in the logs (they have "
                  f"{', '.join(sorted(logs or {})) or 'nothing'}), so the patience rule cannot apply.{hint}")
        return value

    def _stop(self, epoch, reason, message):
        if self.stop_reason is None:
            self.stop_reason = reason
            self.stopped_epoch = epoch
            if self.verbose > 0:
                print(f"{type(self).__name__}: {message}")
        self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not self.check_batches or self.stop_reason is not None:
            return
        value = (logs or {}).get(self.divergence_monitor)
        if value is not None and not math.isfinite(value):
            self._stop(
                self._epoch, "nan",
                f"{self.divergence_monitor} is {value} at batch {batch}: stopping. The learning rate is "
                "probably far too large (or the data holds NaN/inf).",
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.stop_reason is not None:  # a batch was NaN; keep the best epoch, do not count this one.
            self.model.stop_training = True
            return
        loss = logs.get(self.divergence_monitor)
        current = logs.get(self.monitor)
        for name, value in ((self.divergence_monitor, loss), (self.monitor, current)):
            if value is not None and not math.isfinite(value):
                self._stop(epoch, "nan", f"epoch {epoch + 1}: {name} is {value}: stopping.")
                return
        if loss is not None and self.divergence_factor is not None:
            if self.first_loss is None:
                self.first_loss = loss
            elif loss > self.divergence_factor * self.first_loss:
                self._stop(
                    epoch, "divergence",
                    f"epoch {epoch + 1}: {self.divergence_monitor} {loss:.4g} is above {self.divergence_factor:g}x "
                    f"the first epoch's ({self.first_loss:.4g}): the run diverges; lower the learning rate.",
                )
                return
        was_stopping = self.model.stop_training
        super().on_epoch_end(epoch, logs)
        if self.model.stop_training and not was_stopping and self.stop_reason is None:
            self.stop_reason = "patience"

    def on_train_end(self, logs=None):
        if (
            self.restore_best_weights
            and self.best_weights is None
            and self._initial_weights is not None
            and self.stop_reason is not None
        ):
            if self.verbose > 0:
                print(f"{type(self).__name__}: no epoch finished with a finite loss; restoring the weights "
                      "from before training.")
            self.model.set_weights(self._initial_weights)
        super().on_train_end(logs)
        self._initial_weights = None
