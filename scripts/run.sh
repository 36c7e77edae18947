#!/usr/bin/env bash
# Starts lingma-gateway from a build directory. When no Lingma installation is found, it says so
# loudly and starts the gateway against the bundled simulator instead, so the API can be tried.
set -uo pipefail
build_dir=${1:-build/release}
gateway="$build_dir/lingma-gateway"
shift || true

"$gateway" "$@"
status=$?
if [ "$status" -eq 3 ]; then
  cat >&2 <<'BANNER'

  ################################################################################
  #  No Lingma installation was found (see above).                               #
  #  Starting the gateway with the BUNDLED SIMULATOR (lingma-sim) instead:       #
  #  answers are canned test replies, NOT from Tongyi Lingma.                    #
  #  Install Lingma and log in, or set LINGMA_BIN, to use the real assistant.    #
  ################################################################################

BANNER
  exec "$gateway" --simulator "$@"
fi
exit "$status"
