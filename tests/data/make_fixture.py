#!/usr/bin/env python3
"""Writes tests/data/results-2core.json and results-2core-after.json: the fixed inputs of the
report tests. They are modelled on a 2-core run of `gdlab matrix` (costs of the same order as
DESIGN.md section 4), not measured, so that every feature of a report is exercised by a known
file: oversubscribed, noisy and low-parallelism cells, a non-deterministic pattern, a negative
overhead, a skipped cell and primitive costs. The metrics follow DESIGN.md section 3.

    python3 tests/data/make_fixture.py      # rewrite both files (then regenerate the goldens)
"""
import json, math, os, random

HERE = os.path.dirname(os.path.abspath(__file__))


def ci_median(xs):
    s = sorted(xs)
    return s[len(s) // 2], s[0], s[-1], s[0], s[-1]  # n = 5: ranks 1 and 5 give 94% coverage


def make(seed, slowdown, commit, compiler):
    rnd = random.Random(seed)
    patterns = [  # name, deterministic, fixed overhead per step (µs) at p threads, parallel share
        ("sequential", True, lambda p: 0.0, 0.0),
        ("thread_spawn", True, lambda p: 70.0 * p, 0.97),
        ("thread_pool", True, lambda p: 6.0 * p, 0.97),
        ("openmp", True, lambda p: 1.5 * p, 0.975),
        ("thread_mutex", False, lambda p: 9.0 * p, 0.95),
    ]
    threads, batches = [1, 2, 4], [16, 64, 256]
    cells = []
    seq = {}
    for batch in batches:
        shards_list = sorted({max(1, batch // 64), 1})
        for shards in shards_list:
            for name, det, over, par in patterns:
                for p in threads:
                    if name == "sequential" and p != 1:
                        continue
                    if name != "sequential" and shards != max(1, batch // 64):
                        continue
                    if name == "thread_mutex" and batch == 16 and p == 4:
                        continue  # recorded as skipped
                    work = (batch * 11.5 + 60 + 8 * shards) * 1e-6 * slowdown
                    eff_p = min(p, 2)
                    t = work * (1 - par) + work * par / eff_p + over(p) * 1e-6 if name != "sequential" else work
                    if p > 2:
                        t *= 1.18  # time slicing on 2 CPUs
                    steps = max(10, math.ceil(8192 / batch))
                    spread = 0.25 if (name == "thread_mutex" and batch == 64 and p == 2) else 0.02
                    reps = [t * steps * (1 + rnd.uniform(-spread, spread)) for _ in range(5)]
                    busy = 1.0 if name == "sequential" else min(p, 2) * (0.55 if name == "thread_spawn" and batch == 16 else 0.985)
                    cpu = [r * busy for r in reps]
                    med, lo, hi, cl, ch = ci_median(reps)
                    cells.append(dict(pattern=name, threads=p, batch=batch, shards=shards, steps=steps,
                                      deterministic=det, complete=True, rep_seconds=reps, rep_cpu_seconds=cpu,
                                      step_seconds=dict(median=med / steps, min=lo / steps, max=hi / steps,
                                                        ci95_low=cl / steps, ci95_high=ch / steps),
                                      cpu_seconds_median=sorted(cpu)[2], parallelism=sorted(cpu)[2] / med,
                                      final_loss=2.1 - 0.0004 * batch, checksum="", flags=[]))
    # Derived metrics, as the harness defines them.
    def find(name, p, batch, shards):
        for c in cells:
            if (c["pattern"], c["threads"], c["batch"], c["shards"]) == (name, p, batch, shards):
                return c
    for c in cells:
        s = find("sequential", 1, c["batch"], c["shards"])
        best = min(x["step_seconds"]["median"] for x in cells if x["pattern"] == "sequential" and x["batch"] == c["batch"])
        one = find(c["pattern"], 1, c["batch"], c["shards"])
        tp, p = c["step_seconds"]["median"], c["threads"]
        c["speedup"] = s["step_seconds"]["median"] / tp
        c["speedup_best"] = best / tp
        c["speedup_relative"] = one["step_seconds"]["median"] / tp if one else None
        c["efficiency"] = c["speedup"] / p
        c["karp_flatt"] = (1 / c["speedup"] - 1 / p) / (1 - 1 / p) if p > 1 else None
        c["overhead_per_step_seconds"] = (p * tp - s["step_seconds"]["median"]) / p
        c["samples_per_second"] = c["batch"] / tp
        det_sum = "9f3a1c22d4e5b6a7" if c["deterministic"] else "0c%014x" % rnd.getrandbits(56)
        c["checksum"] = f"{det_sum}-{c['batch']}-{c['shards']}"
        c["matches_sequential"] = c["deterministic"]
        flags = []
        if p > 2:
            flags.append("oversubscribed")
        if c["parallelism"] < 0.7 * min(p, 2) and p > 1:
            flags.append("low_parallelism")
        if (c["step_seconds"]["max"] - c["step_seconds"]["min"]) / tp > 0.2:
            flags.append("noisy")
        if not c["deterministic"]:
            flags.append("checksum_differs")
        c["flags"] = flags
        # thread_pool times its workers' busy periods: useful parallelism and imbalance.
        busy = c["pattern"] == "thread_pool"
        c["rep_useful_parallelism"] = [0.93 * min(p, 2) * (1 + 0.01 * i) for i in range(5)] if busy else []
        c["rep_imbalance"] = [1.0 + 0.02 * p + 0.005 * i for i in range(5)] if busy else []
        c["useful_parallelism"] = sorted(c["rep_useful_parallelism"])[2] if busy else None
        c["imbalance"] = sorted(c["rep_imbalance"])[2] if busy else None
    # A negative overhead (super-linear cell: caches) to exercise that branch.
    c = find("openmp", 2, 256, 4)
    tseq = find("sequential", 1, 256, 4)["step_seconds"]["median"]
    k = (tseq / 2.02) / c["step_seconds"]["median"]
    for key in ("median", "min", "max", "ci95_low", "ci95_high"):
        c["step_seconds"][key] *= k
    c["rep_seconds"] = [x * k for x in c["rep_seconds"]]
    tp = c["step_seconds"]["median"]
    c["speedup"] = tseq / tp
    c["efficiency"] = c["speedup"] / 2
    c["karp_flatt"] = (1 / c["speedup"] - 0.5) / 0.5
    c["overhead_per_step_seconds"] = (2 * tp - tseq) / 2
    c["samples_per_second"] = 256 / tp
    one = find("openmp", 1, 256, 4)
    c["speedup_relative"] = one["step_seconds"]["median"] / tp
    c["speedup_best"] = min(x["step_seconds"]["median"] for x in cells if x["pattern"] == "sequential" and x["batch"] == 256) / tp
    return {
        "schema": "gdlab-results", "version": 1,
        "environment": {
            "cpu_model": "AMD EPYC 9R14 96-Core Processor", "cpus_available": 2, "compiler": compiler,
            "flags": "-O3 -DNDEBUG -Wall -Wextra -ffp-contract=off -march=native",
            "kernel_library": "Eigen 3.4.0",
            "libraries": {"boost": "1.81.0", "eigen": "3.4.0", "google_benchmark": "1.7.1", "onetbb": "2021.8.0",
                          "openmp": "4.5 (spec 201511)"},
            "git_commit": commit, "env": {"OMP_WAIT_POLICY": "ACTIVE"},
            "date": "2026-11-25T14:00:00Z", "command_line": "gdlab matrix --out results/fixture.json",
            "hostname": "fixture-box"},
        "config": {"patterns": [p[0] for p in patterns], "threads": threads, "batches": batches, "shards": [0],
                   "layers": "784-256-128-10", "data": "synthetic", "seed": 1, "steps": 0, "rep_samples": 8192,
                   "samples": 0, "warmup": 3, "reps": 5},
        "cells": cells,
        "skipped": [{"pattern": "thread_mutex", "threads": 4, "batch": 16, "shards": 1,
                     "reason": "left out of the fixture to show a skipped cell"}],
        "primitives": [
            {"name": "std::thread create+join", "threads": 2, "microseconds": 36.0},
            {"name": "std::async round trip", "threads": 2, "microseconds": 39.0},
            {"name": "mutex+condvar handoff", "threads": 2, "microseconds": 32.0},
            {"name": "binary_semaphore handoff", "threads": 2, "microseconds": 4.2},
            {"name": "std::barrier arrive_and_wait", "threads": 2, "microseconds": 2.1},
            {"name": "omp parallel (empty)", "threads": 2, "microseconds": 0.59},
            {"name": "omp barrier", "threads": 2, "microseconds": 0.32}]}


for name, args in (("results-2core.json", (1, 1.0, "a898492", "GNU 12.2.0")),
                   ("results-2core-after.json", (2, 0.93, "b0c0d0e", "GNU 12.2.0"))):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(make(*args), f, indent=2)
        f.write("\n")
