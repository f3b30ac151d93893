#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: Debian packages, the project-local Python
# virtual environment (torch = our LibTorch and the benchmark peer), npm packages,
# the native addon and the TypeScript build. Each step is skipped when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp_dir=.cache/setup
mkdir -p "$stamp_dir"

say() { printf '[setup] %s\n' "$*" >&2; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

apt_packages=(python3-venv)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing Debian packages (run as root to install): ${missing[*]}"
  fi
fi

want=$(hash_of python/requirements.txt)
if [ "$(cat "$stamp_dir/venv" 2>/dev/null)" != "$want" ] || [ ! -x .venv/bin/python ]; then
  say "creating .venv and installing python/requirements.txt (torch 2.13 CPU, transformers, trl, pycodestyle)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # pip warns about every index location this machine's configuration lists but
  # lacks; those lines are noise here, anything else it says is passed through.
  .venv/bin/pip install -q --retries 0 -r python/requirements.txt 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" > "$stamp_dir/venv"
fi

want=$(hash_of package-lock.json)
if [ "$(cat "$stamp_dir/npm" 2>/dev/null)" != "$want" ] || [ ! -d node_modules ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp_dir/npm"
fi

node scripts/build-native.mjs
say "compiling TypeScript"
npx tsc -p tsconfig.json
