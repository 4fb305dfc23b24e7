#!/usr/bin/env bash
# Runs the test suite: installs what it needs first. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh test
workers="${VLMHB_TEST_WORKERS:-$(nproc)}"
exec .venv/bin/python -m pytest -n "$workers" "$@"
