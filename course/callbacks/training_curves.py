import io
import os

import keras

from course.callbacks._common import check_positive_int, in_notebook, new_figure, under_nbgrader


class TrainingCurves(keras.callbacks.Callback):
    """Live loss and accuracy curves.

    - In a Jupyter notebook, one figure is drawn under the cell and redrawn
      in place after every ``every`` epochs (an ``IPython.display`` handle).
    - Elsewhere (a script, pytest), the figure is written to ``path`` as a
      PNG, rewritten after every ``every`` epochs and at the end.
    - Under nbgrader (``NBGRADER_EXECUTION`` set), it does nothing at all:
      no figure, no file, no output, so autograding stays quiet and fast.

    The left panel shows every loss in the logs (``loss``, ``val_loss``);
    the right one every metric whose name contains ``acc`` (training and
    validation). ``metrics`` chooses other keys.

    Args:
        metrics: the log keys to draw (``val_`` twins are added when
            present). ``None`` (default): ``loss`` and the accuracy keys.
        path: PNG file written outside notebooks
            (default ``"training_curves.png"``).
        every: redraw after every ``every`` epochs (default 1).

    Attributes:
        history: ``{key: [value per epoch]}`` for the current ``fit``.
        mode: ``"notebook"``, ``"file"`` or ``"off"`` (set at ``fit``).

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import TrainingCurves
    >>> x = np.random.default_rng(0).normal(size=(64, 4))
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    >>> model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> curves = TrainingCurves(path="curves.png")  # the PNG, outside notebooks
    >>> _ = model.fit(x, (x[:, 0] > 0).astype(int), epochs=2, validation_split=0.25,
    ...               verbose=0, callbacks=[curves])
    """

    def __init__(self, metrics=None, path="training_curves.png", every=1):
        super().__init__()
        if metrics is not None:
            if isinstance(metrics, str):
                metrics = [metrics]
            if not all(isinstance(m, str) for m in metrics):
                raise ValueError(f"{type(self).__name__}: `metrics` must be log keys (strings); got {metrics!r}.")
        self.metrics = None if metrics is None else list(metrics)
        self.path = os.fspath(path)
        self.every = check_positive_int(every, "every", type(self).__name__)
        self.history = {}
        self.mode = None
        self._handle = None
        self._epochs = self._drawn_epochs = 0

    def on_train_begin(self, logs=None):
        self.history = {}
        self._handle = None
        self._epochs = self._drawn_epochs = 0
        if under_nbgrader():
            self.mode = "off"
        elif in_notebook():
            self.mode = "notebook"
        else:
            self.mode = "file"

    def on_epoch_end(self, epoch, logs=None):
        if self.mode == "off":
            return
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float)):
                self.history.setdefault(key, []).append(float(value))
        self._epochs = epoch + 1
        if (epoch + 1) % self.every == 0:
            self._draw()

    def on_train_end(self, logs=None):
        # the final curves, unless the last epoch's are already drawn (each draw renders a PNG)
        if self.mode != "off" and self.history and self._drawn_epochs != self._epochs:
            self._draw()

    def _keys(self):
        if self.metrics is None:
            base = ["loss"] + [k for k in self.history if "acc" in k and not k.startswith("val_")]
        else:
            base = [m for m in self.metrics if not m.startswith("val_")]
        panels = []
        for key in base:
            keys = [k for k in (key, "val_" + key) if k in self.history]
            if keys:
                panels.append((key, keys))
        return panels

    def figure(self):
        """The current curves as a matplotlib Figure (one panel per metric)."""
        panels = self._keys()
        if not panels:
            raise ValueError(f"{type(self).__name__}: none of the keys to draw are in the logs "
                             f"(have {sorted(self.history)}).")
        fig = new_figure((4.5 * len(panels), 3.5))
        for i, (title, keys) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            for key in keys:
                values = self.history[key]
                ax.plot(range(1, len(values) + 1), values, marker="o", ms=3,
                        label="validation" if key.startswith("val_") else "training")
            ax.set_xlabel("epoch")
            ax.set_ylabel(title)
            ax.set_title(title)
            ax.legend(fontsize="small")
        return fig

    def _draw(self):
        if not self._keys():
            return
        self._drawn_epochs = self._epochs
        fig = self.figure()
        if self.mode == "notebook":
            from IPython.display import Image, display

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90)
            image = Image(data=buf.getvalue(), format="png")
            if self._handle is None:
                self._handle = display(image, display_id=True)
            else:
                self._handle.update(image)
        else:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            fig.savefig(self.path, dpi=90)
