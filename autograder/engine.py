"""Where grading tasks run: a local process pool (the default) or an existing Dask cluster.

Both executors run the same task functions (:func:`autograder.task.grade`, and the build's
:func:`autograder.build.run_source_task`) on plain data, in processes other than the
client's, and hand the results back to the client, which alone writes to disk:

* :class:`LocalPool` (``--workers N``, default: one per core) keeps N worker processes
  on this machine (``multiprocessing``'s ``spawn``, so nothing of the client's state is
  inherited), one task at a time each. A worker process that dies in the middle of a task
  (killed by a signal, the out-of-memory killer) is replaced and the task goes back to the
  queue for the next free worker; after :data:`MAX_WORKER_DEATHS` deaths under the same
  task it fails with :class:`WorkerDied`. Nothing but the standard library is needed.
* :class:`DaskCluster` (``--scheduler tcp://HOST:PORT``) submits each task to a running
  Dask cluster (``pip install '.[dask]'``; see ``autograder/README.md`` for Slurm and
  Kubernetes). Dask's scheduler moves the tasks of a dead worker to the others (up to its
  ``allowed-failures``, then ``KilledWorker``). :meth:`DaskCluster.local` starts a
  ``LocalCluster`` (tests, benchmarks).

Before a class is graded, :func:`check_workers` asks every worker for its grading
environment and stops with a clear error when one differs from the client's (other code,
other packages, other data), or when a worker cannot import the project at all.
"""

import concurrent.futures as cf
import multiprocessing
import os
import queue
import threading
from concurrent.futures.process import BrokenProcessPool

from autograder.course_dir import CourseError

__all__ = ["MAX_WORKER_DEATHS", "WorkerDied", "Executor", "LocalPool", "DaskCluster", "default_workers",
           "make_executor", "check_workers", "dask_available"]

#: How often a task may lose its worker process before it fails (Dask's default allowed-failures is 3).
MAX_WORKER_DEATHS = 3


class WorkerDied(RuntimeError):
    """The worker process running a task died (a signal, the out-of-memory killer) too many times."""


def default_workers():
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def dask_available():
    """``None`` when ``dask.distributed`` imports, else why not (for messages and test skips)."""
    try:
        import distributed  # noqa: F401
    except ImportError as e:
        return f"dask.distributed is not installed ({e}): pip install -e '.[instructor,dask]'"
    return None


class Executor:
    """The interface both executors offer (use as a context manager)."""

    description = ""

    @property
    def workers(self):
        """How many tasks run at once."""
        raise NotImplementedError

    def share(self, value):
        """``value`` as an argument for many tasks (Dask sends it to each worker once)."""
        return value

    def submit(self, fn, *args, key=None):
        """Run ``fn(*args)`` on a worker; a future (``.result()``, ``.exception()``)."""
        raise NotImplementedError

    def as_completed(self, futures):
        """The futures, as they complete."""
        raise NotImplementedError

    def run_on_workers(self, fn):
        """``{worker: fn() or the exception it raised}`` for every worker."""
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _call_in_worker(fn):
    """Run in a pool process by :meth:`LocalPool.run_on_workers`."""
    return os.getpid(), fn()


