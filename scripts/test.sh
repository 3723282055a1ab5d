#!/usr/bin/env bash
# Set up everything the test suite needs (idempotent), then run the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
# Browser tests drive Debian's chromium with Playwright (no browser download). Where it is
# missing and we may install packages, install it; otherwise those tests skip and say why.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
    || echo "scripts/test.sh: could not install chromium; browser tests will skip"
fi
exec .venv/bin/python -m pytest "$@"
