"""Python peers for the statement parser benchmark (see docs/BENCHMARKS.md).

usage: python peer.py [--etree] FILE...   (needs: pip install pycamt mt-940 ofxparse)

camt.053 is read with `pycamt` (Camt053Parser.from_file + get_transactions), MT940 with
the `mt-940` package, OFX with `ofxparse`. `--etree` reads camt with the standard library's
streaming `xml.etree.ElementTree.iterparse` instead (entries, amounts and references only,
elements cleared as they are read), a lower bound on the work a full parser does.
"""
import os
import resource
import sys
import time
from decimal import Decimal


def parse_mt940(path):
    import mt940

    transactions = mt940.parse(path)
    return sum(1 for _ in transactions)


def parse_ofx(path):
    import ofxparse

    with open(path, "rb") as f:
        ofx = ofxparse.OfxParser.parse(f)
    return sum(len(a.statement.transactions) for a in ofx.accounts)


def parse_pycamt(path):
    from pycamt.parser import Camt053Parser

    parser = Camt053Parser.from_file(path)
    return len(parser.get_transactions())


def parse_camt(path):
    import xml.etree.ElementTree as ET

    n = 0
    total = Decimal(0)
    for _, el in ET.iterparse(path, events=("end",)):
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "Ntry":
            amt = el.find("{*}Amt")
            ind = el.find("{*}CdtDbtInd")
            ref = el.find("{*}AcctSvcrRef")
            e2e = el.find(".//{*}EndToEndId")
            value = Decimal(amt.text)
            total += value if ind.text == "CRDT" else -value
            _ = (ref.text if ref is not None else None, e2e.text if e2e is not None else None)
            n += 1
            el.clear()
    return n


def main():
    etree = "--etree" in sys.argv[1:]
    for path in [a for a in sys.argv[1:] if a != "--etree"]:
        if path.endswith(".sta"):
            kind, fn = "mt-940 " + __import__("mt940").__version__, parse_mt940
        elif path.endswith(".ofx"):
            kind, fn = "ofxparse", parse_ofx
        elif etree:
            kind, fn = "ElementTree.iterparse", parse_camt
        else:
            from importlib.metadata import version

            kind, fn = "pycamt " + version("pycamt"), parse_pycamt
        # The size from the file system: reading the file here would count it in the
        # peer's peak memory.
        size = os.path.getsize(path)
        before = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = before.ru_utime + before.ru_stime
        start = time.perf_counter()
        n = fn(path)
        secs = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        peak = usage.ru_maxrss // 1024
        mb = size / 1e6
        print(
            f"{path}: {kind} | {mb:.1f} MB | {n} entries | {secs:.3f} s | "
            f"{mb / secs:.1f} MB/s | {n / secs:.0f} entries/s | "
            f"cpu {cpu:.2f} s = {mb / cpu:.2f} MB/s | peak RSS {peak} MB"
        )


if __name__ == "__main__":
    main()
