"""course.train and the ``course train`` command, on tiny synthetic data."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

TINY = dict(data="synthetic", n_train=192, n_test=96, epochs=2, batch_size=64)


@pytest.mark.backend_agnostic
def test_train_fast_on_tiny_synthetic_returns_sane_result(tmp_path):
    import course

    result = course.train(fast=True, out_dir=tmp_path, verbose=0, **TINY)
    assert result.n_train == 192 and result.n_test == 96 and result.epochs == 2
    assert result.data_source.startswith("synthetic")
    h = result.history
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "elapsed_s", "lr"):
        assert len(h[key]) == 2, key
    assert all(np.isfinite(h["loss"])) and h["loss"][1] < h["loss"][0]
    assert 0.0 <= result.test_accuracy <= 1.0
    # the final accuracy is the model's accuracy on the test images, recomputed here
    from course.data import load_synthetic

    (_, _), (xte, yte), _ = load_synthetic(n_train=192, n_test=96, seed=0)
    probs = result.model.predict(result.normalizer(xte), verbose=0)
    assert abs(float(np.mean(probs.argmax(1) == yte)) - result.test_accuracy_plain) < 1e-6
    assert result.test_accuracy == result.test_accuracy_plain  # fast recipe: no TTA
    assert h["elapsed_s"][0] <= h["elapsed_s"][1] <= result.train_time_s <= result.wall_time_s
    assert h["lr"][-1] == pytest.approx(0.0, abs=1e-9)  # one-cycle ends at zero
    # the plot and the summary are written
    assert result.plot_path == tmp_path / "curves.png" and result.plot_path.stat().st_size > 1000
    summary = json.loads((tmp_path / "result.json").read_text())
    assert summary["test_accuracy"] == result.test_accuracy and summary["config"]["model_name"] == "small_cnn"
    assert "test accuracy" in str(result) and "small_cnn" in str(result)


def test_train_accepts_arrays_builder_kwargs_and_tta(tmp_path):
    import course

    (xtr, ytr), (xte, yte), names = course.data.load_synthetic(n_train=128, n_test=64, seed=1)
    lines = []
    result = course.train("small_cnn", data=((xtr, ytr), (xte, yte), names), model_kwargs={"width": 8},
                          epochs=1, batch_size=64, tta="flip", label_smoothing=0.1, optimizer="sgd",
                          learning_rate=0.05, out_dir=None, printer=lines.append)
    assert result.plot_path is None and result.config["params"] < 30000  # width 8 was used
    assert result.config["tta"] == "flip" and 0 <= result.test_accuracy <= 1
    text = "\n".join(lines)
    assert "device: CPU" in text or "device: GPU" in text
    assert "data: arrays (128 training / 64 test images" in text
    assert "epoch   1/1" in text and "test acc" in text


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(model="resnet_nine"), ValueError, r"unknown model 'resnet_nine'; choose one of: .*resnet9.*small_cnn"),
    (dict(data="imagenet"), ValueError, r"data='imagenet': expected one of 'auto', 'cifar10', 'synthetic'"),
    (dict(epochs=0), ValueError, "epochs must be a positive int, got 0"),
    (dict(batch_size=2.5), ValueError, "batch_size must be a positive int"),
    (dict(optimizer="rmsprop"), ValueError, "optimizer='rmsprop': expected one of sgd, adamw, adam"),
    (dict(tta="crops5"), ValueError, "tta='crops5'"),
    (dict(label_smoothing=1.0), ValueError, r"label_smoothing must be a number in \[0, 1\)"),
    (dict(learning_rate=-1), ValueError, "learning_rate must be a positive number"),
    (dict(augment="flip,rotate"), ValueError, "unknown augmentation 'rotate'"),
    (dict(model=42), TypeError, "model must be a name"),
    (dict(model="small_cnn", model_kwargs={"depth": 3}), TypeError, "model_kwargs {'depth': 3} do not fit"),
    (dict(data=(np.zeros((4, 8, 8, 3), np.uint8),)), ValueError, "data must be 'auto', 'cifar10', 'synthetic' or"),
])
def test_train_bad_arguments_are_named(kwargs, error, match, tmp_path):
    import course

    args = dict(TINY, out_dir=tmp_path, verbose=0)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        course.train(**args)


def test_bad_arrays_are_named():
    import course

    x = np.zeros((8, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"x_test has 8 images but its labels have shape \(3,\)"):
        course.train(data=((x, np.zeros(8, int)), (x, np.zeros(3, int))), epochs=1, out_dir=None, verbose=0)


def test_one_cycle_schedule_shape():
    from course.training import OneCycle

    s = OneCycle(1.0, total_steps=100, warmup=0.2)
    lr = [float(s(i)) for i in (0, 10, 20, 60, 100, 120)]
    assert lr[0] == pytest.approx(0.04) and lr[2] == pytest.approx(1.0)
    assert lr[0] < lr[1] < lr[2] > lr[3] > lr[4] and lr[4] == lr[5] == 0.0
    assert OneCycle.from_config(s.get_config()).get_config() == s.get_config()


@pytest.mark.slow
def test_cli_runs_minimal_configuration_and_prints_accuracy(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "course", "train", "--fast", "--data", "synthetic", "--epochs", "1",
           "--n-train", "128", "--n-test", "64", "--out", str(tmp_path / "run")]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert proc.stderr == "", proc.stderr[-3000:]
    assert "device: CPU" in out or "device: GPU" in out
    assert "data: synthetic" in out and "epoch   1/1" in out
    assert "test accuracy: " in out and "% on 64 test images" in out
    assert f"curves saved to {tmp_path / 'run' / 'curves.png'}" in out
    assert (tmp_path / "run" / "curves.png").exists()


def test_cli_bad_arguments(capsys):
    from course.training import cli

    assert cli(["--model", "resnet_nine", "--data", "synthetic"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'resnet_nine'; choose one of:" in err and "small_cnn" in err
    with pytest.raises(SystemExit) as e:
        cli(["--data", "imagenet"])
    assert e.value.code == 2
    assert "invalid choice: 'imagenet'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["--fast", "--full"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert cli(["--data", "synthetic", "--epochs", "0"]) == 2
    assert "epochs must be a positive int, got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_fast_recipe_reaches_90_percent_on_synthetic(tmp_path):
    """The documented target: the reference small CNN, fast mode, synthetic set."""
    import course

    result = course.train(fast=True, data="synthetic", out_dir=tmp_path, verbose=0)
    assert result.n_train == 2000 and result.n_test == 1000
    assert result.test_accuracy >= 0.90, str(result)


def test_time_budget_schedule_follows_the_clock_and_stops(monkeypatch):
    """The budgeted one-cycle: warm-up, linear decay to 0 at the deadline minus the evaluation reserve."""
    import course.training as training

    clock = {"t": 100.0}
    monkeypatch.setattr(training.time, "perf_counter", lambda: clock["t"])

    class Opt:
        learning_rate = None

    class Model:
        optimizer = Opt()
        stop_training = False

    cb = training._TimeBudget(deadline=200.0, peak=1.0, warmup=0.2, reserve_passes=3)
    model = Model()
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for step in range(20):  # one "validation" of 2 s after the first steps
        clock["t"] = 100.0 + 10 * step
        cb.on_train_batch_begin(step)
        lrs.append(model.optimizer.learning_rate)
        if step == 1:
            cb.on_test_begin()
            clock["t"] += 2.0
            cb.on_test_end()
        cb.on_train_batch_end(step)
        if model.stop_training:
            break
    # before any validation the reserve is a guess: 2% of the 100 s + 1 s, so 97 s are available;
    # after it, 3 passes x 2 s + twice the first pass (tracing, slack) 4 s + 1% of 100 s + 1 s = 12 s: 88 s
    assert lrs[0] == pytest.approx(0.04)  # peak / 25 at the start
    assert lrs[1] == pytest.approx(0.04 + 0.96 * (10 / 97) / 0.2)  # warming up
    assert lrs[2] == pytest.approx((1 - 20 / 88) / 0.8)  # decaying
    assert lrs[1] < 1.0 and all(a > b for a, b in zip(lrs[2:], lrs[3:])), lrs
    # at 180 s, 80 of the 88 s are used; the next batch (190 s) finds the time up: lr 0 and stop
    assert lrs[-2] == pytest.approx((1 - 80 / 88) / 0.8)
    assert model.stop_training and step == 9 and lrs[-1] == 0.0


def test_time_budget_argument_is_checked(tmp_path):
    import course

    with pytest.raises(ValueError, match="time_budget_s must be a positive number of seconds, got 0"):
        course.train(time_budget_s=0, out_dir=tmp_path, verbose=0, **TINY)


def _tiny_net():
    """A seeded two-layer classifier of 5 features into 3 classes, and a 16-example batch for it."""
    import keras

    keras.utils.set_random_seed(3)
    net = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                            keras.layers.Dense(3, activation="softmax")])
    return net, np.random.default_rng(0).normal(size=(16, 5)).astype("float32"), np.arange(16) % 3


def test_compile_model_builds_the_optimizer_before_the_first_step():
    import keras

    from course.training import compile_model

    ours, x, y = _tiny_net()
    ours = compile_model(ours, keras.optimizers.SGD(0.1, momentum=0.9))
    assert ours.optimizer.built and ours.jit_compile is False
    assert len(ours.optimizer.variables) > len(ours.trainable_variables)   # the momenta exist already
    theirs = _tiny_net()[0]
    theirs.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy",
                   metrics=["accuracy"], jit_compile=False)
    for model in (ours, theirs):
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):   # the same training
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    bare = compile_model(_tiny_net()[0], "adam", metrics=None)
    assert bare.optimizer.built
    with pytest.raises(ValueError, match="is not built yet"):
        compile_model(keras.Sequential([keras.layers.Dense(2)]), "sgd")


def test_compile_model_run_eagerly_trains_the_same_and_overrides_xla_without_a_warning():
    import warnings

    import keras

    from course.training import compile_model

    graph, x, y = _tiny_net()
    graph = compile_model(graph, keras.optimizers.SGD(0.1, momentum=0.9))
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # Keras warns when run_eagerly and jit_compile are both on
        eager = compile_model(_tiny_net()[0], keras.optimizers.SGD(0.1, momentum=0.9), jit_compile=True,
                              run_eagerly=True)
    assert eager.run_eagerly is True and eager.jit_compile is False
    for model in (graph, eager):
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(graph.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
