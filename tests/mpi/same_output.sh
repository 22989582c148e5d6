#!/usr/bin/env bash
# A sweep over MPI ranks writes exactly what one process writes: runs, summary, manifest and
# the table on stdout, for mpirun -np 1 and -np 2 (and a sharded sweep under mpirun too).
# Usage: same_output.sh COORDSIM MPIEXEC SOURCE_DIR
set -euo pipefail
coordsim=$1 mpiexec=$2 src=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# As root Open MPI needs these flags; --oversubscribe lets 2 ranks share fewer cores.
mpirun=("$mpiexec" --allow-run-as-root --oversubscribe)
args=("$src/scenarios/ecommerce-order.yaml" --set duration=10s --set warmup=1s --replications 2
      --sweep services.payment.mttf=1h,5min,1min -q)

mkdir "$work/one" "$work/np1" "$work/np2" "$work/shards"
"$coordsim" sweep "${args[@]}" --csv "$work/one/runs.csv" --summary "$work/one/summary.csv" >"$work/one/stdout"
"${mpirun[@]}" -np 1 "$coordsim" sweep "${args[@]}" --csv "$work/np1/runs.csv" --summary "$work/np1/summary.csv" >"$work/np1/stdout"
"${mpirun[@]}" -np 2 "$coordsim" sweep "${args[@]}" --csv "$work/np2/runs.csv" --summary "$work/np2/summary.csv" >"$work/np2/stdout"
"${mpirun[@]}" -np 2 "$coordsim" sweep "${args[@]}" --shard 1/2 --csv "$work/shards/a.csv" >/dev/null
"${mpirun[@]}" -np 2 "$coordsim" sweep "${args[@]}" --shard 2/2 --csv "$work/shards/b.csv" >/dev/null
mkdir "$work/merged"
"$coordsim" merge "$work/shards/a.csv" "$work/shards/b.csv" --csv "$work/merged/runs.csv" \
  --summary "$work/merged/summary.csv" >"$work/merged/stdout"

status=0
for d in np1 np2 merged; do
  for f in runs.csv summary.csv runs.manifest.json stdout; do
    if ! cmp -s "$work/one/$f" "$work/$d/$f"; then
      echo "FAIL: $d/$f differs from the single-process $f" >&2
      diff "$work/one/$f" "$work/$d/$f" | head -5 >&2
      status=1
    fi
  done
done
[ "$(wc -l <"$work/one/runs.csv")" -eq 37 ] || { echo "FAIL: expected 36 runs" >&2; status=1; }
[ $status -eq 0 ] && echo "ok: mpirun -np 1, -np 2 and merged MPI shards match one process byte for byte"
exit $status
