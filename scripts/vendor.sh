#!/usr/bin/env bash
# Refreshes the vendored front-end assets in static/vendor from the npm registry.
# The files are committed so that the portal never needs the network at run time.
# Source-map references are stripped: the maps are not vendored, and the production
# static build (ManifestStaticFilesStorage) fails on a reference to a missing file.
set -euo pipefail

strip_source_maps() {
  # `//# sourceMappingURL=...` (JavaScript) and `/*# sourceMappingURL=... */` (CSS) lines.
  sed -i -E '/^[[:space:]]*(\/\/|\/\*)[#@] sourceMappingURL=/d' "$@"
}

PICO_VERSION=2.1.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --loglevel=warn "@picocss/pico@${PICO_VERSION}" >/dev/null && tar xzf picocss-pico-*.tgz)
mkdir -p static/vendor/pico
cp "$tmp/package/css/pico.min.css" "$tmp/package/LICENSE.md" static/vendor/pico/
strip_source_maps static/vendor/pico/pico.min.css
echo "pico ${PICO_VERSION}" > static/vendor/pico/VERSION

CHARTJS_VERSION=4.6.1
tmp2=$(mktemp -d)
(cd "$tmp2" && npm pack --loglevel=warn "chart.js@${CHARTJS_VERSION}" >/dev/null && tar xzf chart.js-*.tgz)
mkdir -p static/vendor/chartjs
cp "$tmp2/package/dist/chart.umd.min.js" "$tmp2/package/LICENSE.md" static/vendor/chartjs/
strip_source_maps static/vendor/chartjs/chart.umd.min.js
echo "chart.js ${CHARTJS_VERSION}" > static/vendor/chartjs/VERSION
rm -rf "$tmp2"
