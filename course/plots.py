"""Plots for the notebooks and the ``course train`` command.

Every function builds a :class:`matplotlib.figure.Figure` directly (no
``pyplot`` state), so it renders headless (Agg) on a server or in CI, never
leaks open figures, and still shows inline when a notebook cell returns it.
Pass ``path=`` to also save a PNG (parent folders are created).

- :func:`plot_history` -- loss and accuracy curves, train vs validation.
- :func:`image_grid` -- a batch of images with class names (and predictions).
- :func:`filter_grid` -- first-layer convolution filters.
- :func:`line_plot` -- several labelled (x, y) series on one axis, e.g.
  test accuracy against wall time for two recipes, or loss curves.
- :func:`histogram` -- the distributions of several labelled sets of values.
- :func:`bar_plot` -- one labelled bar per category (class balance, counts).
- :func:`heatmap` -- any labelled matrix, e.g. a confusion matrix or a
  hyper-parameter search (:func:`confusion_matrix` builds the former).
- :func:`bar_chart` -- one labelled value per bar, e.g. the test accuracy
  of several techniques against a baseline.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["plot_history", "line_plot", "histogram", "bar_plot", "bar_chart", "image_grid", "filter_grid",
           "heatmap", "confusion_matrix", "save"]


_FIGURE_CLASS = None


def _figure(figsize):
    """A Figure not registered with pyplot that draws itself in Jupyter (``_repr_png_``).

    Without pyplot's inline backend loaded, Jupyter would show a bare Figure
    as text; with it, a pyplot figure would be shown twice.
    """
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        import io

        from matplotlib.figure import Figure

        class CourseFigure(Figure):
            def _repr_png_(self):
                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=90)
                return buf.getvalue()

        _FIGURE_CLASS = CourseFigure
    return _FIGURE_CLASS(figsize=figsize, layout="constrained")


def save(fig, path, dpi: int = 100) -> Path:
    """Save ``fig`` as an image at ``path`` (folders created); return the path."""
    path = Path(path)
    if path.suffix == "":
        raise ValueError(f"path={str(path)!r} has no file extension; use e.g. 'curves.png'")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def _maybe_save(fig, path):
    if path is not None:
        save(fig, path)
    return fig


def _history_dict(history) -> dict:
    """A ``{metric: [per-epoch values]}`` dict from a Keras History or a dict."""
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict):
        raise TypeError(
            f"history must be a keras.callbacks.History or a dict of per-epoch lists, got {type(history).__name__}"
        )
    if not hist:
        raise ValueError("history is empty: train for at least one epoch before plotting")
    out = {}
    for k, v in hist.items():
        arr = np.asarray(v, dtype=float).ravel()
        out[str(k)] = arr
    return out


def plot_history(history, path=None, title: str = "Training curves", metrics=("loss", "accuracy"),
                 val_label: str = "validation"):
    """Plot per-epoch curves, one panel per metric, training vs validation.

    Args:
        history: a ``keras.callbacks.History`` (what ``fit`` returns) or a
            dict such as ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``.
        path: optional PNG path to save to.
        title: the figure's title.
        metrics: metric names to plot; a metric missing from ``history`` is
            skipped, but at least one must be present.
        val_label: legend label of the ``val_*`` curves (e.g. ``"test"`` when
            the held-out set is the test set).

    Returns:
        The :class:`~matplotlib.figure.Figure`.
    """
    hist = _history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    present = [m for m in metrics if m in hist or f"val_{m}" in hist]
    if not present:
        raise ValueError(f"history has none of the metrics {list(metrics)}; it has {sorted(hist)}")
    fig = _figure((5.0 * len(present), 3.8))
    axes = fig.subplots(1, len(present), squeeze=False)[0]
    for ax, m in zip(axes, present):
        for key, label, style in ((m, "train", "-o"), (f"val_{m}", val_label, "-s")):
            if key in hist:
                y = hist[key]
                ax.plot(np.arange(1, len(y) + 1), y, style, markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(m.replace("_", " "))
        ax.set_title(m.replace("_", " ").capitalize())
        ax.grid(alpha=0.3)
        ax.legend()
        if "acc" in m:
            ax.set_ylim(0.0, 1.0)
    fig.suptitle(title)
    return _maybe_save(fig, path)


def _reference_lines(ax, lines, vertical=False):
    """``{label: value}`` dashed reference lines (a chance level, a rule of thumb), in the legend."""
    for k, (label, value) in enumerate((lines or {}).items()):
        style = dict(color="0.4", linestyle=("--", ":", "-.")[k % 3], linewidth=1, label=str(label))
        (ax.axvline if vertical else ax.axhline)(float(value), **style)


def line_plot(series, path=None, title: str = "", xlabel: str = "", ylabel: str = "", ylim=None,
              marker: str = "o", xscale: str = "linear", yscale: str = "linear", hlines=None,
              figsize=(6.0, 4.0)):
    """Plot ``{label: (x, y)}`` series on one labelled axis with a legend.

    A series may also be ``y`` alone (plotted against 0, 1, 2, ...). ``xscale`` and
    ``yscale`` are matplotlib's (``"log"``); ``hlines`` adds labelled horizontal
    reference lines, ``{"ln 10 (chance)": 2.303}``; ``marker=""`` draws lines only
    (long curves).

    >>> fig = line_plot({"recipe": ([10, 20], [0.5, 0.7])}, xlabel="seconds", ylabel="test accuracy")
    >>> fig = line_plot({"loss": [2.3, 1.9, 1.7]}, xlabel="step", ylabel="loss", hlines={"ln 10": 2.303}, marker="")
    """
    if not isinstance(series, dict) or not series:
        raise ValueError("series must be a non-empty dict {label: (x, y)}")
    fig = _figure(figsize)
    ax = fig.add_subplot()
    for label, xy in series.items():
        try:
            if isinstance(xy, tuple) and len(xy) == 2:
                x, y = (np.asarray(v, dtype=float).ravel() for v in xy)
            else:
                y = np.asarray(xy, dtype=float).ravel()
                x = np.arange(y.size, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"series[{label!r}] must be a pair (x, y) of number sequences, or y alone") from None
        if x.shape != y.shape:
            raise ValueError(f"series[{label!r}]: x has {x.size} values but y has {y.size}")
        ax.plot(x, y, marker=marker or None, markersize=3, label=str(label))
    _reference_lines(ax, hlines)
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend()
    return _maybe_save(fig, path)


def histogram(series, bins=50, path=None, title: str = "", xlabel: str = "", ylabel: str = "count",
              xscale: str = "linear", vlines=None, colors=None, figsize=(6.0, 3.6)):
    """The distributions of ``{label: values}`` on one axis, as outlined histograms with a legend.

    ``bins``: a number or the bin edges (shared by all series: with ``xscale="log"``
    pass log-spaced edges, e.g. ``np.logspace(-5, -1, 21)``). ``vlines`` adds
    labelled vertical reference lines, ``{"1e-7: good": -7}``; ``colors`` maps
    labels to matplotlib colours (the red, green and blue channels of an image).

    >>> fig = histogram({"red": [0, 10, 10, 200], "blue": [5, 5, 250]}, bins=8, xlabel="pixel value")
    """
    if not isinstance(series, dict) or not series:
        raise ValueError("series must be a non-empty dict {label: values}")
    arrays = {}
    for label, values in series.items():
        try:
            v = np.asarray(values, dtype=float).ravel()
        except (TypeError, ValueError):
            raise ValueError(f"series[{label!r}] must be a sequence of numbers") from None
        if not v.size:
            raise ValueError(f"series[{label!r}] is empty")
        arrays[label] = v
    if np.ndim(bins) == 0:
        finite = np.concatenate([v[np.isfinite(v)] for v in arrays.values()])
        bins = np.histogram_bin_edges(finite, bins=int(bins)) if finite.size else int(bins)
    fig = _figure(figsize)
    ax = fig.add_subplot()
    for label, v in arrays.items():
        color = (colors or {}).get(label)
        ax.hist(v[np.isfinite(v)], bins=bins, histtype="step", linewidth=1.3, label=str(label), color=color)
    _reference_lines(ax, vlines, vertical=True)
    ax.set_xscale(xscale)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return _maybe_save(fig, path)


def bar_plot(values, labels=None, path=None, title: str = "", xlabel: str = "", ylabel: str = "",
             legend: str = "", figsize=None):
    """One bar per category: ``values`` (a sequence) with their ``labels`` under them.

    >>> fig = bar_plot([48, 52, 50], ["cat", "dog", "ship"], xlabel="class", ylabel="images", legend="training set")
    """
    v = np.asarray(values, dtype=float).ravel()
    if not v.size:
        raise ValueError("values is empty")
    if labels is not None and len(labels) != v.size:
        raise ValueError(f"labels has {len(labels)} entries for {v.size} values")
    fig = _figure(figsize or (max(4.0, 0.6 * v.size + 2.0), 3.2))
    ax = fig.add_subplot()
    ax.bar(np.arange(v.size), v, label=legend or None)
    names = [str(x) for x in labels] if labels is not None else [str(i) for i in range(v.size)]
    ax.set_xticks(np.arange(v.size), labels=names)
    if max((len(n) for n in names), default=0) > 3:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    if legend:
        ax.legend()
    return _maybe_save(fig, path)


def _to_display(images: np.ndarray) -> np.ndarray:
    """Images as floats in [0, 1] for imshow (uint8, [0, 1] floats, or any range)."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    x = x.astype(np.float32)
    lo, hi = float(np.min(x)), float(np.max(x))
    if lo >= 0.0 and hi <= 1.0:
        return x
    return (x - lo) / max(hi - lo, 1e-12)


