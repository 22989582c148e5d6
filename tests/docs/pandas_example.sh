#!/usr/bin/env bash
# The pandas example of docs/output.md (docs/examples/tracing_cost.py): it runs on the
# ready tracing-cost sweep and prints the README's table, row for row; and the docs show
# the example's code as it is.
# Usage: pandas_example.sh COORDSIM SOURCE_DIR
set -euo pipefail
coordsim=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$coordsim" sweep "$src/scenarios/tracing-cost.yaml" --jobs 2 -q --csv "$work/runs.csv" --summary "$work/summary.csv" >/dev/null
"$src/docs/examples/tracing_cost.py" "$work/runs.csv" "$work/summary.csv" >"$work/table.md"
# The README's table: from its header line to the first line that is not a table row.
awk '/^\| pattern \| sampled \|/ {on=1} on && !/^\|/ {exit} on {print}' "$src/README.md" >"$work/readme.md"
status=0
if [ ! -s "$work/readme.md" ]; then echo "FAIL: no tracing-cost table in README.md" >&2; status=1; fi
if ! diff -u "$work/readme.md" "$work/table.md" >&2; then echo "FAIL: README's table differs from the example's" >&2; status=1; fi
# docs/output.md holds the example verbatim in a python block.
awk '/^```python$/ {on=1; next} on && /^```$/ {exit} on {print}' "$src/docs/output.md" >"$work/shown.py"
if ! diff -u "$src/docs/examples/tracing_cost.py" "$work/shown.py" >&2; then echo "FAIL: docs/output.md shows another example" >&2; status=1; fi
[ $status -eq 0 ] && echo "ok: the pandas example reproduces the README's tracing-cost table"
exit $status
