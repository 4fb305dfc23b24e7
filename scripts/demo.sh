#!/usr/bin/env bash
# Runs the shipped demo experiment end to end, offline: installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
.venv/bin/vlmhb run "$@"
