#!/usr/bin/env bash
# Debian packages some tests use: spin (the benchmark smoke test compares state counts with
# SPIN) and chromium (the web explorer's end-to-end test, and Mermaid rendering the diagrams). Installs them when missing and this
# is root on Debian; otherwise says which are missing (those tests then say they skipped).
set -euo pipefail
missing=()
command -v spin >/dev/null 2>&1 || missing+=(spin)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: missing ${missing[*]} (apt-get install ${missing[*]}); tests that need them will skip" >&2
fi
