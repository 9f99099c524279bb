#!/usr/bin/env bash
# Installs the system packages the tests and the grader need, when missing and we are root.
# Not root: print what is missing; the tests that need it then skip (or fail under CI=true).
set -euo pipefail
need=()
command -v bwrap    >/dev/null 2>&1 || need+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "warning: missing system packages: ${need[*]} (install them with your package manager)" >&2
fi
