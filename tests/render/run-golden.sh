#!/bin/bash
# Golden service configurations. Every CASE/ directory beside this script holds intent.json,
# the files `vrouterctl render` must write (CASE/expected/, compared with diff -ru) and the
# listing it must print (CASE/files.txt: path, mode, service, change class, JSON Pointer).
# Each written file must have the mode its line gives. A case may also hold intent-next.json
# and next-changes.txt: rendering the next intent must change exactly the files listed there
# (added, removed or changed), e.g. adding a DHCP host touches only its pool's files.
#
#   VROUTER_REGEN=1   rewrite expected/ and files.txt from the current output
#   VALGRIND=1        run vrouterctl under valgrind; any error or leak fails the case
set -u
ctl=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run=("$ctl")
if [ "${VALGRIND:-}" = 1 ]; then
	run=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all "$ctl")
fi
pass=0 fail=0
for case in "$dir"/*/; do
	case=${case%/}
	name=${case##*/}
	[ -f "$case/intent.json" ] || continue
	out=$tmp/$name
	if ! "${run[@]}" render "$case/intent.json" "$out" --confdir /etc/vrouter \
		>"$tmp/$name.list" 2>"$tmp/$name.err"; then
		echo "FAIL $name: vrouterctl render failed:"
		sed 's/^/    /' "$tmp/$name.err"
		fail=$((fail + 1))
		continue
	fi
	if [ -s "$tmp/$name.err" ]; then
		echo "FAIL $name: vrouterctl render wrote to stderr:"
		sed 's/^/    /' "$tmp/$name.err"
		fail=$((fail + 1))
		continue
	fi
	ok=1
	while read -r path mode _; do
		actual=$(stat -c %a "$out/$path" 2>/dev/null || echo missing)
		if [ "$actual" != "${mode#0}" ]; then
			echo "FAIL $name: $path has mode $actual, the listing says $mode"
			ok=0
		fi
	done <"$tmp/$name.list"
	if [ "${VROUTER_REGEN:-}" = 1 ]; then
		rm -rf "$case/expected"
		cp -r "$out" "$case/expected"
		cp "$tmp/$name.list" "$case/files.txt"
		echo "regenerated $name"
	fi
	mkdir -p "$tmp/empty"
	expected=$case/expected
	[ -d "$expected" ] || expected=$tmp/empty
	diff -ru "$expected" "$out" || ok=0
	diff -u "$case/files.txt" "$tmp/$name.list" || ok=0
	if [ -f "$case/intent-next.json" ]; then
		if "${run[@]}" render "$case/intent-next.json" "$out.next" --confdir /etc/vrouter \
			>/dev/null 2>"$tmp/$name.err"; then
			# "Only in DIR: FILE" or "Files A and B differ", as paths relative to DIR.
			diff -rq "$out" "$out.next" |
				sed -E "s|^Only in ([^:]*): (.*)|\1/\2|; s|^Files ([^ ]*) and .*|\1|" |
				sed -E "s|^$out(\.next)?/||" | sort -u >"$tmp/$name.changes"
			diff -u "$case/next-changes.txt" "$tmp/$name.changes" || ok=0
		else
			echo "FAIL $name: vrouterctl render of intent-next.json failed:"
			sed 's/^/    /' "$tmp/$name.err"
			ok=0
		fi
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		fail=$((fail + 1))
	fi
done
[ $((pass + fail)) -ge 1 ] || { echo "no test case in $dir"; exit 1; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
