import math
import os

import numpy as np
from keras import ops

from course.callbacks._common import check_positive_int
from course.callbacks.learning_rate_decay import LearningRateDecay


class SnapshotEnsemble(LearningRateDecay):
    """Snapshot ensembles: "train 1, get M for free" (Huang et al., 2017).

    The run of ``epochs`` epochs is cut into ``cycles`` equal cycles. Within
    each, the learning rate follows a cosine from ``lr0`` down to
    ``min_learning_rate``, step by step (Huang et al.'s
    ``lr0 / 2 * (cos(pi * (t mod T_c) / T_c) + 1)``); at the end of each
    cycle, when the rate is smallest and the model sits in a minimum, the
    weights are saved. The restart to ``lr0`` then kicks the model towards
    another minimum. Averaging the snapshots' predictions (``predict`` or
    ``average_snapshot_predictions``) gives an ensemble for the cost of one
    training run.

    ``epochs`` in ``fit`` must be a multiple of ``cycles``. When the steps
    per epoch are unknown (a dataset of unknown length), the rate changes
    per epoch instead of per step.

    Args:
        cycles: number of cycles, hence of snapshots.
        initial_learning_rate: ``lr0``; ``None`` takes the optimizer's rate
            (as in ``LearningRateDecay``).
        min_learning_rate: the rate at the end of each cycle (default 0).
        directory: if given, each snapshot is also written there as
            ``snapshot_<k>.weights.h5`` (k from 1).
        verbose: 1 prints a line when a snapshot is taken (stdout).

    Attributes (reset by each ``fit``):
        snapshots: list of weight lists (``model.get_weights()``), one per
            finished cycle.
        snapshot_epochs: the (1-based) epoch at which each was taken.
        paths: files written (with ``directory``).

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import SnapshotEnsemble
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(128, 6)), rng.integers(0, 3, 128)
    >>> model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    >>> model.compile(keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    >>> snap = SnapshotEnsemble(cycles=2)
    >>> _ = model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[snap])
    >>> len(snap.snapshots)
    2
    >>> probs = snap.predict(x[:5])   # mean of the 2 snapshots' softmax outputs
    >>> probs.shape
    (5, 3)
    """

    def __init__(self, cycles, initial_learning_rate=None, *, min_learning_rate=0.0, directory=None, verbose=0):
        super().__init__("cosine", initial_learning_rate, min_learning_rate=min_learning_rate, per="step",
                         verbose=0)
        self.cycles = check_positive_int(cycles, "cycles", type(self).__name__)
        self.directory = None if directory is None else os.fspath(directory)
        self.snapshot_verbose = verbose
        self.period = None
        self.snapshots = []
        self.snapshot_epochs = []
        self.paths = []
        self._epochs_per_cycle = None

    def on_train_begin(self, logs=None):
        params = self.params or {}
        epochs, steps = params.get("epochs"), params.get("steps")
        who = type(self).__name__
        if not epochs or epochs % self.cycles:
            raise ValueError(
                f"{who}(cycles={self.cycles}): fit's `epochs` must be a positive multiple of `cycles` so every "
                f"cycle ends on an epoch boundary; got epochs={epochs}."
            )
        self._epochs_per_cycle = epochs // self.cycles
        self.per = "step" if steps else "epoch"
        self.period = self._epochs_per_cycle * (steps or 1)
        super().on_train_begin(logs)
        self.snapshots, self.snapshot_epochs, self.paths = [], [], []

    def learning_rate_at(self, t):
        period = self._period
        if period is None:
            raise ValueError(f"{type(self).__name__}: the cycle length is known only once fit starts.")
        return super().learning_rate_at(math.fmod(float(t), period))

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if (epoch + 1) % self._epochs_per_cycle:
            return
        self.snapshots.append(self.model.get_weights())
        self.snapshot_epochs.append(epoch + 1)
        if self.directory is not None:
            os.makedirs(self.directory, exist_ok=True)
            path = os.path.join(self.directory, f"snapshot_{len(self.snapshots)}.weights.h5")
            self.model.save_weights(path, overwrite=True)
            self.paths.append(path)
        if self.snapshot_verbose:
            print(f"{type(self).__name__}: snapshot {len(self.snapshots)} taken at epoch {epoch + 1}.")

    def predict(self, x, model=None, last=None, batch_size=None):
        """Average the snapshots' predictions on ``x``.

        ``model`` defaults to the model this callback trained; ``last``
        keeps only the ``last`` most recent snapshots (Huang et al. find the
        later ones better). The model's weights are left as they were.
        """
        if not self.snapshots:
            raise ValueError(f"{type(self).__name__}.predict: no snapshot yet; call fit with this callback first.")
        snaps = self.snapshots if last is None else self.snapshots[-check_positive_int(last, "last", "predict"):]
        return average_snapshot_predictions(model if model is not None else self.model, snaps, x, batch_size)


def average_snapshot_predictions(model, snapshots, x, batch_size=None):
    """Mean of ``model``'s predictions on ``x`` over the weight lists in ``snapshots``.

    Each entry of ``snapshots`` is a list of arrays as returned by
    ``model.get_weights()`` (or a path to a ``.weights.h5`` file). The
    model's own weights are restored afterwards. Returns a numpy array.
    """
    if not snapshots:
        raise ValueError("average_snapshot_predictions: `snapshots` is empty; pass at least one weight list.")
    current = model.get_weights()
    total = None
    try:
        for snap in snapshots:
            if isinstance(snap, (str, os.PathLike)):
                model.load_weights(snap)
            else:
                model.set_weights(snap)
            out = model.predict(x, batch_size=batch_size, verbose=0)
            out = np.asarray(ops.convert_to_numpy(out), dtype=np.float64)
            total = out if total is None else total + out
    finally:
        model.set_weights(current)
    return total / len(snapshots)