def image_grid(images, labels=None, class_names=None, predictions=None, ncols: int = 8,
               path=None, title: str | None = None, max_images: int = 64):
    """Show a batch of images in a grid, captioned with their class names.

    Args:
        images: ``(N, H, W, C)`` with C in {1, 3}, or ``(N, H, W)``; uint8, or
            floats (in [0, 1], or any range, which is rescaled, e.g.
            normalised images).
        labels: optional ``(N,)`` int labels (captions).
        class_names: optional list of names indexed by label.
        predictions: optional ``(N,)`` predicted labels; a caption reads
            ``"true / predicted"`` and is red when they differ.
        ncols: images per row.
        path: optional PNG path.
        title: optional figure title.
        max_images: show at most this many.
    """
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"images must have shape (N, H, W, C) with C 1 or 3, or (N, H, W); got {np.shape(images)}")
    n = min(len(x), max_images)
    if n == 0:
        raise ValueError("images is empty")
    for name, arr in (("labels", labels), ("predictions", predictions)):
        if arr is not None and len(arr) < n:
            raise ValueError(f"{name} has {len(arr)} entries for {n} images")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    x = _to_display(x[:n])

    def name(i):
        return str(class_names[int(i)]) if class_names is not None else str(int(i))

    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    fig = _figure((1.3 * cols, 1.45 * rows + (0.4 if title else 0)))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        img = x[i]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None,
                  interpolation="nearest")
        if labels is not None:
            caption, color = name(labels[i]), "black"
            if predictions is not None:
                caption += f" / {name(predictions[i])}"
                color = "black" if int(predictions[i]) == int(labels[i]) else "red"
            ax.set_title(caption, fontsize=7, color=color)
    if title:
        fig.suptitle(title)
    return _maybe_save(fig, path)


