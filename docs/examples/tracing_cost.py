#!/usr/bin/python3
"""Loads a sweep's runs and summary files with pandas and rebuilds the README's table of
what tracing costs (scenarios/tracing-cost.yaml).

    coordsim sweep scenarios/tracing-cost.yaml --csv runs.csv --summary summary.csv
    docs/examples/tracing_cost.py runs.csv summary.csv
"""
import sys

import pandas as pd

runs = pd.read_csv(sys.argv[1])
summary = pd.read_csv(sys.argv[2])
axes = ["tracing.sample", "tracing.collector.collect"]

# The runs file: one row per run (and request type). The mean over replications of a
# metric is the summary's mean.
mean_of_runs = (runs[runs.request_type == "all"]
                .groupby(axes + ["pattern"])["completion_mean_ms"].mean())

# The summary: one row per point, pattern, request type and metric.
s = summary[summary.request_type == "all"]
wide = s.pivot_table(index=axes + ["pattern"], columns="metric", values="mean")
low = s[s.metric == "trace_completeness"].set_index(axes + ["pattern"])["ci95_low"]
high = s[s.metric == "trace_completeness"].set_index(axes + ["pattern"])["ci95_high"]
assert (abs(wide["completion_mean_ms"] - mean_of_runs) < 1e-3 * mean_of_runs).all()

print("| pattern | sampled | collector per span | completion mean | extra latency "
      "| messages per txn | spans lost per txn | complete traces [95%] |")
print("|---|---|---|---|---|---|---|---|")
for pattern in ["orchestration", "choreography"]:
    for sample in [0.01, 1]:
        for collect in ["1ms", "5ms"]:
            key = (sample, collect, pattern)
            row = wide.loc[key]
            base = wide.loc[(0, collect, pattern)]  # the same point without tracing
            print(f"| {pattern} | {sample * 100:g}% | {collect} "
                  f"| {row.completion_mean_ms:.2f} ms "
                  f"| +{row.completion_mean_ms - base.completion_mean_ms:.2f} ms "
                  f"| {row.messages_per_txn:.2f} (+{row.messages_per_txn - base.messages_per_txn:.2f}) "
                  f"| {row.spans_lost_per_txn:.3f} "
                  f"| {row.trace_completeness * 100:.1f}% "
                  f"[{low[key] * 100:.1f}, {high[key] * 100:.1f}] |")
