# Shared by demo.sh and test.sh: system packages, then a virtual environment in .venv.
# Usage: source scripts/_setup.sh [extras]   (e.g. "test")
set -euo pipefail

SYSTEM_PACKAGES="tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng fonts-dejavu-core"

need_system_packages() {
  command -v tesseract >/dev/null 2>&1 || return 0
  tesseract --list-langs 2>/dev/null | grep -qx rus || return 0
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || return 0
  return 1
}

if need_system_packages; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=none; fi
  if [ "$SUDO" = none ]; then
    echo "warning: cannot install $SYSTEM_PACKAGES (not root, no sudo); the OCR baseline will be unavailable" >&2
  else
    echo "installing system packages: $SYSTEM_PACKAGES"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $SYSTEM_PACKAGES python3-venv >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
extras="${1:-}"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e "$spec"
