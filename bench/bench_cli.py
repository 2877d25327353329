#!/usr/bin/env python
"""Start-up cost of the command line: `atmodist --help` against `python -c pass` (wall, CPU and peak RSS of each run).

  python bench/bench_cli.py              # 7 runs each; writes bench/out/cli.json
"""
from __future__ import annotations
import argparse, json, os, platform, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'bench' / 'out' / 'cli.json'


def runs(cmd: list[str], n: int) -> dict:
    "Median, min and max over `n` runs of wall seconds, CPU seconds and peak RSS (MB) of the child."
    rows = []
    for _ in range(n):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode: sys.exit(f"{' '.join(cmd)} exited with {p.returncode}")
        rows.append({'wall_s': time.perf_counter() - t0, 'cpu_s': ru.ru_utime + ru.ru_stime, 'peak_rss_mb': ru.ru_maxrss / 1024})
    return {k: {s: round(f([r[k] for r in rows]), 3) for s, f in (('median', statistics.median), ('min', min), ('max', max))} for k in rows[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runs', type=int, default=7)
    a = ap.parse_args()
    atmodist = Path(sys.executable).parent / 'atmodist'
    res = dict(machine=f"{platform.machine()}, {os.cpu_count()} cores", date=time.strftime('%Y-%m-%d %H:%M'), runs=a.runs,
               atmodist_help=runs([str(atmodist), '--help'], a.runs), python_pass=runs([sys.executable, '-c', 'pass'], a.runs))
    OUT.parent.mkdir(exist_ok=True); OUT.write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