class LocalPool(Executor):
    """``workers`` processes on this machine, one task at a time each; dead workers are replaced."""

    def __init__(self, workers=None):
        self._n = int(workers or default_workers())
        if self._n < 1:
            raise CourseError(f"--workers must be at least 1 (got {workers})")
        self.description = f"local pool of {self._n} worker process(es)"
        self._context = multiprocessing.get_context("spawn")
        self._queue = queue.Queue()
        self._pools = [None] * self._n
        self._lock = threading.Lock()
        self._closed = False
        self._busy = 0
        self._threads = [threading.Thread(target=self._slot, args=(k,), daemon=True, name=f"grading-slot-{k}")
                         for k in range(self._n)]
        for t in self._threads:
            t.start()

    @property
    def workers(self):
        return self._n

    def _pool(self, k):
        with self._lock:
            if self._pools[k] is None:
                self._pools[k] = cf.ProcessPoolExecutor(max_workers=1, mp_context=self._context)
            return self._pools[k]

    def _replace(self, k):
        with self._lock:
            pool, self._pools[k] = self._pools[k], None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _slot(self, k):
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args, deaths = item
            if deaths == 0 and not future.set_running_or_notify_cancel():
                continue
            with self._lock:
                self._busy += 1
            try:
                value = self._pool(k).submit(fn, *args).result()
            except BrokenProcessPool:
                self._replace(k)
                if deaths + 1 >= MAX_WORKER_DEATHS or self._closed:
                    future.set_exception(WorkerDied(f"the worker process died {deaths + 1} time(s) while running "
                                                    f"this task"))
                else:
                    self._queue.put((future, fn, args, deaths + 1))   # the next free worker retries it
                continue
            except BaseException as e:  # the task raised: its future carries the exception
                future.set_exception(e)
                continue
            finally:
                with self._lock:
                    self._busy -= 1
            future.set_result(value)

    def submit(self, fn, *args, key=None):
        if self._closed:
            raise RuntimeError("the pool is closed")
        future = cf.Future()
        self._queue.put((future, fn, args, 0))
        return future

    def as_completed(self, futures):
        return cf.as_completed(futures)

    def pids(self):
        """Process ids of the worker processes running now (tests kill one)."""
        with self._lock:
            pools = [p for p in self._pools if p is not None]
        return sorted(pid for p in pools for pid in (getattr(p, "_processes", None) or {}))

    def run_on_workers(self, fn):
        futures = [self.submit(_call_in_worker, fn) for _ in range(self._n)]
        out = {}
        for f in futures:
            try:
                pid, value = f.result()
                out[f"local:{pid}"] = value
            except Exception as e:
                out[f"local:{len(out)}"] = e
        return out

    def close(self):
        """Stop the pool. Tasks still queued are cancelled; tasks still running (the caller gave up:
        an error, Ctrl-C) are killed with their process trees."""
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None and not item[0].cancel() and not item[0].done():   # a retry: already running
                item[0].set_exception(RuntimeError("the pool was closed before this task ran again"))
        for _ in self._threads:
            self._queue.put(None)
        with self._lock:
            busy = self._busy
        if busy:
            from autograder.runner import kill_tree

            for pid in self.pids():
                kill_tree(pid)
        for t in self._threads:
            t.join()
        for k in range(self._n):
            with self._lock:
                pool, self._pools[k] = self._pools[k], None
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster(Executor):
    """Tasks submitted to a Dask cluster: its scheduler at ``scheduler`` (``tcp://HOST:PORT``)."""

    def __init__(self, scheduler=None, client=None, cluster=None, wait_s=60):
        why = dask_available()
        if why:
            raise CourseError(f"--scheduler needs {why}")
        from distributed import Client

        self.cluster = cluster
        try:
            self.client = client or Client(scheduler or cluster, timeout=f"{int(wait_s)}s")
        except OSError as e:
            raise CourseError(f"cannot reach the Dask scheduler at {scheduler}: {e} (is `dask scheduler` "
                              f"running there, and the port open?)") from None
        try:
            self.client.wait_for_workers(1, timeout=wait_s)
        except Exception:
            self.close()
            raise CourseError(f"the Dask scheduler at {scheduler or cluster} has no workers after {wait_s} s: "
                              f"start some (`dask worker {scheduler or 'tcp://HOST:8786'}`, see autograder/README.md)"
                              ) from None
        self.description = f"Dask cluster at {self.client.scheduler.address} ({self.workers} worker thread(s))"

    @classmethod
    def local(cls, workers):
        """A ``LocalCluster`` of ``workers`` processes with one thread each, on this machine."""
        why = dask_available()
        if why:
            raise CourseError(why)
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        return cls(cluster=cluster)

    @property
    def workers(self):
        info = self.client.scheduler_info().get("workers", {})
        return sum(w.get("nthreads", 1) for w in info.values()) or 1

    def share(self, value):
        return self.client.scatter(value, broadcast=True, hash=False)

    def submit(self, fn, *args, key=None):
        import uuid

        return self.client.submit(fn, *args, pure=False, key=f"{key or fn.__name__}-{uuid.uuid4().hex[:8]}")

    def as_completed(self, futures):
        from distributed import as_completed

        return as_completed(futures)

    def pids(self):
        """``{worker address: pid}`` of the workers now (tests kill one)."""
        return self.client.run(os.getpid)

    def processing(self):
        """``{worker address: [task keys]}`` running or queued on each worker now."""
        return {w: list(keys) for w, keys in self.client.processing().items()}

    def run_on_workers(self, fn):
        return self.client.run(fn, on_error="return")

    def close(self):
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def make_executor(workers=None, scheduler=None):
    """A :class:`DaskCluster` when ``scheduler`` is given, else a :class:`LocalPool` of ``workers``."""
    if scheduler:
        return DaskCluster(scheduler)
    return LocalPool(workers)


def check_workers(executor, expected):
    """Raise :class:`CourseError` unless every worker's grading environment equals ``expected``.

    ``expected``: the client's :func:`autograder.environment.grading_environment`.
    """
    from autograder.environment import differences
    from autograder.task import worker_environment

    problems = []
    for worker, env in sorted(executor.run_on_workers(worker_environment).items()):
        if isinstance(env, BaseException):
            hint = (" (the project is not importable there: run the worker from the course checkout, with it "
                    "on PYTHONPATH; see autograder/README.md)" if isinstance(env, ImportError) else "")
            problems.append(f"{worker}: {type(env).__name__}: {env}{hint}")
            continue
        diff = differences(expected, env)
        if diff:
            problems.append(f"{worker}: " + "; ".join(diff))
    if problems:
        raise CourseError("these workers would not grade as this machine does (check out the same commit, "
                          "`make venv`, and the same COURSE_DATA_DIR on every worker):\n  " + "\n  ".join(problems))
