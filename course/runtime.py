"""Run-time set-up: seeds, determinism, device, mixed precision, XLA, quiet logs.

Call :func:`setup` once at the top of a notebook or script, *before* importing
TensorFlow or Keras yourself::

    import course
    info = course.runtime.setup(seed=0)
    print(info)   # CPU (2 cores), TensorFlow backend, seed 0, deterministic ops, float32, XLA off
    model.compile(..., jit_compile=info.jit_compile)

What it does:

- **quiet** (default): TensorFlow writes nothing to stderr. nbgrader scores a
  test cell 0 when the cell writes to stderr, and TensorFlow logs there by
  default (oneDNN and CUDA notices at import, XLA notices at compile time,
  Python warnings). ``TF_CPP_MIN_LOG_LEVEL`` is set before TensorFlow is
  imported, the import itself runs with file descriptor 2 pointed at
  ``/dev/null`` (TensorFlow >= 2.20 logs a few lines at load time whatever the
  log level), and the ``tensorflow`` and ``absl`` Python loggers and Python
  warnings raised inside TensorFlow, Keras, absl and JAX are silenced.
- **seed**: Python's ``random``, NumPy, Keras (``keras.utils.set_random_seed``,
  which also seeds TensorFlow when it is installed, for ``tf.data``).
- **deterministic**: TensorFlow op determinism (also makes ``tf.data``
  deterministic); under JAX, XLA's deterministic GPU ops.
- **GPU memory growth**, so a notebook does not grab the whole GPU.
- **mixed precision** ``"auto"``: ``mixed_float16`` on GPUs of compute
  capability >= 7.0 (tensor cores), ``float32`` elsewhere.
- **jit_compile** ``"auto"``: XLA on GPU, off on CPU (where XLA's
  convolutions are slower than oneDNN's). The chosen value is in the result
  so callers can pass it to ``model.compile``.

Calling :func:`setup` again is safe; settings that can no longer change
(memory growth once the GPU is initialised) are left as they are.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import logging
import os
import random
import sys
import warnings

__all__ = ["RuntimeInfo", "setup", "quiet_tensorflow", "cpu_count"]

_NOISY_MODULES = r"(tensorflow|tf_keras|keras|absl|jax|jaxlib|flax|ml_dtypes|google\.protobuf)(\.|$)"

_VALID_PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16", True, False, None)


@dataclasses.dataclass(frozen=True)
class RuntimeInfo:
    """What :func:`setup` chose. ``str(info)`` is one readable line."""

    backend: str  # "tensorflow", "jax", "torch"
    device: str  # "CPU (2 cores)" or "GPU 0: NVIDIA H100 (compute capability 9.0)"
    gpus: tuple  # names of the visible GPUs (empty on CPU)
    seed: int | None
    deterministic: bool
    precision: str  # Keras dtype policy: "float32", "mixed_float16", "mixed_bfloat16"
    jit_compile: bool  # pass to model.compile(jit_compile=...)
    quiet: bool

    @property
    def on_gpu(self) -> bool:
        return bool(self.gpus)

    def __str__(self) -> str:
        backend = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}.get(self.backend, self.backend)
        parts = [self.device, f"{backend} backend"]
        parts.append("no seed" if self.seed is None else f"seed {self.seed}")
        parts.append("deterministic ops" if self.deterministic else "non-deterministic ops")
        parts.append(self.precision)
        parts.append("XLA on" if self.jit_compile else "XLA off")
        return ", ".join(parts)


def cpu_count() -> int:
    """CPU cores this process may use (respects affinity / container limits)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _stderr_to_devnull():
    """Point file descriptor 2 at /dev/null (C++ logs bypass sys.stderr)."""
    try:
        sys.stderr.flush()
    except Exception:  # pragma: no cover
        pass
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no fd 2 at all
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow() -> None:
    """Silence TensorFlow/Keras/absl/JAX logging and warnings (see module doc).

    Cheap and idempotent; does not import TensorFlow itself.
    """
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("TF_CPP_MAX_VLOG_LEVEL", "-1")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    for name in ("tensorflow", "absl", "jax", "jax._src.xla_bridge", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=_NOISY_MODULES)
    # absl's Python logging, when absl is present (it ships with TensorFlow).
    if importlib.util.find_spec("absl") is not None:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
        absl_logging.set_stderrthreshold("error")


def _keras_backend_name() -> str:
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    name = os.environ.get("KERAS_BACKEND")
    if name:
        return name
    # Keras' config file may name a backend; importing keras reads it.
    return ""


def _import_frameworks(quiet: bool):
    """Import keras (and tensorflow when available) with stderr silenced if quiet."""
    ctx = _stderr_to_devnull() if quiet else contextlib.nullcontext()
    with ctx:
        tf = None
        backend = _keras_backend_name()
        if backend in ("", "tensorflow") or "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow"):
            try:
                import tensorflow as tf  # noqa: F811
            except ImportError:  # pragma: no cover - tensorflow missing
                tf = None
        import keras

        if keras.backend.backend() == "jax":
            import jax  # noqa: F401  (initialise its platform quietly too)

            jax.devices()
        if tf is not None:
            tf.config.list_physical_devices()  # initialises the CUDA platform, which logs
    return tf, keras


