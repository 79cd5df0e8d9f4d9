#!/usr/bin/env bash
# Refreshes the vendored front-end assets in static/vendor from the npm registry.
# The files are committed so that the portal never needs the network at run time.
set -euo pipefail
PICO_VERSION=2.1.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "@picocss/pico@${PICO_VERSION}" >/dev/null && tar xzf picocss-pico-*.tgz)
mkdir -p static/vendor/pico
cp "$tmp/package/css/pico.min.css" "$tmp/package/LICENSE.md" static/vendor/pico/
echo "pico ${PICO_VERSION}" > static/vendor/pico/VERSION
