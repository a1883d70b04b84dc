#!/bin/sh
# Side by side: arsync's read_items and openpyxl (read-only) on the same generated workbook,
# alternating so both see the same machine load. Run from the workspace root:
#
#     crates/sheets/examples/bench_sheets.sh [rows]
#
# Figures go to docs/BENCHMARKS.md, section "Spreadsheets".
set -eu
rows=${1:-100000}
file=/tmp/arsync-sheets-bench/invoices-$rows.xlsx
venv=/tmp/sheets-venv
cargo build --release -p arsync-sheets --example bench_xlsx
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q openpyxl
fi
target/release/examples/bench_xlsx write "$file" "$rows"
for round in 1 2 3; do
    echo "== round $round: load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "-- arsync read_items (cells read on a second thread while rows are mapped)"
    target/release/examples/bench_xlsx read "$file" 5
    echo "-- arsync read_table + read_items_from_table (one thread)"
    target/release/examples/bench_xlsx read-one-thread "$file" 5
    echo "-- openpyxl"
    "$venv/bin/python" crates/sheets/examples/bench_openpyxl.py "$file" 2
done
