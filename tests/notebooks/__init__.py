"""The notebook tests (a package so that its conftest.py is imported as ``notebooks.conftest``: a second
top-level module named ``conftest`` would replace tests/conftest.py, which test modules import helpers
from, and break the collection of the whole suite)."""
