#!/usr/bin/env bash
# Runs the test suite: installs what it needs first. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh test
workers="${VLMHB_TEST_WORKERS:-$(nproc)}"
# --dist loadgroup: tests marked xdist_group("ray") share one worker, so one loopback Ray cluster starts.
exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
