#!/usr/bin/env bash
# Lint and types, as CI runs them: ruff (rules and formatting) on the whole tree, mypy strict on src/.
# Installs what it needs first (the test extras include the pinned ruff and mypy).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/ruff ] || [ ! -x .venv/bin/mypy ]; then
  source scripts/_setup.sh test
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
