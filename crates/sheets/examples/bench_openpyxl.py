"""Reads the workbook `bench_xlsx write` makes with openpyxl, for docs/BENCHMARKS.md.

    python3 -m venv /tmp/sheets-venv && /tmp/sheets-venv/bin/pip install openpyxl
    /tmp/sheets-venv/bin/python crates/sheets/examples/bench_openpyxl.py \
        /tmp/arsync-sheets-bench/invoices-100k.xlsx [runs]

openpyxl in read-only mode (its streaming reader), every row of the first sheet as a tuple
of cell values, the way a Python script would start reading open items. Prints each run's
time (wall and CPU), the best and median, and the process's peak resident memory (ru_maxrss).
"""

import resource
import statistics
import sys
import time

import openpyxl


def read_rows(path):
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times = []
    cpu_times = []
    rows = []
    for run in range(1, runs + 1):
        started = time.perf_counter()
        cpu_started = time.process_time()
        rows = read_rows(path)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        times.append(elapsed)
        cpu_times.append(cpu)
        print(f"run {run}: {elapsed:.3f} s, cpu {cpu:.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(f"{len(rows)} rows; openpyxl {openpyxl.__version__}, Python {sys.version.split()[0]}")
    print(
        f"best {min(times):.3f} s, median {statistics.median(times):.3f} s over {runs} runs; "
        f"peak RSS {peak_mb:.1f} MB"
    )
    print(f"best cpu {min(cpu_times):.2f} s (user + system)")


if __name__ == "__main__":
    main()