def filter_grid(kernel, path=None, title: str = "Convolution filters", ncols: int = 8, max_filters: int = 64):
    """Show convolution filters, each rescaled to its own [min, max].

    Args:
        kernel: a Keras ``Conv2D`` kernel ``(kh, kw, in_channels, filters)``,
            or a Conv2D layer / anything with such a ``kernel`` attribute. With
            3 input channels filters are shown in colour, otherwise the first
            input channel in grey.
    """
    k = getattr(kernel, "kernel", kernel)
    k = np.asarray(k.numpy() if hasattr(k, "numpy") else k, dtype=np.float32)
    if k.ndim != 4:
        raise ValueError(f"kernel must have shape (kh, kw, in_channels, filters), got {k.shape}")
    n = min(k.shape[3], max_filters)
    f = np.moveaxis(k[..., :n], 3, 0)  # (n, kh, kw, in)
    f = f if f.shape[-1] == 3 else f[..., :1]
    lo = f.min(axis=(1, 2, 3), keepdims=True)
    hi = f.max(axis=(1, 2, 3), keepdims=True)
    f = (f - lo) / np.maximum(hi - lo, 1e-12)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    fig = _figure((1.0 * cols, 1.0 * rows + 0.5))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            img = f[i]
            ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", interpolation="nearest")
    fig.suptitle(f"{title} ({k.shape[0]}x{k.shape[1]}, {k.shape[3]} filters)")
    return _maybe_save(fig, path)


