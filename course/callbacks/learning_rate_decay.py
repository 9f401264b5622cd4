import math
import weakref

import keras

from course.callbacks._common import (
    check_positive_float,
    check_positive_int,
    check_settable_learning_rate,
    get_lr,
    set_lr,
    sync_state,
)

KINDS = ("step", "exponential", "inverse_time", "cosine")


class LearningRateDecay(keras.callbacks.LearningRateScheduler):
    """The lectures' learning-rate schedules, applied per epoch or per step.

    With ``t`` the epoch index (``per="epoch"``, counted from 0) or the
    global step index (``per="step"``) and ``lr0`` the initial rate:

    - ``"step"``: ``lr0 * drop ** floor(t / every)``
    - ``"exponential"``: ``lr0 * exp(-k * t)``
    - ``"inverse_time"``: ``lr0 / (1 + k * t)``
    - ``"cosine"``: ``min_learning_rate + (lr0 - min_learning_rate) *
      (1 + cos(pi * min(t, period) / period)) / 2``

    With ``warmup=w``, the rate first rises linearly, ``lr0 * (t + 1) / w``
    for ``t < w``, and the schedule above then runs from ``lr0`` with ``t``
    counted from the end of the warm-up (a deep network that diverges at
    ``lr0`` from its random start often trains at ``lr0`` a few hundred
    steps later; He et al. warm their 110-layer ResNet up at 0.01).

    It builds on ``keras.callbacks.LearningRateScheduler``: the rate is set on
    the optimizer before each epoch (or step), and the rate in force at the
    end of each epoch is recorded in the history under ``"lr"`` (and, as
    Keras does, ``"learning_rate"``).

    Args:
        kind: one of ``"step"``, ``"exponential"``, ``"inverse_time"``,
            ``"cosine"``.
        initial_learning_rate: ``lr0``. ``None`` (default) takes the
            optimizer's learning rate when ``fit`` first starts with that
            optimizer; later ``fit`` calls with the same optimizer (e.g. to
            continue with ``initial_epoch``) keep that value instead of
            re-reading the already-decayed rate.
        drop: factor of the ``"step"`` schedule (default 0.5).
        every: period of the ``"step"`` schedule, in epochs or steps
            (default 10).
        k: decay constant of ``"exponential"`` and ``"inverse_time"``
            (required for those), per epoch or per step.
        period: length of the ``"cosine"`` decay, in epochs or steps; after
            it the rate stays at ``min_learning_rate``. ``None`` (default)
            uses the whole run: ``epochs`` (or ``epochs * steps_per_epoch``)
            of the ``fit`` call.
        min_learning_rate: floor of the ``"cosine"`` schedule (default 0).
        warmup: epochs (or steps, with ``per="step"``) of linear warm-up
            before the schedule starts (default 0: none). With the default
            ``period``, the cosine decay fills the rest of the run.
        per: ``"epoch"`` (default) or ``"step"``. Per step, the rate is set
            before each batch; with ``steps_per_execution > 1`` in
            ``compile``, Keras calls callbacks once per execution, so the
            rate changes once per execution.
        verbose: 1 prints the rate at each epoch (to stdout); 0 is silent.

    Raises:
        ValueError: an unknown ``kind`` or ``per``, or an argument the kind
            needs that is missing or out of range.
        TypeError: at ``fit``, when the optimizer was given a
            ``LearningRateSchedule`` object instead of a float.

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import LearningRateDecay
    >>> decay = LearningRateDecay("step", 0.1, drop=0.5, every=10)
    >>> round(decay.learning_rate_at(25), 6)
    0.025
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.1), loss="mse")
    >>> hist = model.fit(np.ones((8, 4)), np.ones((8, 1)), epochs=3,
    ...                  callbacks=[LearningRateDecay("inverse_time", k=1.0)], verbose=0)
    >>> [round(v, 4) for v in hist.history["lr"]]
    [0.1, 0.05, 0.0333]
    """

    def __init__(
        self,
        kind,
        initial_learning_rate=None,
        *,
        drop=0.5,
        every=10,
        k=None,
        period=None,
        min_learning_rate=0.0,
        per="epoch",
        warmup=0,
        verbose=0,
    ):
        super().__init__(schedule=self._epoch_schedule, verbose=verbose)
        who = type(self).__name__
        if kind not in KINDS:
            raise ValueError(f"{who}: `kind` must be one of {', '.join(map(repr, KINDS))}; got {kind!r}.")
        if per not in ("epoch", "step"):
            raise ValueError(f"{who}: `per` must be 'epoch' or 'step'; got {per!r}.")
        self.kind = kind
        self.per = per
        self.initial_learning_rate = (
            None if initial_learning_rate is None
            else check_positive_float(initial_learning_rate, "initial_learning_rate", who)
        )
        self.drop = check_positive_float(drop, "drop", who)
        self.every = check_positive_int(every, "every", who)
        if kind in ("exponential", "inverse_time"):
            if k is None:
                raise ValueError(f"{who}({kind!r}) needs the decay constant `k`, e.g. k=0.1 (per {per}).")
            k = check_positive_float(k, "k", who, allow_zero=True)
        self.k = k
        self.period = None if period is None else check_positive_int(period, "period", who)
        self.min_learning_rate = check_positive_float(min_learning_rate, "min_learning_rate", who, allow_zero=True)
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            raise ValueError(f"{who}: `warmup` must be a non-negative int (epochs, or steps with per='step'); "
                             f"got {warmup!r}.")
        self.warmup = warmup
        self._lr0 = self.initial_learning_rate
        self._lr0_source = None
        self._period = self.period
        self._epoch_base = 0
        self._steps_seen = 0

    # -- the schedule ---------------------------------------------------
    def learning_rate_at(self, t):
        """The rate at epoch (or step, with ``per="step"``) index ``t``."""
        lr0 = self._lr0
        if lr0 is None:
            raise ValueError(
                f"{type(self).__name__}: the initial learning rate is not known yet; pass "
                "`initial_learning_rate` or call fit first (it is read from the optimizer)."
            )
        t = float(t)
        if t < self.warmup:
            return lr0 * (t + 1.0) / self.warmup
        t -= self.warmup
        if self.kind == "step":
            return lr0 * self.drop ** math.floor(t / self.every)
        if self.kind == "exponential":
            return lr0 * math.exp(-self.k * t)
        if self.kind == "inverse_time":
            return lr0 / (1.0 + self.k * t)
        period = self._period
        if period is None:
            raise ValueError(
                f"{type(self).__name__}('cosine'): the period is not known yet; pass `period` or call fit first "
                "(it defaults to the length of the run)."
            )
        frac = min(t, period) / period
        return self.min_learning_rate + (lr0 - self.min_learning_rate) * 0.5 * (1.0 + math.cos(math.pi * frac))

    def _epoch_schedule(self, epoch, lr):
        return float(self.learning_rate_at(epoch))

    # -- callback hooks ---------------------------------------------------
    def on_train_begin(self, logs=None):
        check_settable_learning_rate(self.model.optimizer, type(self).__name__)
        optimizer = self.model.optimizer
        if self.initial_learning_rate is not None:
            self._lr0 = self.initial_learning_rate
        elif self._lr0_source is None or self._lr0_source() is not optimizer:
            self._lr0 = get_lr(self.model)
            self._lr0_source = weakref.ref(optimizer)
        params = self.params or {}
        steps = params.get("steps")
        self._period = self.period
        if self._period is None and self.kind == "cosine":
            epochs = params.get("epochs")
            if not epochs or (self.per == "step" and not steps):
                raise ValueError(
                    f"{type(self).__name__}('cosine'): cannot tell the run's length (epochs={epochs}, "
                    f"steps per epoch={steps}); pass `period` explicitly."
                )
            length = epochs * steps if self.per == "step" else epochs
            if length <= self.warmup:
                raise ValueError(
                    f"{type(self).__name__}('cosine'): the warm-up ({self.warmup} {self.per}s) fills the whole run "
                    f"({length} {self.per}s); shorten it or pass `period`.")
            self._period = length - self.warmup
        self._epoch_base = 0
        self._steps_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self.per == "epoch":
            super().on_epoch_begin(epoch, logs)
            return
        steps = (self.params or {}).get("steps")
        self._epoch_base = epoch * steps if steps else self._steps_seen

    def on_train_batch_begin(self, batch, logs=None):
        if self.per != "step":
            return
        t = self._epoch_base + batch
        self._steps_seen = t + 1
        sync_state(self.model)
        set_lr(self.model, self.learning_rate_at(t))

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if logs is not None and "learning_rate" in logs:
            logs["lr"] = logs["learning_rate"]
