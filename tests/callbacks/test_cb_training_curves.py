import keras
import numpy as np
import pytest

import course.callbacks.training_curves as tc
from course.callbacks import TrainingCurves

pytestmark = pytest.mark.backend_agnostic

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = (X[:, 0] > 0).astype("int32")


def classifier():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_silent_under_nbgrader(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.chdir(tmp_path)
    curves = TrainingCurves()
    classifier().fit(X, Y, epochs=2, verbose=0, callbacks=[curves])
    out, err = capfd.readouterr()
    assert curves.mode == "off" and curves.history == {}
    assert list(tmp_path.iterdir()) == []
    assert out == "" and err == ""


def test_writes_a_png_outside_notebooks(tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    path = tmp_path / "sub" / "curves.png"
    curves = TrainingCurves(path=path)
    classifier().fit(X, Y, epochs=3, validation_split=0.25, verbose=0, callbacks=[curves])
    assert curves.mode == "file"
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert len(curves.history["loss"]) == len(curves.history["val_accuracy"]) == 3
    fig = curves.figure()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines) == 2  # training and validation


def test_updates_one_display_in_place_in_a_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tc, "in_notebook", lambda: True)
    events = []

    class Handle:
        def update(self, obj):
            events.append(("update", obj))

    def fake_display(obj, display_id=None):
        events.append(("display", obj))
        assert display_id is True
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", fake_display)
    curves = TrainingCurves(metrics=["loss"])
    classifier().fit(X, Y, epochs=3, verbose=0, callbacks=[curves])
    assert curves.mode == "notebook"
    assert [e[0] for e in events] == ["display", "update", "update"]  # 3 epochs; the end adds nothing new
    assert all(e[1].data[:4] == b"\x89PNG" for e in events)
    assert list(tmp_path.iterdir()) == []  # no file in a notebook
    # A second fit starts a new figure.
    events.clear()
    classifier().fit(X, Y, epochs=1, verbose=0, callbacks=[curves])
    assert [e[0] for e in events] == ["display"] and len(curves.history["loss"]) == 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="every"):
        TrainingCurves(every=0)
    with pytest.raises(ValueError, match="metrics"):
        TrainingCurves(metrics=[1, 2])


@pytest.mark.parametrize("epochs, every, draws", [(3, 1, 3), (3, 2, 2), (4, 2, 2)])
def test_each_epoch_is_drawn_once(tmp_path, monkeypatch, epochs, every, draws):
    # every draw renders a PNG: the end of training redraws only epochs not drawn yet
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    curves = TrainingCurves(path=tmp_path / "curves.png", every=every)
    made = []
    real = curves.figure
    monkeypatch.setattr(curves, "figure", lambda: made.append(len(curves.history["loss"])) or real())
    classifier().fit(X, Y, epochs=epochs, verbose=0, callbacks=[curves])
    assert len(made) == draws and made[-1] == epochs
