#!/bin/sh
# Make Debian's `chromium` available to the browser tests (tests/browser), which drive it
# through Playwright (pip's playwright package, no browser download of its own).
#
# `make test` runs this first. When chromium is missing and this machine can install it
# (root, apt-get), it installs it; otherwise it says why and leaves the decision to the
# tests: they skip, saying why, on a developer machine that cannot install it, and fail
# under CI (CI=true) or as root with apt-get, where a missing browser is a set-up bug.
# COURSE_CHROMIUM=/path/to/chromium chooses a browser by hand (nothing is installed).
set -u

if [ -n "${COURSE_CHROMIUM:-}" ]; then
    exit 0
fi
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: chromium is missing and cannot be installed here (needs root and apt-get):" \
         "the browser tests will skip. Install Debian's chromium (sudo apt-get install chromium)" \
         "or set COURSE_CHROMIUM to a Chromium binary." >&2
    exit 0
fi

echo "Installing Debian's chromium for the browser tests (apt-get install chromium) ..."
export DEBIAN_FRONTEND=noninteractive
install() {
    apt-get install -y -q --no-install-recommends chromium >/tmp/course-chromium-apt.log 2>&1
}
# The package lists may be missing or stale on a fresh machine: update them only when needed.
if ! install; then
    apt-get update -q >>/tmp/course-chromium-apt.log 2>&1
    if ! install; then
        tail -n 20 /tmp/course-chromium-apt.log >&2
        echo "warning: apt-get could not install chromium (log: /tmp/course-chromium-apt.log);" \
             "the browser tests will fail." >&2
        exit 0
    fi
fi
echo "chromium installed: $(chromium --version 2>/dev/null)"
