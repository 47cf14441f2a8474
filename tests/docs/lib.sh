# Sourced by the tests that run the operator docs' command blocks as written.
# doc_block NAME prints the block named NAME (<!-- doc-test: NAME --> above its ```sh fence) of
# the docs below; tests/docs/check.sh makes sure that every block of them is run by a test.
doc_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
doc_files=("$doc_top/docs/operators.md" "$doc_top/docs/image.md" "$doc_top/docs/protocol.md")
doc_block() { # NAME
	python3 "$doc_top/tests/docs/blocks.py" get "$1" "${doc_files[@]}"
}
