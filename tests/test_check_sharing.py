"""One check core: the hidden checks reuse the public checks only through their public names.

A hidden check (``autograder/checks/<name>.py``) that reached into a private helper of
``course.check`` would break silently when the public side is tidied; every name it imports
from ``course.check`` or reads as ``public.<name>`` must be listed in that module's ``__all__``.
"""

import ast
import importlib
from pathlib import Path

import pytest

CHECKS = Path(__file__).resolve().parents[1] / "autograder" / "checks"


def _used_names(path):
    """``(module, name)`` for every name the hidden check takes from a ``course.check`` module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases, used = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("course.check"):
            for alias in node.names:
                if node.module == "course.check":          # from course.check import warmup as public
                    aliases[alias.asname or alias.name] = f"course.check.{alias.name}"
                else:
                    used.append((node.module, alias.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.append((aliases[node.value.id], node.attr))
    return used


@pytest.mark.parametrize("path", sorted(CHECKS.glob("[a-z]*.py")), ids=lambda p: p.stem)
def test_hidden_checks_use_only_public_names_of_the_public_checks(path):
    used = _used_names(path)
    assert used, f"{path.name} takes nothing from course.check"
    private = [f"{module}.{name}" for module, name in used
               if name not in getattr(importlib.import_module(module), "__all__", ())]
    assert not private, f"{path.name} uses names that are not in __all__: {sorted(set(private))}"
