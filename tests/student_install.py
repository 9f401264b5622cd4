"""A student's install (`pip install .`, no extras), made in seconds from this virtual environment.

Installing the course for real in a fresh venv means downloading and unpacking TensorFlow
(minutes). A student's environment holds exactly the distributions that the package's core
requirements pull in, transitively; this venv already has every one of them. So
:func:`make_student_env` creates an empty venv (``python -m venv --without-pip``) and links
into it the files of exactly those distributions, as their installed ``RECORD`` lists them:
their packages and ``.dist-info`` in ``site-packages`` (symbolic links), their data files in
``share/jupyter`` and ``etc/jupyter`` (hard links or copies) (JupyterLab's application, lab extensions, server
extension configs, the kernel spec). Nothing of the ``instructor`` or ``dev`` extras is
there: no nbgrader (its lab extension is what adds the Nbgrader menu and sidebar), no
pytest. The course package itself comes as it is installed here (editable).

What this does not emulate: the versions pip would pick today (the ones installed here
are used) and console scripts (run ``<env>/bin/python -m jupyterlab``).
"""

import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from packaging.requirements import Requirement

#: The distribution a student installs.
PROJECT = "cnn-course"
#: Data folders (relative to the environment's prefix) that Jupyter reads.
DATA_FOLDERS = ("share/jupyter", "etc/jupyter")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed():
    """``{canonical name: Distribution}`` installed in this environment's ``site-packages``
    (not the ``*.egg-info`` a source checkout on ``sys.path`` may hold)."""
    found = {}
    for dist in metadata.distributions(path=[str(_site_packages())]):
        found.setdefault(canonical(dist.metadata["Name"]), dist)
    return found


def requirements(dist, extras=()):
    """``dist``'s requirements that apply to an install with ``extras`` on this machine."""
    envs = [{"extra": e} for e in extras] or [{"extra": ""}]
    out = []
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate(env) for env in envs):
            out.append(req)
    return out


def closure(project=PROJECT, extras=()):
    """``{canonical name: Distribution}``: ``project`` and everything its install pulls in."""
    installed = _installed()
    seen = {}                              # name -> extras already followed
    todo = [(canonical(project), tuple(extras))]
    while todo:
        name, wanted = todo.pop()
        dist = installed.get(name)
        if dist is None:
            raise LookupError(f"{name} is required by a {project} install but is not installed in "
                              f"{sys.prefix}: run `make venv`")
        if name in seen and set(wanted) <= seen[name]:
            continue
        seen.setdefault(name, set()).update(wanted)
        todo += [(canonical(r.name), tuple(r.extras)) for r in requirements(dist, wanted)]
    return {name: installed[name] for name in seen}


def _site_packages():
    return Path(sysconfig.get_paths()["purelib"])


def make_student_env(dest, project=PROJECT):
    """Create at ``dest`` the environment ``pip install .`` gives a student; return its python.

    Top-level entries of ``site-packages`` owned by one distribution are linked whole;
    entries shared by several (namespace packages) are linked file by file, so a
    distribution outside the student's set never leaks in through a shared folder.
    """
    dest = Path(dest)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True)
    python = dest / "bin" / "python"
    target_site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    site = _site_packages()
    prefix = Path(sys.prefix)

    owners = {}                             # top-level entry of site-packages -> distributions
    for name, dist in _installed().items():
        for f in dist.files or []:
            if f.parts and f.parts[0] != "..":
                owners.setdefault(f.parts[0], set()).add(name)

    wanted = closure(project)
    linked = set()
    for name, dist in wanted.items():
        for f in dist.files or []:
            if not f.parts:
                continue
            if f.parts[0] == "..":          # a data file, relative to site-packages
                path = Path(os.path.normpath(site / f))
                try:
                    rel = path.relative_to(prefix)
                except ValueError:
                    continue
                if any(str(rel).startswith(folder + os.sep) for folder in DATA_FOLDERS):
                    _copy(path, dest / rel)
                continue
            top = f.parts[0]
            if owners.get(top, set()) <= set(wanted) and len(owners.get(top, ())) == 1:
                if top not in linked:
                    _link(site / top, target_site / top)
                    linked.add(top)
            else:
                _link(site / f, target_site / f)
    return python


def _link(source, link):
    if not source.exists() or link.exists() or link.is_symlink():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(source)


def _copy(source, dest):
    """Data files are copied (hard-linked where possible): Jupyter's static file handlers
    refuse files whose real path lies outside the folder they serve."""
    if not source.is_file() or dest.exists():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def distributions_missing_from(project=PROJECT, extras=()):
    """Installed distributions that a ``project`` install with ``extras`` would not bring."""
    return sorted(set(_installed()) - set(closure(project, extras)))
