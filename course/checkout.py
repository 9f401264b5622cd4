"""Run an instructor command (``course build``, ``course grade``) from the course checkout.

The work of those commands lives in ``autograder/``, which sits in the
instructor's checkout and is never shipped to students. This finds that
checkout (``--root``, or the nearest folder holding
``autograder/nbgrader_config.py``, starting from the current directory), puts
it first on ``sys.path`` and hands over to ``autograder.<module>.main``.
"""

import importlib
import importlib.util
import os
import sys
from pathlib import Path

MARKER = Path("autograder") / "nbgrader_config.py"
#: What the instructor commands need beyond a student's install (the ``instructor`` extra).
INSTRUCTOR_MODULES = ("nbgrader", "nbformat", "nbclient", "nbconvert")


def find_root(argv, command="this command"):
    """The checkout named by ``--root DIR`` in ``argv``, else the nearest one above the cwd."""
    for i, arg in enumerate(argv):
        if arg == "--root" and i + 1 < len(argv):
            root = Path(argv[i + 1]).expanduser().resolve()
            break
        if arg.startswith("--root="):
            root = Path(arg.split("=", 1)[1]).expanduser().resolve()
            break
    else:
        start = Path(os.getcwd()).resolve()
        for folder in [start, *start.parents]:
            if (folder / MARKER).is_file():
                return folder
        raise FileNotFoundError(
            f"{command} needs the course repository (the instructor's checkout with notebooks/ and "
            f"autograder/), but neither {start} nor any parent holds {MARKER}. "
            f"Run it from inside the repository or pass --root PATH_TO_REPO."
        )
    if not (root / MARKER).is_file():
        raise FileNotFoundError(f"--root {root}: not a course repository ({MARKER} is missing)")
    return root


def missing_instructor_tools():
    """The instructor-only modules (nbgrader, ...) this environment lacks."""
    return [m for m in INSTRUCTOR_MODULES if importlib.util.find_spec(m) is None]


def run_from_checkout(command, module, usage, argv):
    """Find the checkout, then return ``autograder.<module>.main(argv)``; exit status 2 when
    there is none or the instructor tools are not installed."""
    try:
        root = find_root(argv, command)
    except FileNotFoundError as e:
        if any(a in ("-h", "--help") for a in argv):
            print(f"usage: {usage}\nRun it from the course repository (or pass --root) for the full help.")
            return 0
        print(f"{command}: {e}", file=sys.stderr)
        return 2
    missing = missing_instructor_tools()
    if missing:
        print(f"{command} needs the instructor tools, which this environment lacks ({', '.join(missing)}): "
              f"a student's install (`pip install .`) leaves them out. Install them with "
              f"`pip install -e '{root}[instructor]'` (or run `make venv` in {root}).", file=sys.stderr)
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(f"autograder.{module}").main(argv)
