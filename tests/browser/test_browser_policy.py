"""The browser tests skip only where a browser cannot be had, and say why (no browser needed)."""

import pytest

from .browser_policy import find_chromium, must_not_skip


def no_apt(name):
    return None


def test_ci_and_root_with_apt_fail_instead_of_skipping():
    assert "CI is set" in must_not_skip({"CI": "true"}, euid=1000, which=no_apt)
    assert "root, apt-get" in must_not_skip({}, euid=0, which=lambda n: "/usr/bin/apt-get")
    assert must_not_skip({}, euid=1000, which=lambda n: "/usr/bin/apt-get") is None     # no root: skip
    assert must_not_skip({}, euid=0, which=no_apt) is None                              # no apt: skip


def test_chromium_is_found_on_the_path_or_named_by_hand(tmp_path):
    assert find_chromium({}, which=lambda n: "/usr/bin/chromium" if n == "chromium" else None) == \
        ("/usr/bin/chromium", None)
    assert find_chromium({}, which=no_apt) == (None, "Debian's chromium is not installed")
    binary = tmp_path / "chrome"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert find_chromium({"COURSE_CHROMIUM": str(binary)}, which=no_apt) == (str(binary), None)
    with pytest.raises(ValueError, match="COURSE_CHROMIUM='/nope' is not an executable file"):
        find_chromium({"COURSE_CHROMIUM": "/nope"}, which=no_apt)
