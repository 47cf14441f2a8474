#!/bin/bash
# The image build is repeatable (issue 5): a second build from the same tree against the same
# mirror state gives the same manifest, every package with its version. Run after
# scripts/build-image (scripts/test does): builds once more, as the next version (the last
# number plus one: out/vrouter-<next>.qcow2, the newer image of tests/image/rolling.sh), and
# compares the two manifests' package lines.
#
# Usage: tests/image/repeatable.sh
# If the mirror published a new Release between the two builds (the manifest's "mirror state"
# lines differ), the package sets may rightly differ: it says so and does not compare.
set -euo pipefail
cd "$(dirname "$0")/../.."
v=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" meson.build | head -n 1)
next=$(echo "$v" | awk -F. -v OFS=. '{ $NF = $NF + 1; print }')
first=out/vrouter-$v.manifest
manifest=out/vrouter-$next.manifest
[ -f "$first" ] || { echo "repeatable: no $first (run scripts/build-image first)" >&2; exit 1; }
VERSION=$next scripts/build-image
if ! diff <(grep '^# mirror state' "$first") <(grep '^# mirror state' "$manifest") >/dev/null; then
	echo "repeatable: not compared: the mirror changed between the two builds"
	exit 0
fi
if diff -u <(grep -v '^#' "$first") <(grep -v '^#' "$manifest"); then
	echo "repeatable: ok: two builds ($v, $next), the same manifest ($(grep -vc '^#' "$manifest") packages)"
else
	echo "repeatable: FAILED: two builds from the same tree and mirror state differ (above)"
	exit 1
fi
