#!/usr/bin/env python
"""Run the notebooks and keep their teaching outputs in `nbs/` (what `make outputs` runs), so that a chapter opened on
GitHub or in Jupyter shows its tables and figures without being run.

Cells run as `nbdev_test` runs them (`scripts/build_docs.py`'s executor: slow cells included, cuda cells skipped). What is
kept: the outputs of visible code cells (not `#| hide`, not exports), machine paths scrubbed, long text cut to its first
and last lines, figures as PNG; the cell sources and ids are not touched. A notebook over its budget (`BUDGET`) is refused
with its largest outputs named, and nothing is written for it.

    python scripts/keep_outputs.py                   # every notebook
    python scripts/keep_outputs.py --only 04_data.pairs 12_distance
"""
from __future__ import annotations
import argparse, json, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_docs import ROOT, execute_nb, notebook_order, scrub, select, settings, skip_flags   # noqa: E402

BUDGET = 300_000      # bytes a notebook may take with its outputs (tests/test_hygiene.py checks it)
MAX_TEXT_LINES = 40   # a longer text output keeps its first 30 and last 8 lines
HIDDEN = ('#| hide', '#| export', '#| exports', '#| exporti', '#|hide', '#|export')


def _visible(src: str) -> bool:
    "Whether a code cell's outputs belong in the chapter (hidden and export cells keep none)."
    head = [l.strip() for l in src.splitlines() if l.strip().startswith('#|')]
    return not any(h.startswith(HIDDEN) for h in head) and 'nbdev_export(' not in src


def _cut(lines: list[str]) -> list[str]:
    "Long text: its first and last lines, with a marker between."
    text = ''.join(lines).splitlines(True)
    if len(text) <= MAX_TEXT_LINES: return text
    return text[:30] + [f'… ({len(text) - 38} lines not kept) …\n'] + text[-8:]


MAX_IMAGE = 60_000     # bytes of a stored PNG (base64): larger figures are quantised to 128 colours, then shrunk
MAX_HTML = 20_000      # a larger HTML view (e.g. xarray's, with its styles) is dropped where plain text says the same


def _small_png(b64: str) -> str:
    "A figure within `MAX_IMAGE`: quantised to 128 colours, then shrunk by 0.8 a side until it fits."
    import base64, io
    from PIL import Image
    if len(b64) <= MAX_IMAGE: return b64
    im = Image.open(io.BytesIO(base64.b64decode(b64))).convert('RGB')
    while True:
        buf = io.BytesIO(); im.quantize(128).save(buf, format='PNG', optimize=True)
        out = base64.b64encode(buf.getvalue()).decode()
        if len(out) <= MAX_IMAGE or im.width < 300: return out
        im = im.resize((int(im.width * 0.8), int(im.height * 0.8)), Image.LANCZOS)


def _clean(out: dict) -> dict | None:
    "One output, scrubbed and trimmed; None for what does not teach (warnings on stderr, widgets, empty text)."
    o = {k: v for k, v in out.items() if k in ('output_type', 'name', 'text', 'data', 'metadata', 'execution_count')}
    if o['output_type'] == 'stream':
        if o.get('name') == 'stderr': return None
        o['text'] = _cut([scrub(s) for s in (o['text'] if isinstance(o['text'], list) else [o['text']])])
        return o if ''.join(o['text']).strip() else None
    if o['output_type'] in ('execute_result', 'display_data'):
        data = {k: v for k, v in (o.get('data') or {}).items() if k in ('text/plain', 'text/markdown', 'text/html', 'image/png')}
        if not data: return None
        if 'text/plain' in data and len(''.join(data.get('text/html', ''))) > MAX_HTML: del data['text/html']
        if 'image/png' in data:
            data['image/png'] = _small_png(''.join(data['image/png']).replace('\n', ''))
        for k, v in list(data.items()):
            if k.startswith('text/'):
                v = [scrub(s) for s in (v if isinstance(v, list) else [v])]
                data[k] = _cut(v) if k == 'text/plain' else v
        o['data'], o['metadata'] = data, {}
        if o['output_type'] == 'execute_result': o['execution_count'] = None
        return o
    return None   # errors never reach here (the run stops), anything else is dropped


def keep(fn: Path, flags: str = 'slow') -> tuple[str, int, int]:
    "Run one notebook and write its kept outputs back; (name, cells with outputs, bytes)."
    from execnb.nbio import read_nb
    from nbdev.process import extract_directives
    nb = read_nb(fn)
    for c in nb.cells:   # read_nb leaves directives unparsed: without them `#| cuda` cells would run
        c.directives_ = extract_directives(c, remove=False) if c.cell_type == 'code' else {}
    execute_nb(nb, fn, skip_flags(flags), True)
    raw = json.loads(fn.read_text(encoding='utf-8'))
    by_id = {c.get('id'): c for c in nb.cells}
    n = 0
    for c in raw['cells']:
        if c['cell_type'] != 'code': continue
        run = by_id.get(c.get('id'))
        outs = [o for o in ((run.get('outputs') or []) if run is not None else []) if o is not None]
        kept = [k for o in outs if (k := _clean(json.loads(json.dumps(o)))) is not None] if _visible(''.join(c['source'])) else []
        c['outputs'], c['execution_count'] = kept, None
        n += bool(kept)
    text = json.dumps(raw, indent=1, ensure_ascii=False) + '\n'
    size = len(text.encode())
    if size > BUDGET:
        big = sorted(((len(json.dumps(c['outputs'])), c.get('id')) for c in raw['cells'] if c['cell_type'] == 'code'), reverse=True)[:3]
        raise SystemExit(f"keep_outputs: {fn.name} would take {size:,} bytes (budget {BUDGET:,}); largest outputs: {big}")
    fn.write_text(text, encoding='utf-8')
    return fn.name, n, size


def _run_one(fn: Path) -> str:
    "Keep one notebook's outputs in a fresh interpreter (a notebook's shell takes over `__main__`); its report line."
    r = subprocess.run([sys.executable, __file__, '--one', str(fn)], capture_output=True, text=True)
    if r.returncode: return f"keep_outputs: {fn.name} FAILED, left as it was:\n{(r.stderr or r.stdout)[-3000:]}"
    return r.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', nargs='+', metavar='NB', help='only these notebooks (00_core, data.pairs, ...)')
    ap.add_argument('--workers', type=int, default=2, help='notebooks run at once (default 2)')
    ap.add_argument('--one', type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one is not None:
        name, n, size = keep(a.one)
        return print(f'keep_outputs: {name}: {n} cells with outputs, {size / 1e3:.0f} KB', flush=True)
    nbs = select(notebook_order(ROOT / settings().get('nbs_path', 'nbs')), a.only)
    t0 = time.time()
    failed = 0
    with ThreadPoolExecutor(a.workers) as ex:
        for line in ex.map(_run_one, nbs): print(line, flush=True); failed += 'FAILED' in line
    print(f'keep_outputs: {len(nbs)} notebooks in {time.time() - t0:.0f} s, {failed} failed; now run nbdev_clean')
    if failed: sys.exit(1)


if __name__ == '__main__': main()
