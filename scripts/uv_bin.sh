#!/usr/bin/env bash
# uv_bin.sh PYTHON: print the path of a uv to use, or fail (status 1) when there is none.
# A uv on the PATH first; else the one in .tools/bin, installed there once from PyPI with PYTHON's pip
# (uv is a single wheel, no dependencies). UV_VERSION pins it; UV=pip forces the pip fallback.
set -uo pipefail
python=$1
UV_VERSION=${UV_VERSION:-0.13.9}
cd "$(dirname "$0")/.."
[ "${UV:-}" = pip ] && exit 1
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ ! -x .tools/bin/uv ]; then
  PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check --target .tools "uv==$UV_VERSION" >&2 || exit 1
fi
[ -x .tools/bin/uv ] && .tools/bin/uv --version >/dev/null 2>&1 && echo "$PWD/.tools/bin/uv"
