#!/usr/bin/env python3
"""Runs a command and prints, after its own output, the CPU time (user + system) of each
of its threads, read from /proc every 50 ms (Linux only).

    python3 crates/statements/benches/threads.py target/release/examples/bench parse FILE

A thread's last reading before it ends is kept, so each figure is short by at most
50 ms of that thread's work. On a quiet machine the wall time of a two-thread run is
about the larger of the two threads' figures.
"""
import os
import subprocess
import sys
import time

tick = os.sysconf("SC_CLK_TCK")
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
seen = {}
start = time.time()
while proc.poll() is None:
    try:
        tids = os.listdir(f"/proc/{proc.pid}/task")
    except OSError:
        tids = []
    for tid in tids:
        try:
            with open(f"/proc/{proc.pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seen[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    time.sleep(0.05)
wall = time.time() - start
print(proc.stdout.read().decode().strip())
total = sum(cpu for _, cpu in seen.values())
print(
    "threads:",
    ", ".join(f"{name} {cpu:.2f} s" for name, cpu in seen.values()),
    f"| sum {total:.2f} s | wall {wall:.2f} s",
)
