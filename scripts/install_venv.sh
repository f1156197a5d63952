#!/usr/bin/env bash
# install_venv.sh PYTHON VENV LOCK sync|add: make VENV (with PYTHON) hold what LOCK pins.
#   sync: exactly the lock (uv removes what it does not list): `make test`'s .venv, .venv-sam.
#   add:  the lock's pins on top of what is there: `make run`'s set, which a `make test` venv already holds.
# uv where it can: on the PATH, else uv_bin.sh's copy in .tools (one wheel from PyPI);
# pip otherwise, with one line saying so.
set -euo pipefail
python=$1 venv=$2 lock=$3 mode=$4
cd "$(dirname "$0")/.."

if uv=$(scripts/uv_bin.sh "$python"); then
  [ -x "$venv/bin/python" ] || "$uv" venv --quiet --python "$python" "$venv"
  if [ "$mode" = sync ]; then
    "$uv" pip sync --quiet --python "$venv/bin/python" "$lock"
  else
    "$uv" pip install --quiet --python "$venv/bin/python" -r "$lock"
  fi
else
  echo "uv is not available here: installing $lock into $venv with pip (slower)"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$lock"
fi
