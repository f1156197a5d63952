#!/usr/bin/env bash
# Makes sure the Lambda base image `sam local` runs functions on exists. With registry access
# that is AWS's image (docker pull); without it, a stand-in with the same layout is built from
# Debian packages and PyPI: Debian trixie's Python 3.13 plus awslambdaric and boto3 (what the
# python3.13 runtime provides). SAM CLI adds its own runtime interface emulator on top, so the
# base needs only a shell, mv, chmod and Python. Run as root (debootstrap); cached in Docker.
set -euo pipefail

IMAGE=${LAMBDA_BASE_IMAGE:-public.ecr.aws/lambda/python:3.13-x86_64}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PYTHON=${PYTHON:-python3}   # uv (scripts/uv_bin.sh), else any Python 3.8+ with pip: it downloads wheels for 3.13

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE: present"; exit 0
fi
if [ "${LAMBDA_BASE_IMAGE_PULL:-1}" = 1 ] && timeout 60 docker pull --quiet "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE: pulled"; exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

echo "base image $IMAGE: not available from a registry, building the stand-in (about a minute)"
root=$(mktemp -d /tmp/lambda-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3-minimal,libpython3.13-stdlib trixie "$root" "$MIRROR" >"$root.log" 2>&1 \
  || { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# The AWS image's layout: code in /var/task, layers in /opt, the runtime (boto3 too) in /var/runtime.
mkdir -p "$root/var/task" "$root/opt" "$root/var/runtime"
# With uv where there is one: the venvs `make` builds with uv have no pip.
if uv=$("$(dirname "$0")/uv_bin.sh" "$PYTHON" 2>/dev/null); then
  "$uv" pip install --quiet --no-compile --target "$root/var/runtime" --only-binary :all: \
    --python-platform x86_64-manylinux_2_17 --python-version 3.13 awslambdaric boto3 >"$root.log" 2>&1
else
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile --target "$root/var/runtime" \
    --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.13 --implementation cp \
    awslambdaric boto3 >"$root.log" 2>&1
fi || { cat "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Compiled by the image's own Python: otherwise every cold start compiles botocore again.
chroot "$root" python3 -m compileall -q -j 0 /var/runtime >/dev/null
cat >"$root/var/runtime/bootstrap" <<'SH'
#!/bin/sh
# Lambda's import path for Python: the function, its layers, then the runtime.
export PYTHONPATH="/var/task:/opt/python/lib/python3.13/site-packages:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
export AWS_EXECUTION_ENV=AWS_Lambda_python3.13
exec python3 -m awslambdaric "$_HANDLER"
SH
cat >"$root/lambda-entrypoint.sh" <<'SH'
#!/bin/sh
# As AWS's image: run the handler under the runtime interface emulator when there is no Lambda.
if [ $# -ne 1 ]; then echo "entrypoint requires the handler name to be the first argument" >&2; exit 142; fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
  exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
SH
chmod +x "$root/var/runtime/bootstrap" "$root/lambda-entrypoint.sh"

# Small: no docs, locales, apt lists or caches.
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian} "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
  "$root"/var/cache/debconf/*-old "$root"/var/log/*

tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8 TZ=:/etc/localtime PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'WORKDIR /var/task' \
  --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
  - "$IMAGE" >/dev/null
docker image ls "$IMAGE" --format "base image {{.Repository}}:{{.Tag}}: built, {{.Size}}"
