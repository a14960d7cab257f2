#!/usr/bin/env bash
# The command reference in docs/cli stays true to the binary: every command
# has a page whose front matter names exactly the options and usage that
# 'arca COMMAND --help' prints, and the index links every page.
. "$(dirname "$0")/lib.sh"
docs="$ARCA_SOURCE_DIR/docs/cli"

expect_exit 0 arca --help
# "  name     summary" lines between "commands:" and the next blank line;
# a two-word command ("dataset add") has its page at dataset-add.md.
cmds=$(sed -n '/^commands:/,/^$/p' "$T/stdout" | sed -n 's/^  \([a-z-]*\( [a-z-]*\)\?\)  .*/\1/p' | sed 's/ *$//')
[ -n "$cmds" ] || fail "no commands parsed from arca --help"

while IFS= read -r cmd; do
	page="$docs/${cmd// /-}.md"
	test_case "docs/cli page for '$cmd'"
	[ -f "$page" ] || fail "$page is missing"
	front=$(sed -n '2,/^---$/p' "$page")
	assert_eq "$(sed -n 's/^name: //p' <<<"$front")" "$cmd" "name in $page"
	# shellcheck disable=SC2086
	expect_exit 0 arca $cmd --help
	help_usage=$(sed -n '1s/^usage: //p' "$T/stdout")
	assert_eq "$(sed -n 's/^usage: //p' <<<"$front")" "$help_usage" "usage in $page"
	help_opts=$(sed -n '/^options:/,/^$/p' "$T/stdout" | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z0-9-]*\).*/\2/p' | sort | tr '\n' ' ')
	doc_opts=$(sed -n 's/^options: \[\(.*\)\]$/\1/p' <<<"$front" | tr -d ' ' | tr ',' '\n' | { grep . || true; } | sort | tr '\n' ' ')
	assert_eq "$doc_opts" "$help_opts" "options in $page"
	# every documented option is described in the body
	for o in $doc_opts; do
		grep -q -- "--$o" "$page" || fail "$page does not describe --$o"
	done
	grep -q "](${cmd// /-}.md)" "$docs/README.md" || fail "docs/cli/README.md does not link ${cmd// /-}.md"
done <<<"$cmds"

test_case "no page for a command that does not exist"
for page in "$docs"/*.md; do
	name=$(basename "$page" .md)
	[ "$name" = README ] && continue
	grep -qx "${name//-/ }" <<<"$cmds" || grep -qx "$name" <<<"$cmds" ||
		fail "$page documents '$name', which arca --help does not list"
done
done_testing
