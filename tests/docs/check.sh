#!/bin/bash
# The operator docs' command blocks cannot rot: every ```sh block of docs/operators.md,
# docs/image.md and docs/protocol.md is named (<!-- doc-test: NAME --> above it), and every name
# is run by a test or by scripts/test (`doc_block NAME` of tests/docs/lib.sh, or the wrappers
# `block NAME` and `block_on_router NAME` of tests/image/docs.sh), which runs the block's text as
# the docs show it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top=$doc_top

list=$(python3 "$here/blocks.py" list "${doc_files[@]}") || exit 1
failed=0
while read -r name place; do
	place=${place#"$top"/}
	re="(^|[^a-z_])(doc_block|block|block_on_router) $name([^a-z0-9-]|\$)"
	if grep -rqE "$re" "$top/scripts" "$top/tests" --exclude-dir=docs; then
		echo "ok   $name ($place) is run by $(grep -rlE "$re" "$top/scripts" "$top/tests" \
			--exclude-dir=docs | sed "s|^$top/||" | paste -sd' ')"
	else
		echo "FAIL $name ($place): no test runs it (doc_block $name)"
		failed=1
	fi
done <<<"$list"
[ -n "$list" ] || { echo "FAIL no command block found"; exit 1; }
exit $failed
