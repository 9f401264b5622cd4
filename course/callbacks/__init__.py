"""Keras callbacks for "babysitting the learning process".

Each callback lives in its own module, resets its state in
``on_train_begin`` (an instance can be reused across ``fit`` calls), and uses
``keras.ops`` only, so it runs on the TensorFlow and JAX backends.

- ``LearningRateDecay``: step / exponential / inverse-time / cosine decay,
  per epoch or per step.
- ``EarlyStopping``: Keras' early stopping plus divergence and NaN detection,
  with ``stop_reason``.
- ``UpdateRatioMonitor``: ``||dW|| / ||W||`` per tensor around the optimizer
  step, with a warning when it leaves the healthy band.
- ``ActivationStatistics``: per-layer activation mean/std on a fixed batch.
- ``TrainingCurves``: live curves in a notebook, a PNG elsewhere, silent
  under nbgrader.
- ``SnapshotEnsemble`` and ``average_snapshot_predictions``: cyclic cosine
  rate with a snapshot per cycle.
- ``LearningRateFinder``: the learning-rate range test, restoring the model
  and optimizer exactly.
"""

from course.callbacks.activation_statistics import ActivationStatistics
from course.callbacks.early_stopping import EarlyStopping
from course.callbacks.learning_rate_decay import LearningRateDecay
from course.callbacks.learning_rate_finder import LearningRateFinder
from course.callbacks.snapshot_ensemble import SnapshotEnsemble, average_snapshot_predictions
from course.callbacks.training_curves import TrainingCurves
from course.callbacks.update_ratio_monitor import UpdateRatioMonitor

__all__ = [
    "ActivationStatistics",
    "EarlyStopping",
    "LearningRateDecay",
    "LearningRateFinder",
    "SnapshotEnsemble",
    "TrainingCurves",
    "UpdateRatioMonitor",
    "average_snapshot_predictions",
]
