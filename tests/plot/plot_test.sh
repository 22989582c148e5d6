#!/usr/bin/env bash
# scripts/plot on a small sweep of the ready crash sweep: it writes a PNG per metric and the
# overview, and refuses a runs file and a missing file with their messages.
# Usage: plot_test.sh COORDSIM SOURCE_DIR
set -euo pipefail
coordsim=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$coordsim" sweep "$src/scenarios/crash-sweep.yaml" --set duration=10s --replications 2 \
  --sweep services.inventory.mttf=1h,1min,10s -q --csv "$work/runs.csv" --summary "$work/summary.csv" \
  --differences "$work/differences.csv" >/dev/null
out=$("$src/scripts/plot" "$work/summary.csv" -o "$work/plots")
status=0
expect() {  # expect WHAT ACTUAL WANTED
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got [$2], expected [$3]" >&2; status=1; fi
}
# The metric column (after the swept field and its numeric twin in seconds).
col=$(head -1 "$work/summary.csv" | tr , '\n' | grep -n '^metric$' | cut -d: -f1)
metrics=$(cut -d, -f"$col" "$work/summary.csv" | tail -n +2 | sort -u | wc -l)
expect "summary header" "$(head -1 "$work/summary.csv" | cut -d, -f1-3)" "services.inventory.mttf,services.inventory.mttf_s,pattern"
expect "message" "$out" "scripts/plot: wrote $((metrics + 1)) plots to $work/plots"
for f in overview violated violated_per_txn availability completion_mean_ms; do
  png="$work/plots/$f.png"
  if [ ! -s "$png" ] || [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
    echo "FAIL: $png is not a PNG" >&2
    status=1
  fi
done
set +e
# A runs file is summarised by coordsim merge: the same plots as from the summary.
out_runs=$(COORDSIM="$coordsim" "$src/scripts/plot" "$work/runs.csv" -o "$work/from-runs")
expect "runs file message" "$out_runs" "scripts/plot: wrote $((metrics + 1)) plots to $work/from-runs"
if ! cmp -s "$work/plots/violated_per_txn.png" "$work/from-runs/violated_per_txn.png"; then
  echo "FAIL: the runs file's plot differs from the summary's" >&2; status=1
fi
cp "$work/runs.csv" "$work/alone.csv"
err=$(COORDSIM="$coordsim" "$src/scripts/plot" "$work/alone.csv" -o "$work/x" 2>&1 >/dev/null); rc=$?
expect "runs file without manifest exit" "$rc" 2
case "$err" in "scripts/plot: $work/alone.csv: cannot summarise this runs file: coordsim: $work/alone.manifest.json: cannot read the manifest of $work/alone.csv"*) ;; *) echo "FAIL: runs file without manifest: $err" >&2; status=1 ;; esac
err=$("$src/scripts/plot" "$work/none.csv" -o "$work/x" 2>&1 >/dev/null); rc=$?
expect "missing file exit" "$rc" 2
expect "missing file message" "$err" "scripts/plot: $work/none.csv: cannot read the file (No such file or directory)"
printf 'pattern,request_type,metric,n,mean,sd,ci95_low,ci95_high,interval,t95_low,t95_high\norchestration,all,violated,2,x,0,0,0,t,,\n' >"$work/bad.csv"
err=$("$src/scripts/plot" "$work/bad.csv" -o "$work/x" 2>&1 >/dev/null); rc=$?
expect "bad number exit" "$rc" 2
expect "bad number message" "$err" "scripts/plot: $work/bad.csv:2:5: mean: expected a number, found 'x'"
err=$("$src/scripts/plot" "$work/summary.csv" -o "$work/x" --metrics violatd 2>&1 >/dev/null); rc=$?
expect "unknown metric exit" "$rc" 2
case "$err" in "scripts/plot: --metrics: unknown metric 'violatd'; the summary has "*) ;; *) echo "FAIL: unknown metric message: $err" >&2; status=1 ;; esac
err=$("$src/scripts/plot" "$work/summary.csv" -o "$work/x" --request-type checkout 2>&1 >/dev/null); rc=$?
expect "unknown request type exit" "$rc" 2
expect "unknown request type message" "$err" "scripts/plot: --request-type: unknown request type 'checkout'; the summary has all"
# The timeline of a run's time series: a PNG, and a summary given as a time series refused.
"$coordsim" run "$src/scenarios/ecommerce-order.yaml" -p orchestration -p saga_orchestrated \
  --set duration=10s --timeseries "$work/series.csv" >/dev/null
out2=$("$src/scripts/plot" --timeline "$work/series.csv" -o "$work/tl")
expect "timeline message" "$out2" "scripts/plot: wrote the timeline of 2 patterns to $work/tl/timeline.png"
if [ "$(head -c 8 "$work/tl/timeline.png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
  echo "FAIL: the timeline is not a PNG" >&2
  status=1
fi
err=$("$src/scripts/plot" --timeline "$work/summary.csv" -o "$work/x" 2>&1 >/dev/null); rc=$?
expect "timeline of a summary exit" "$rc" 2
expect "timeline of a summary message" "$err" "scripts/plot: $work/summary.csv:1:1: expected the header of a time series (pattern,t_start_s,t_end_s,metric,node,value), as coordsim run --timeseries writes it"
err=$("$src/scripts/plot" --timeline "$work/series.csv" -o "$work/x" --metrics nope 2>&1 >/dev/null); rc=$?
expect "timeline unknown metric exit" "$rc" 2
case "$err" in "scripts/plot: --metrics: unknown metric 'nope'; the time series has "*) ;; *) echo "FAIL: timeline metric message: $err" >&2; status=1 ;; esac
# The paired differences, from their own file; the summary holds none of them.
out3=$("$src/scripts/plot" "$work/differences.csv" --differences -o "$work/diff")
case "$out3" in "scripts/plot: wrote "*" plots to $work/diff") ;; *) echo "FAIL: differences plot: $out3" >&2; status=1 ;; esac
if grep -q " - " "$work/summary.csv"; then echo "FAIL: the summary holds paired differences" >&2; status=1; fi
expect "differences header" "$(head -1 "$work/differences.csv")" "services.inventory.mttf,services.inventory.mttf_s,pattern,baseline,request_type,metric,n,mean,sd,ci95_low,ci95_high,interval"
err=$("$src/scripts/plot" "$work/summary.csv" --differences -o "$work/x" 2>&1 >/dev/null); rc=$?
expect "summary as differences exit" "$rc" 2
expect "summary as differences message" "$err" "scripts/plot: $work/summary.csv:1:1: expected the paired differences that coordsim sweep --differences writes, a header ending in pattern,baseline,request_type,metric,n,mean,sd,ci95_low,ci95_high,interval"
[ $status -eq 0 ] && echo "ok: $out"
exit $status
