import matplotlib
import numpy as np
import pytest

from course import plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_MAGIC and path.stat().st_size > 1000


def _texts(fig):
    """Every title, axis label and legend entry of a figure."""
    out = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return out


def test_plot_history_writes_png_with_titles_labels_legends(tmp_path):
    hist = {"loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.7, 1.5],
            "accuracy": [0.2, 0.4, 0.5], "val_accuracy": [0.18, 0.35, 0.44]}
    path = tmp_path / "sub" / "curves.png"
    fig = plots.plot_history(hist, path=path, title="Run 1", val_label="test")
    assert _is_png(path)
    texts = _texts(fig)
    for expected in ("Run 1", "epoch", "loss", "accuracy", "train", "test"):
        assert expected in texts, (expected, texts)
    loss_ax = fig.axes[0]
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), hist["loss"])
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), hist["val_loss"])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3])


def test_plot_history_accepts_keras_history_like_objects(tmp_path):
    class History:
        history = {"loss": [1.0, 0.5]}

    fig = plots.plot_history(History(), path=tmp_path / "h.png")
    assert len(fig.axes) == 1  # accuracy absent: only the loss panel
    assert (tmp_path / "h.png").exists()


@pytest.mark.parametrize("bad, match", [({}, "empty"), ([1, 2], "History or a dict"), ({"mse": [1.0]}, "none of")])
def test_plot_history_bad_input(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        plots.plot_history(bad)


def test_line_plot(tmp_path):
    fig = plots.line_plot({"a": ([1, 2, 3], [0.1, 0.5, 0.7]), "b": ([2, 4], [0.3, 0.4])}, path=tmp_path / "l.png",
                          title="Accuracy vs time", xlabel="wall time (s)", ylabel="test accuracy", ylim=(0, 1))
    assert _is_png(tmp_path / "l.png")
    assert {"Accuracy vs time", "wall time (s)", "test accuracy", "a", "b"} <= set(_texts(fig))
    np.testing.assert_allclose(fig.axes[0].lines[1].get_xdata(), [2, 4])
    with pytest.raises(ValueError, match=r"series\['a'\]: x has 2 values but y has 1"):
        plots.line_plot({"a": ([1, 2], [1])})
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.line_plot({})


def test_image_grid_with_class_names_and_predictions(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(10) % 3
    preds = np.array([0, 1, 2, 0, 0, 2, 0, 1, 1, 0])
    fig = plots.image_grid(images, labels, ["cat", "dog", "ship"], predictions=preds, ncols=5,
                           path=tmp_path / "grid.png", title="A batch")
    assert _is_png(tmp_path / "grid.png")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "cat / cat" and titles[4] == "dog / cat"
    colors = [ax.title.get_color() for ax in fig.axes[:10]]
    assert colors[4] == "red" and colors[0] == "black"
    # normalised float images (negative values) are rescaled, not clipped to black
    plots.image_grid(rng.normal(size=(4, 8, 8, 3)), path=tmp_path / "norm.png")
    assert _is_png(tmp_path / "norm.png")


def test_image_grid_bad_shapes():
    with pytest.raises(ValueError, match="images must have shape"):
        plots.image_grid(np.zeros((2, 8, 8, 4)))
    with pytest.raises(ValueError, match="labels has 1 entries for 2 images"):
        plots.image_grid(np.zeros((2, 8, 8, 3)), labels=[0])


def test_filter_grid_and_heatmap(tmp_path):
    kernel = np.random.default_rng(1).normal(size=(3, 3, 3, 12))
    fig = plots.filter_grid(kernel, path=tmp_path / "filters.png", ncols=6)
    assert _is_png(tmp_path / "filters.png")
    assert "12 filters" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="kh, kw, in_channels, filters"):
        plots.filter_grid(np.zeros((3, 3, 3)))

    cm = plots.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], num_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 0, 1], [0, 0, 2]])
    fig = plots.heatmap(cm, ["a", "b", "c"], ["a", "b", "c"], path=tmp_path / "cm.png", title="Confusion",
                        xlabel="predicted", ylabel="true", fmt="d")
    assert _is_png(tmp_path / "cm.png")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Confusion", "predicted", "true")
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "0", "0", "1", "0", "0", "2"]
    with pytest.raises(ValueError, match="row_labels has 2 entries for 3 rows"):
        plots.heatmap(cm, ["a", "b"])
    with pytest.raises(ValueError, match=r"labels must be ints in \[0, 3\)"):
        plots.confusion_matrix([0, 3], [0, 1], num_classes=3)


def test_bar_chart(tmp_path):
    path = tmp_path / "bars.png"
    fig = plots.bar_chart({"none": 0.31, "dropout": 0.335, "ensemble": 0.36}, path=path, title="Same budget",
                          xlabel="test accuracy", reference=0.31, reference_label="no regularization")
    assert _is_png(path)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["none", "dropout", "ensemble"]
    np.testing.assert_allclose([bar.get_width() for bar in ax.patches], [0.31, 0.335, 0.36])
    assert {"0.335", "0.360"} <= {t.get_text() for t in ax.texts}
    for expected in ("Same budget", "test accuracy", "no regularization"):
        assert expected in _texts(fig)
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.bar_chart({})
    with pytest.raises(ValueError, match="map labels to numbers"):
        plots.bar_chart({"a": "high"})


def test_plots_leave_no_pyplot_figures_open():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    plots.plot_history({"loss": [1.0]})
    plots.heatmap(np.eye(2))
    assert len(plt.get_fignums()) == before
    assert matplotlib.get_backend()  # importable headless


def test_figures_draw_themselves_in_jupyter():
    # Jupyter calls _repr_png_ on a cell's value; no pyplot inline backend is needed
    png = plots.plot_history({"loss": [1.0, 0.5]})._repr_png_()
    assert png.startswith(PNG_MAGIC) and len(png) > 1000


def test_line_plot_takes_bare_series_log_scales_and_reference_lines():
    fig = plots.line_plot({"loss": [2.3, 1.5, 1.0]}, xlabel="step", ylabel="loss", yscale="log",
                          hlines={"ln 10 (chance)": 2.303}, marker="")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0, 1, 2])
    assert ax.get_yscale() == "log" and "ln 10 (chance)" in _texts(fig)
    with pytest.raises(ValueError, match=r"series\['x'\] must be a pair"):
        plots.line_plot({"x": ["a", "b"]})


def test_histogram_and_bar_plot(tmp_path):
    rng = np.random.default_rng(0)
    fig = plots.histogram({"red": rng.normal(size=500), "blue": rng.normal(1, 1, size=300)}, bins=20,
                          path=tmp_path / "h.png", title="Pixels", xlabel="value", vlines={"zero": 0.0},
                          colors={"red": "red", "blue": "blue"})
    assert _is_png(tmp_path / "h.png")
    assert {"Pixels", "value", "count", "red", "blue", "zero"} <= set(_texts(fig))
    with pytest.raises(ValueError, match=r"series\['a'\] is empty"):
        plots.histogram({"a": []})
    fig = plots.bar_plot([3, 5, 4], ["airplane", "automobile", "bird"], title="Class balance", xlabel="class",
                         ylabel="images", legend="training images")
    assert {"Class balance", "class", "images", "training images"} <= set(_texts(fig))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["airplane", "automobile", "bird"]
    with pytest.raises(ValueError, match="labels has 2 entries for 3 values"):
        plots.bar_plot([1, 2, 3], ["a", "b"])
