"""A real JupyterLab in headless Chromium, as a student has it.

* **Browser**: Debian's ``chromium`` (``make test`` installs it, see ``ensure_chromium.sh``),
  or ``COURSE_CHROMIUM``; driven by Playwright for Python with ``executable_path``, never a
  browser Playwright downloads. Without one the tests skip, saying why, except where the
  browser should be there (``browser_policy.py``): under CI or as root with apt-get, a
  missing browser fails the tests, so a broken set-up step cannot pass as a skip.
* **Environment**: the student's install (``pip install .``, no extras), made from this venv
  by :func:`student_install.make_student_env`: no nbgrader, hence no instructor tools.
* **Server**: one ``python -m jupyterlab`` per test module, on 127.0.0.1, a free port, a
  token, a temporary root folder and temporary Jupyter config, data and settings folders;
  fast mode on (``COURSE_FAST=1``) as a student in a hurry would have it, real CIFAR-10
  where the machine has it. No ``TF_CPP_*`` settings (the tests' own environment has
  ``TF_CPP_MIN_LOG_LEVEL=3``): a student has none, so whatever TensorFlow logs at start-up
  reaches the page unless the course's set-up keeps it quiet.
"""

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .browser_policy import INSTALL_HINT, find_chromium, must_not_skip
from student_install import make_student_env

#: What a student's laptop shows: the fold is the bottom of this window.
VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT = 90


def _unavailable(reason):
    strict = must_not_skip()
    if strict:
        pytest.fail(f"{reason}; {strict}", pytrace=False)
    pytest.skip(f"{reason} ({INSTALL_HINT})")


@pytest.fixture(scope="session")
def chromium_executable():
    try:
        found, why_not = find_chromium()
    except ValueError as e:
        pytest.fail(str(e), pytrace=False)
    if not found:
        _unavailable(f"browser test: {why_not}")
    return found


@pytest.fixture(scope="session")
def browser(chromium_executable):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser test: playwright is not installed (it is in the [dev] extra: run `make venv`)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_executable, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def student_python(tmp_path_factory):
    """The python of a student's environment (the course without its extras)."""
    return make_student_env(tmp_path_factory.mktemp("student-env") / "venv")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A running JupyterLab server: ``url(path)`` with the token, ``root`` its folder."""

    def __init__(self, python, home):
        self.home = Path(home)
        self.root = self.home / "work"
        self.root.mkdir(parents=True)
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        settings = self.home / "lab-settings"
        # Jupyter's news/update prompt is the same for every install and would cover outputs.
        notes = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notes.parent.mkdir(parents=True)
        notes.write_text('{"fetchNews": "false", "checkForUpdates": false}')
        # Every cell stays in the page (JupyterLab otherwise drops off-screen cells from the
        # DOM); what is on the screen is the same.
        tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True)
        tracker.write_text('{"windowingMode": "none"}')
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "MPLBACKEND", "NBGRADER_EXECUTION", "VIRTUAL_ENV")
               and not k.startswith("TF_CPP_")}
        env.update({
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
            "IPYTHONDIR": str(self.home / "ipython"),
            "COURSE_FAST": "1",
            "PATH": f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        })
        self.log_path = self.home / "jupyterlab.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(python), "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}"],
            cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def url(self, path=""):
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def _api(self, path, method="GET"):
        request = urllib.request.Request(self.url(f"api/{path}"), method=method)
        with urllib.request.urlopen(request, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def kernels(self):
        """The server's running kernels (``/api/kernels``: execution_state, connections, ...)."""
        return self._api("kernels")

    def kernels_of(self, name=None):
        """The kernels of the notebook ``name`` (relative to the root), from ``/api/sessions``;
        with ``name=None``, all kernels."""
        if name is None:
            return self.kernels()
        return [s["kernel"] for s in self._api("sessions") if s.get("path") == name and s.get("kernel")]

    def wait_for_connected_idle_kernel(self, name=None, timeout=120):
        """Until the kernel of notebook ``name`` (of every notebook, with None) runs, idle,
        with the page connected to it (a cell run before that may never start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kernels = self.kernels_of(name)
            if kernels and all(k["execution_state"] == "idle" and k["connections"] >= 1 for k in kernels):
                return kernels
            time.sleep(0.3)
        raise RuntimeError(f"no idle, connected kernel for {name or 'the notebooks'} within {timeout} s: "
                           f"{self.kernels_of(name)}")

    def shut_down(self, name):
        """End notebook ``name``'s session and its kernel (the next notebook gets the CPU and memory)."""
        for s in self._api("sessions"):
            if s.get("path") == name:
                self._api(f"sessions/{s['id']}", method="DELETE")

    def log(self):
        return self.log_path.read_text(errors="replace")

    def _wait_until_up(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{self.log()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def jupyter_lab(student_python, tmp_path_factory):
    """One JupyterLab server per test module, in the student's environment."""
    start = time.monotonic()
    server = JupyterLab(student_python, tmp_path_factory.mktemp("jupyterlab"))
    print(f"JupyterLab answered after {time.monotonic() - start:.1f} s")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(browser, jupyter_lab):
    """A browser tab of the student's size (one per module)."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()