def heatmap(matrix, row_labels=None, col_labels=None, path=None, title: str = "", xlabel: str = "",
            ylabel: str = "", annotate: bool | None = None, fmt: str = ".2g", cmap: str = "viridis",
            colorbar_label: str = ""):
    """Show a 2-D matrix as a labelled heat map with a colour bar.

    ``annotate`` writes each value in its cell (default: when the matrix has
    at most 20x20 cells). Use it for confusion matrices (see
    :func:`confusion_matrix`) or validation accuracy over two hyper-parameters.
    """
    raw = np.asarray(matrix)
    m = raw.astype(float)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"matrix must be a non-empty 2-D array, got shape {m.shape}")
    for name, labels, size in (("row_labels", row_labels, m.shape[0]), ("col_labels", col_labels, m.shape[1])):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{name} has {len(labels)} entries for {size} {name.split('_')[0]}s of the matrix")
    if annotate is None:
        annotate = max(m.shape) <= 20
    fig = _figure((1.0 + 0.55 * m.shape[1] + 1.5, 1.0 + 0.5 * m.shape[0]))
    ax = fig.add_subplot()
    im = ax.imshow(m, cmap=cmap, aspect="auto")
    cbar = fig.colorbar(im, ax=ax)
    if colorbar_label:
        cbar.set_label(colorbar_label)
    ax.set_xticks(np.arange(m.shape[1]), labels=[str(c) for c in col_labels] if col_labels is not None else None)
    ax.set_yticks(np.arange(m.shape[0]), labels=[str(r) for r in row_labels] if row_labels is not None else None)
    if col_labels is not None and max((len(str(c)) for c in col_labels), default=0) > 3:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if annotate:
        finite = m[np.isfinite(m)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = m[i, j]
                shown = raw[i, j].item() if np.issubdtype(raw.dtype, np.integer) and fmt.endswith("d") else v
                ax.text(j, i, format(shown, fmt), ha="center", va="center", fontsize=7,
                        color="white" if v < mid else "black")
    return _maybe_save(fig, path)


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j``."""
    t = np.asarray(y_true).astype(np.int64).ravel()
    p = np.asarray(y_pred).astype(np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1)) + 1)
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= num_classes):
        raise ValueError(f"labels must be ints in [0, {num_classes}), got range [{min(t.min(), p.min())}, "
                         f"{max(t.max(), p.max())}]")
    c = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(c, (t, p), 1)
    return c


def bar_chart(values, path=None, title: str = "", xlabel: str = "", reference=None, reference_label: str = "",
              fmt: str = ".3f"):
    """Horizontal bars, one per ``{label: value}`` entry (top to bottom in order), each with its value written.

    ``reference`` draws a vertical line (a baseline), labelled in the legend
    with ``reference_label`` when given.

    >>> fig = bar_chart({"no regularization": 0.31, "dropout": 0.33}, xlabel="test accuracy", reference=0.31)
    """
    if not isinstance(values, dict) or not values:
        raise ValueError("values must be a non-empty dict {label: number}")
    labels = [str(k) for k in values]
    try:
        numbers = np.asarray(list(values.values()), dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"values must map labels to numbers; got {list(values.values())!r}") from None
    if numbers.ndim != 1:
        raise ValueError("values must map each label to one number")
    fig = _figure((7.0, 0.8 + 0.32 * len(labels)))
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    ax.barh(y, numbers, color="tab:blue", alpha=0.8)
    ax.set_yticks(y, labels=labels)
    ax.invert_yaxis()
    finite = numbers[np.isfinite(numbers)]
    span = float(finite.max() - min(0.0, finite.min())) if finite.size else 1.0
    for yi, v in zip(y, numbers):
        if np.isfinite(v):
            ax.text(v + 0.01 * span, yi, format(v, fmt), va="center", fontsize=8)
    if reference is not None:
        ax.axvline(float(reference), color="k", ls="--", lw=1, label=reference_label or None)
        if reference_label:
            ax.legend(loc="lower right")
    if finite.size:
        ax.set_xlim(min(0.0, finite.min()), finite.max() + 0.12 * span)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return _maybe_save(fig, path)
