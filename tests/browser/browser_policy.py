"""Where the browser tests find Chromium, and whether its absence is a skip or a failure.

A missing browser is a **failure** wherever it should be there: under CI (``CI`` set:
``make test`` runs ``ensure_chromium.sh`` first, so a missing browser means that step
broke) and on a machine that could install it (root with apt-get: run ``make test``).
Elsewhere (a developer without root, a Mac) the browser tests **skip**, saying why and how
to get one. ``COURSE_CHROMIUM`` names a Chromium binary by hand.
"""

import os
import shutil
from pathlib import Path

INSTALL_HINT = "install Debian's chromium (apt-get install chromium), or set COURSE_CHROMIUM to a Chromium binary"


def must_not_skip(environ=os.environ, euid=None, which=shutil.which):
    """Why a missing browser is a failure here, or None where skipping is right."""
    if environ.get("CI"):
        return "CI is set: the test set-up (make test) must provide the browser"
    euid = os.geteuid() if euid is None and hasattr(os, "geteuid") else euid
    if euid == 0 and which("apt-get"):
        return ("this machine can install it (root, apt-get): run `make test`, or "
                "`sh tests/browser/ensure_chromium.sh`, which installs Debian's chromium")
    return None


def find_chromium(environ=os.environ, which=shutil.which):
    """``(path, None)``, or ``(None, why not)``; a bad ``COURSE_CHROMIUM`` raises ValueError."""
    chosen = environ.get("COURSE_CHROMIUM")
    if chosen:
        if not (Path(chosen).is_file() and os.access(chosen, os.X_OK)):
            raise ValueError(f"COURSE_CHROMIUM={chosen!r} is not an executable file")
        return chosen, None
    found = which("chromium") or which("chromium-browser")
    return (found, None) if found else (None, "Debian's chromium is not installed")