def _gpu_details(tf, keras):
    """[(name, (major, minor) or None)] for the visible GPUs of the active backend."""
    backend = keras.backend.backend()
    gpus = []
    if backend == "jax":
        import jax

        for d in jax.devices():
            if d.platform in ("gpu", "cuda", "rocm"):
                cc = getattr(d, "compute_capability", None)
                try:
                    cc = tuple(int(x) for x in str(cc).split(".")[:2]) if cc else None
                except ValueError:
                    cc = None
                gpus.append((getattr(d, "device_kind", str(d)), cc))
        return gpus
    if backend == "torch":  # pragma: no cover - torch not part of the dev env
        import torch

        for i in range(torch.cuda.device_count()):
            gpus.append((torch.cuda.get_device_name(i), torch.cuda.get_device_capability(i)))
        return gpus
    if tf is not None:
        for d in tf.config.list_physical_devices("GPU"):
            try:
                details = tf.config.experimental.get_device_details(d)
            except Exception:  # pragma: no cover
                details = {}
            gpus.append((details.get("device_name", d.name), details.get("compute_capability")))
    return gpus


def _choose_precision(mixed_precision, gpus) -> str:
    if mixed_precision not in _VALID_PRECISIONS:
        raise ValueError(
            f"setup(mixed_precision={mixed_precision!r}): expected 'auto', True, False, "
            "'float32', 'mixed_float16' or 'mixed_bfloat16'"
        )
    if mixed_precision in ("float32", False, None):
        return "float32"
    if mixed_precision in ("mixed_float16", "mixed_bfloat16"):
        return mixed_precision
    tensor_cores = bool(gpus) and all(cc is not None and tuple(cc) >= (7, 0) for _, cc in gpus)
    if mixed_precision is True and not tensor_cores:
        if gpus:
            raise ValueError(
                "setup(mixed_precision=True): the GPU "
                f"{gpus[0][0]!r} has compute capability {gpus[0][1]}, mixed float16 needs >= 7.0; "
                "pass mixed_precision='auto' to fall back to float32"
            )
        raise ValueError(
            "setup(mixed_precision=True): no GPU is visible; mixed float16 on a CPU is slower, not faster. "
            "Pass mixed_precision='auto' (float32 here) or 'mixed_bfloat16' to force bfloat16."
        )
    return "mixed_float16" if tensor_cores else "float32"


def setup(seed: int | None = 0, deterministic: bool = True, mixed_precision="auto",
          jit_compile="auto", quiet: bool = True) -> RuntimeInfo:
    """Seed everything, make ops deterministic, pick precision and XLA, quiet logs.

    Args:
        seed: int seed for Python, NumPy, Keras and TensorFlow; ``None`` leaves
            the generators alone.
        deterministic: turn on TensorFlow op determinism (slower on GPU).
        mixed_precision: ``"auto"`` (float16 on GPUs with compute capability
            >= 7.0, else float32), ``True`` (float16, error without a capable
            GPU), ``False``/``"float32"``, ``"mixed_float16"`` or ``"mixed_bfloat16"``.
        jit_compile: ``"auto"`` (on with a GPU or under JAX, off on CPU with
            TensorFlow), ``True`` or ``False``. Reported in the result; pass
            ``info.jit_compile`` to ``model.compile``.
        quiet: keep TensorFlow, Keras, absl and JAX from writing to stderr.

    Returns:
        :class:`RuntimeInfo` (``str()`` gives one readable line).
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"setup(seed={seed!r}): expected a non-negative int or None")
    if jit_compile not in ("auto", True, False):
        raise ValueError(f"setup(jit_compile={jit_compile!r}): expected 'auto', True or False")
    if not isinstance(deterministic, bool):
        raise ValueError(f"setup(deterministic={deterministic!r}): expected True or False")
    if mixed_precision not in _VALID_PRECISIONS:
        _choose_precision(mixed_precision, [])  # raises the error

    if quiet:
        quiet_tensorflow()
    if deterministic and "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_gpu_deterministic_ops" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_gpu_deterministic_ops=true").strip()
    if seed is not None:
        os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses; this one is already hashed

    tf, keras = _import_frameworks(quiet)
    if quiet:
        quiet_tensorflow()  # importing absl/keras may have reset levels
        if tf is not None:
            tf.get_logger().setLevel(logging.ERROR)
            try:
                tf.autograph.set_verbosity(0)
            except Exception:  # pragma: no cover
                pass
    backend = keras.backend.backend()

    if tf is not None:
        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except (RuntimeError, ValueError):
                pass  # already initialised: leave it as it is (idempotent)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        else:
            try:
                from tensorflow.python.framework import config as _tf_config

                _tf_config.disable_op_determinism()
            except (ImportError, AttributeError):  # pragma: no cover
                pass

    if seed is not None:
        random.seed(seed)
        import numpy as np

        np.random.seed(seed)
        keras.utils.set_random_seed(seed)  # Python, NumPy, TF (if installed), Keras' generator

    gpus = _gpu_details(tf, keras)
    precision = _choose_precision(mixed_precision, gpus)
    keras.mixed_precision.set_global_policy(precision)

    if jit_compile == "auto":
        jit = bool(gpus) or backend == "jax"
    else:
        jit = bool(jit_compile)

    if gpus:
        name, cc = gpus[0]
        cc_text = f" (compute capability {cc[0]}.{cc[1]})" if cc else ""
        device = f"GPU: {name}{cc_text}" + (f" + {len(gpus) - 1} more" if len(gpus) > 1 else "")
    else:
        n = cpu_count()
        device = f"CPU ({n} core{'s' if n != 1 else ''})"

    return RuntimeInfo(
        backend=backend,
        device=device,
        gpus=tuple(name for name, _ in gpus),
        seed=seed,
        deterministic=deterministic,
        precision=precision,
        jit_compile=jit,
        quiet=quiet,
    )
