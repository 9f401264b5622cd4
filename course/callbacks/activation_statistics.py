import numpy as np
import keras
from keras import ops

from course.callbacks._common import check_positive_int, new_figure


class ActivationStatistics(keras.callbacks.Callback):
    """Mean and standard deviation of each layer's activations on a fixed batch.

    The lectures' initialization experiment: push the same batch through the
    network and look at each layer's output. With a bad initialization the
    standard deviation collapses towards 0 (or saturates) as depth grows.
    The callback records the statistics once before training (record 0) and
    after every epoch (record ``epoch + 1``), in inference mode.

    Args:
        probe_batch: the fixed inputs (an array or tensor of shape
            ``(n, ...)`` matching the model's input). Keep it small
            (a few hundred samples at most).
        layers: which layers to watch: ``None`` (default) for every layer
            that has weights, else a list of layer names, layer objects or
            indices into ``model.layers``.
        max_samples: at most this many activation values per layer and
            record are kept for the histograms (default 20000).

    The model must be a Functional or Sequential model with known inputs
    (a subclassed model has no per-layer symbolic outputs).

    Attributes (reset by each ``fit``):
        layer_names: the watched layers, in depth order.
        records: the record labels (0 = before training, then epochs 1, 2, ...).
        means, stds: ``{layer name: [one value per record]}``.
        samples: ``{layer name: [flat array per record]}`` for histograms.

    Example:

    >>> import numpy as np, keras
    >>> from course.callbacks import ActivationStatistics
    >>> x = np.random.default_rng(0).normal(size=(128, 20)).astype("float32")
    >>> model = keras.Sequential([keras.Input((20,))] + [
    ...     keras.layers.Dense(50, activation="tanh",
    ...                        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01))
    ...     for _ in range(4)] + [keras.layers.Dense(1)])
    >>> model.compile("sgd", loss="mse")
    >>> stats = ActivationStatistics(x[:64])
    >>> _ = model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[stats])
    >>> stats.stds[stats.layer_names[0]][0] > stats.stds[stats.layer_names[3]][0]  # shrinks with depth
    True
    >>> fig = stats.plot()
    """

    def __init__(self, probe_batch, layers=None, max_samples=20000):
        super().__init__()
        if probe_batch is None:
            raise ValueError(f"{type(self).__name__}: `probe_batch` is required (a fixed batch of inputs).")
        self.probe_batch = probe_batch
        self.layers = layers
        self.max_samples = check_positive_int(max_samples, "max_samples", type(self).__name__)
        self._reset()

    def _reset(self):
        self.layer_names = []
        self.records = []
        self.means = {}
        self.stds = {}
        self.samples = {}
        self._extractor = None

    def _select_layers(self):
        model = self.model
        who = type(self).__name__
        if self.layers is None:
            chosen = [layer for layer in model.layers if layer.weights]
            if not chosen:
                raise ValueError(f"{who}: the model has no layer with weights; pass `layers=` explicitly.")
            return chosen
        chosen = []
        for item in self.layers:
            if isinstance(item, str):
                try:
                    chosen.append(model.get_layer(name=item))
                except ValueError:
                    names = [layer.name for layer in model.layers]
                    raise ValueError(f"{who}: no layer named {item!r} in the model; its layers are {names}.") from None
            elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                if not -len(model.layers) <= item < len(model.layers):
                    raise ValueError(f"{who}: layer index {item} is out of range: the model has "
                                     f"{len(model.layers)} layers.")
                chosen.append(model.layers[item])
            elif isinstance(item, keras.layers.Layer):
                if item not in model.layers:
                    raise ValueError(f"{who}: layer {item.name!r} is not one of the model's layers.")
                chosen.append(item)
            else:
                raise ValueError(f"{who}: each entry of `layers` must be a layer name, index or object; "
                                 f"got {item!r}.")
        return chosen

    def _build_extractor(self):
        chosen = self._select_layers()
        try:
            inputs = self.model.inputs
            outputs = [layer.output for layer in chosen]
        except (AttributeError, ValueError) as e:
            raise ValueError(
                f"{type(self).__name__}: cannot read intermediate outputs of this model ({e}). Use a Sequential "
                "model that starts with keras.Input(...) or a Functional model."
            ) from None
        if not inputs:
            raise ValueError(f"{type(self).__name__}: the model has no known inputs; start it with keras.Input(...).")
        self.layer_names = [layer.name for layer in chosen]
        self._extractor = keras.Model(inputs=inputs[0] if len(inputs) == 1 else inputs, outputs=outputs)

    def _record(self, label):
        outputs = self._extractor(self.probe_batch, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        rng = np.random.default_rng(len(self.records))
        for name, out in zip(self.layer_names, outputs):
            out = ops.cast(out, "float32")
            self.means.setdefault(name, []).append(float(ops.convert_to_numpy(ops.mean(out))))
            self.stds.setdefault(name, []).append(float(ops.convert_to_numpy(ops.std(out))))
            flat = ops.convert_to_numpy(out).ravel()
            if flat.size > self.max_samples:
                flat = rng.choice(flat, self.max_samples, replace=False)
            self.samples.setdefault(name, []).append(flat)
        self.records.append(label)

    def on_train_begin(self, logs=None):
        self._reset()
        self._build_extractor()
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)

    def plot(self, record=-1):
        """Histograms of each watched layer's activations (at ``record``,
        default the last one) and the standard deviation against depth (one
        line per record). Returns the matplotlib Figure."""
        if not self.records:
            raise ValueError(f"{type(self).__name__}.plot(): nothing recorded yet; call fit with this callback first.")
        try:
            label = self.records[record]
        except IndexError:
            raise ValueError(f"{type(self).__name__}.plot(): record {record} does not exist; there are "
                             f"{len(self.records)} ({self.records}).") from None
        n = len(self.layer_names)
        fig = new_figure((max(6, 2.2 * n), 5))
        grid = fig.add_gridspec(2, n)
        for j, name in enumerate(self.layer_names):
            ax = fig.add_subplot(grid[0, j])
            ax.hist(self.samples[name][record], bins=40, color="tab:blue")
            ax.set_title(f"{name}\nmean {self.means[name][record]:.2g}, std {self.stds[name][record]:.2g}",
                         fontsize="small")
            ax.set_xlabel("activation", fontsize="small")
            ax.tick_params(labelsize="x-small")
        ax = fig.add_subplot(grid[1, :])
        depth = np.arange(1, n + 1)
        for i, lab in enumerate(self.records):
            ax.plot(depth, [self.stds[name][i] for name in self.layer_names], marker="o",
                    label="before training" if lab == 0 else f"after epoch {lab}")
        ax.set_xticks(depth, self.layer_names, fontsize="small")
        ax.set_xlabel("layer (depth)")
        ax.set_ylabel("activation std")
        if all(v > 0 for name in self.layer_names for v in self.stds[name]):
            ax.set_yscale("log")
        ax.set_title("Activation std by depth")
        ax.legend(fontsize="x-small")
        fig.suptitle(f"Activations on the probe batch ({'before training' if label == 0 else f'epoch {label}'})")
        return fig
