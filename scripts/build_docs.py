#!/usr/bin/env python
"""Build the documentation site from the notebooks into `_docs/` (what `make docs` runs).

With Quarto installed this hands over to `nbdev_docs`. Without it (the usual case on a compute node) it
builds a static HTML site itself, the way nbdev would:

1. execute each notebook as `nbdev_test` does (cwd = the notebooks' folder, `IN_TEST=1`, cells flagged
   with a `tst_flags` flag skipped unless asked for, `nbdev_export()` cells skipped, the first error fails
   the build naming notebook and cell), 2 notebooks at a time, capturing every output;
2. process the executed notebook with nbdev's own processors (`show_doc` for every export, hidden and
   export cells removed, backtick names linked), as `nbdev_proc_nbs` does;
3. render it to HTML with nbconvert, plots extracted to image files, inside a page with a sidebar in the
   notebooks' order (`nbs/sidebar.yml` if present, else index first, then by file name);
4. check that every internal link and image of every page resolves.

    python scripts/build_docs.py                    # every notebook, executed (slow cells run, cuda cells skipped)
    python scripts/build_docs.py --only 00_core     # a subset
    python scripts/build_docs.py --no-execute       # structure only: API docs, no outputs (seconds)
"""
from __future__ import annotations
import argparse, base64, configparser, html, json
import os, re, shutil, sys, tempfile, time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE_TITLE = 'atmodist_nb'

# ---------------------------------------------------------------- settings and notebook order

def settings() -> configparser.SectionProxy:
    "The project's settings.ini [DEFAULT] section."
    cp = configparser.ConfigParser(); cp.read(ROOT / 'settings.ini')
    return cp['DEFAULT']

def page_name(nb: Path) -> str:
    "The page a notebook becomes, as nbdev names it: `00_core.ipynb` -> `core.html`."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.name.lower()).rsplit('.ipynb', 1)[0] + '.html'

def _sidebar_yml(nbs: Path) -> list[str] | None:
    "Notebook names listed in nbs/sidebar.yml (sections flattened), or None without one."
    f = nbs / 'sidebar.yml'
    if not f.exists(): return None
    import yaml
    out = []
    def walk(x):
        if isinstance(x, str): out.append(x)
        elif isinstance(x, list): [walk(o) for o in x]
        elif isinstance(x, dict): walk(x.get('contents', x.get('href', [])))
    walk(((yaml.safe_load(f.read_text()) or {}).get('website') or {}).get('sidebar', {}))
    return [o for o in out if o.endswith('.ipynb')] or None

def notebook_order(nbs: Path) -> list[Path]:
    "The notebooks in reading order: sidebar.yml if present, else index first, then by file name."
    listed = _sidebar_yml(nbs)
    if listed: return [nbs / o for o in listed if (nbs / o).exists()]
    files = sorted(p for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(files, key=lambda p: (p.stem != 'index', p.name))

def select(order: list[Path], only: list[str] | None) -> list[Path]:
    "The notebooks named by `--only` (file name, stem or page name), in reading order."
    if not only: return order
    want = {o.removesuffix('.ipynb').removesuffix('.html') for o in only}
    sel = [p for p in order if p.stem in want or page_name(p)[:-5] in want]
    missing = want - {p.stem for p in sel} - {page_name(p)[:-5] for p in sel}
    if missing: sys.exit(f"build_docs: no notebook named {sorted(missing)} in nbs/; names look like 00_core or data.pairs")
    return sel

# ---------------------------------------------------------------- no machine paths in the site

def scrub(text: str) -> str:
    "Replace machine paths (checkout, temp folders, home) in an output by neutral placeholders."
    text = text.replace(str(ROOT) + '/', '').replace(str(ROOT), '.')
    tmp = re.escape(tempfile.gettempdir().rstrip('/'))
    text = re.sub(tmp + r'/[\w.\-]+', '<tmp>', text)
    home = os.path.expanduser('~')
    if home not in ('/', ''): text = text.replace(home, '~')
    return text

_re_src_link = re.compile(r'\[source\]\(([^)\s]+)\)\{target="_blank"[^}]*\}')

def _scrub_outputs(cells) -> None:
    "Scrub every text output of `cells` in place; show_doc's Quarto-only link attributes become plain HTML."
    for c in cells:
        for o in c.get('outputs', []) or []:
            if 'text' in o: o['text'] = [scrub(s) for s in o['text']]
            if 'traceback' in o: o['traceback'] = [scrub(s) for s in o['traceback']]
            for k, v in (o.get('data') or {}).items():
                if k == 'text/markdown':
                    v = [_re_src_link.sub(r'<a class="source-link" href="\1">source</a>', s) for s in ([v] if isinstance(v, str) else v)]
                if k.startswith('text/') or k.endswith('json'):
                    o['data'][k] = [scrub(s) for s in v] if isinstance(v, list) else scrub(v) if isinstance(v, str) else v

# ---------------------------------------------------------------- step 1: execute (as nbdev_test)

class CellError(Exception): "A cell raised while the docs were built."

def skip_flags(flags: str) -> set[str]:
    "Flags whose cells are skipped: settings.ini `tst_flags` minus the flags asked for (as nbdev_test)."
    return set(settings().get('tst_flags', '').split()) - set(flags.split())

def _skip(cell, skip: set[str], execute: bool) -> bool:
    "True where a cell is not run: as nbdev_test; without `execute` also every cell but exports, imports and show_doc."
    if cell.cell_type != 'code': return True
    if 'nbdev_export' + '(' in cell.source: return True
    direc = getattr(cell, 'directives_', None) or {}
    if direc.get('eval:', [''])[0].lower() == 'false' or skip & direc.keys(): return True
    if execute: return False
    if direc.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or cell.source.lstrip().startswith('show_doc('): return False
    import ast                                             # without execution: exports, show_doc and import-only cells
    try: body = ast.parse(cell.source).body
    except SyntaxError: return True
    return not body or not all(isinstance(b, (ast.Import, ast.ImportFrom)) for b in body)

def execute_nb(nb, fn: Path, skip: set[str], execute: bool):
    "Run the cells of `nb` (read by execnb, `show_doc` cells added) in place, in `fn`'s folder; raise CellError naming the cell."
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    shell, current = CaptureShell(fn), {}
    shell.run('from nbdev.showdoc import show_doc')
    def pre(cell):
        if _skip(cell, skip, execute): return True
        current['cell'] = cell
    with working_directory(fn.parent):
        try: shell.run_all(nb, exc_stop=True, preproc=pre)
        except BaseException as e:
            c = current.get('cell')
            where = f"cell {c.idx_} (id {c.get('id', '?')})" if c is not None else 'a cell'
            src = '\n    '.join((c.source if c is not None else '').splitlines()[:6])
            tb = scrub(shell.prettytb(fname=fn.name)) if shell.exc is not None else scrub(repr(e))
            raise CellError(f"{fn.name}: {where} raised {type(e).__name__}: {scrub(str(e))}\n    {src}\n{tb}") from None

# ---------------------------------------------------------------- step 2: nbdev's processors

def _doc_procs() -> list:
    "nbdev's docs processors (FilterDefaults) minus the two that add and run show_doc cells: we ran them already."
    from nbdev.processors import FilterDefaults, add_show_docs, exec_show_docs, insert_warning
    drop = {add_show_docs, exec_show_docs, insert_warning}
    return [p for p in FilterDefaults().procs() if p not in drop]

def process_nb(fn: Path, skip: set[str], execute: bool, save: Path | None = None):
    "Read `fn`, add show_doc cells, execute, apply nbdev's docs processors (the result also written to `save/`, as nbdev_proc_nbs would)."
    from execnb.nbio import read_nb, dict2nb
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.processors import populate_language, add_show_docs
    nb = read_nb(fn)
    NBProcessor(nb=nb, procs=[populate_language, add_show_docs], rm_directives=False, process=True)
    execute_nb(nb, fn, skip, execute)
    nb = dict2nb(json.loads(json.dumps(_plain(nb))))
    nb.path_ = str(fn)
    NBProcessor(nb=nb, procs=[FrontmatterProc] + _doc_procs(), process=True)
    _scrub_outputs(nb.cells)
    if save is not None:
        from execnb.nbio import write_nb
        write_nb(nb, save / fn.name)
    return nb

def _plain(x):
    "An execnb notebook as plain JSON-able dicts and lists (private `*_` attributes dropped)."
    if isinstance(x, dict): return {k: _plain(v) for k, v in x.items() if not k.endswith('_')}
    if isinstance(x, (list, tuple)): return [_plain(v) for v in x]
    return x

# ---------------------------------------------------------------- step 3: HTML

_re_qdir = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def _quarto_cell_opts(cell) -> dict[str, str]:
    "Pop the Quarto `#| key: value` lines nbdev leaves at the top of a code cell, returning them."
    lines, opts = cell.source.splitlines(), {}
    while lines and (m := _re_qdir.match(lines[0])): opts[m[1]] = m[2].strip('"\''); lines.pop(0)
    cell.source = '\n'.join(lines)
    return opts

def to_nbformat(nb):
    "The processed notebook as an nbformat notebook for nbconvert, Quarto cell options applied as tags."
    import nbformat
    cells = []
    for c in nb.cells:
        if c.cell_type == 'raw' or not c.get('source') and not c.get('outputs'): continue
        if c.cell_type == 'code':
            opts = _quarto_cell_opts(c)
            if opts.get('include') == 'false': continue
            tags = [t for k, t in (('echo', 'remove_input'), ('output', 'remove_output')) if opts.get(k) == 'false']
            if opts.get('output') == 'asis' or 'show_doc(' in c.source: tags.append('remove_input')
            c = {'cell_type': 'code', 'metadata': {'tags': sorted(set(tags))}, 'source': c.source,
                 'outputs': c.get('outputs', []), 'execution_count': None}
        else:
            att = {'attachments': c.attachments} if c.get('attachments') else {}
            c = {'cell_type': c.cell_type, 'metadata': {}, 'source': c.source, **att}
        cells.append({**c, 'id': f'c{len(cells):07d}'})
    d = {'cells': cells, 'metadata': {'kernelspec': {'name': 'python3', 'language': 'python', 'display_name': 'Python 3'}},
         'nbformat': 4, 'nbformat_minor': 5}
    return nbformat.reads(json.dumps(_plain(d)), as_version=4)

def render_body(nb, stem: str) -> tuple[str, dict[str, bytes]]:
    "Page body HTML of a processed notebook and its extracted figures ({relative path: bytes})."
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    cfg.TagRemovePreprocessor.remove_all_outputs_tags = {'remove_output'}
    cfg.ExtractOutputPreprocessor.enabled = True
    exp = HTMLExporter(config=cfg, template_name='basic', exclude_input_prompt=True, exclude_output_prompt=True)
    body, res = exp.from_notebook_node(to_nbformat(nb), resources={'output_files_dir': f'figures/{stem}', 'unique_key': stem})
    return body, dict(res.get('outputs', {}))

@dataclass
class Page:
    "One notebook rendered: where it goes, its titles, body, figures, and how long it took."
    src: str; name: str; title: str; description: str = ''
    body: str = ''; figures: dict = field(default_factory=dict); seconds: float = 0.0; error: str | None = None

def build_page(fn: str, skip: set[str], execute: bool, save: Path | None = None) -> Page:
    "Execute, process and render one notebook (in a worker process); errors come back in `Page.error`."
    fn, t0 = Path(fn), time.time()
    os.environ['IN_TEST'] = '1'
    os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    sys.path.insert(0, str(ROOT))
    page = Page(fn.name, page_name(fn), fn.stem)
    try:
        nb = process_nb(fn, skip, execute, save)
        fm = getattr(nb, 'frontmatter_', {}) or {}
        page.title, page.description = fm.get('title', fn.stem), fm.get('description', '')
        page.body, page.figures = render_body(nb, page.name[:-5])
    except CellError as e: page.error = str(e)
    except Exception as e:
        import traceback
        page.error = f"{fn.name}: building the page failed: {scrub(''.join(traceback.format_exception(e)))}"
    page.seconds = time.time() - t0
    return page

# ---------------------------------------------------------------- the site: pages, sidebar, links

_CSS = """
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222}
nav.sidebar{position:fixed;top:0;bottom:0;left:0;width:250px;overflow:auto;background:#f6f8fa;border-right:1px solid #ddd;padding:1em}
nav.sidebar a.site{font-weight:700;font-size:1.2em;color:#222;text-decoration:none}
nav.sidebar ol{list-style:none;padding-left:0} nav.sidebar li{margin:.3em 0}
nav.sidebar li.active>a{font-weight:700;color:#000}
main{margin-left:290px;max-width:980px;padding:1em 2em}
p.description{font-size:1.15em;color:#555;margin-top:-.5em}
a.anchor-link{visibility:hidden;text-decoration:none;margin-left:.3em}
h1:hover a.anchor-link,h2:hover a.anchor-link,h3:hover a.anchor-link{visibility:visible}
.cell{margin:.8em 0} .input_area pre,.highlight pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:13.5px;border-radius:4px}
.output_area pre{background:#fff;border-left:3px solid #ccc;padding:.3em .6em;overflow:auto;font-size:13.5px;margin:.3em 0}
.output_stderr pre{border-left-color:#d9a;color:#844}
.output_area img{max-width:100%} .output_markdown{border:1px solid #e3e3e3;border-radius:6px;padding:.2em 1em;margin:.5em 0}
.output_markdown hr{display:none} a.source-link{float:right;font-size:smaller}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:2px 6px}
footer{margin-top:3em;color:#888;font-size:.85em} .build-error pre{border-left:3px solid #c33;color:#833}
"""

def sidebar_html(pages: list[Page], current: str) -> str:
    "The sidebar: the site title and every page in reading order, the current one marked."
    mark = lambda p: ' class="active"' if p.name == current else ''
    items = ''.join(f'<li{mark(p)}><a href="{p.name}">{html.escape(p.title)}</a></li>' for p in pages)
    return f'<nav class="sidebar"><a class="site" href="index.html">{SITE_TITLE}</a><ol>{items}</ol></nav>'

def page_html(page: Page, pages: list[Page]) -> str:
    "A whole HTML page: head, sidebar, title, description, the notebook's body."
    desc = f'<p class="description">{html.escape(page.description)}</p>' if page.description else ''
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>{html.escape(page.title)} – {SITE_TITLE}</title><link rel="stylesheet" href="style.css"></head>\n<body>'
            f'{sidebar_html(pages, page.name)}\n<main><h1 class="title">{html.escape(page.title)}</h1>{desc}\n{page.body}\n'
            f'<footer>Built from nbs/{html.escape(page.src)} by scripts/build_docs.py</footer></main></body></html>\n')

_re_link = re.compile(r'''(href|src)\s*=\s*(["'])(.*?)\2''')
_re_id = re.compile(r'''\bid\s*=\s*(["'])(.*?)\1''')

def _slug(s: str) -> str: return re.sub(r'[^\w.\-]', '', html.unescape(s).strip().lower().replace(' ', '-'))

def _heading_ids(body: str) -> str:
    "Give every heading also a Quarto/nbdev-style lower-case id (`### RunDir.done` -> `rundir.done`), which nbdev's doc links use."
    def fix(m):
        attrs, inner = m[2] or '', m[3]
        old = _re_id.search(attrs)
        slug = _slug(re.sub(r'<[^>]+>', '', inner).replace('¶', ''))
        if not old: return f'<h{m[1]} id="{slug}"{attrs}>{inner}</h{m[1]}>'
        alias = f'<span id="{slug}"></span>' if slug and slug != old[2] else ''
        return f'<h{m[1]}{attrs}>{alias}{inner}</h{m[1]}>'
    return re.sub(r'<h([1-6])(\s[^>]*)?>(.*?)</h\1>', fix, body, flags=re.S)

def localise_links(body: str, pages_by_nb: dict[str, str], ids: dict[str, set[str]]) -> str:
    "Point nbdev's absolute doc links (to pages built here) and links to `*.ipynb` chapters at this site's pages."
    s = settings()
    base = s.get('doc_host', '').rstrip('/') + '/' + s.get('doc_baseurl', '').strip('/') + '/'
    def fix(m):
        url = html.unescape(m[3])
        if base != '//' and url.startswith(base):
            path, _, anchor = url[len(base):].partition('#')
            if path not in ids: return m[0]                      # a page not in this (partial) build: keep the address
            if anchor not in ids[path]: anchor = ''              # a name without its own heading (a method): its page
            url = path + ('#' + anchor if anchor else '')
        path, _, anchor = url.partition('#')
        if path.endswith('.ipynb') and not re.match(r'[\w+.-]+:', path):                # a link to a chapter: its page
            url = pages_by_nb.get(Path(path).name, page_name(Path(path))) + ('#' + anchor if anchor else '')
        return f'{m[1]}={m[2]}{html.escape(url, quote=True)}{m[2]}'
    return _re_link.sub(fix, body)

def copy_local_assets(body: str, out: Path, nbs: Path) -> None:
    "Copy files that markdown cells reference relative to nbs/ (e.g. images/…) into the site."
    for m in _re_link.finditer(body):
        url = html.unescape(m[3]).partition('#')[0]
        if not url or re.match(r'[\w+.-]+:', url) or url.startswith('/') or url.endswith('.html'): continue
        src = (nbs / url).resolve()
        if src.is_file() and nbs.resolve() in src.parents:
            (out / url).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(src, out / url)

def broken_links(out: Path) -> list[str]:
    "Every internal href/src of every page that does not resolve to a file (and, for pages, an element id)."
    ids = {p.name: set(_re_id_all(p.read_text())) for p in out.glob('*.html')}
    bad = []
    for page in sorted(out.glob('*.html')):
        for m in _re_link.finditer(page.read_text()):
            url = html.unescape(m[3])
            if re.match(r'[\w+.-]+:', url) or url.startswith('//'): continue
            path, _, anchor = url.partition('#')
            target = (page.parent / path).resolve() if path else page.resolve()
            if not target.is_file() or out.resolve() not in target.parents: bad.append(f'{page.name}: {url} (no such file)')
            elif anchor and target.suffix == '.html' and anchor not in ids.get(target.name, ()):
                bad.append(f'{page.name}: {url} (no such anchor)')
    return bad

def _re_id_all(text: str) -> list[str]: return [m[2] for m in _re_id.finditer(text)]

def write_site(pages: list[Page], out: Path, nbs: Path) -> None:
    "Write every page, its figures, the stylesheet and the local assets into `out` (the index page is index.html)."
    from pygments.formatters import HtmlFormatter
    by_nb = {p.src: p.name for p in pages}
    for p in pages: p.body = _heading_ids(p.body)
    ids = {p.name: set(_re_id_all(p.body)) for p in pages}
    for p in pages: p.body = localise_links(p.body, by_nb, ids)
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / 'style.css').write_text(_CSS + HtmlFormatter(style='default').get_style_defs('.highlight'))
    for p in pages:
        for rel, data in p.figures.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True); (out / rel).write_bytes(data)
        copy_local_assets(p.body, out, nbs)
        (out / p.name).write_text(page_html(p, pages))
    if not (out / 'index.html').exists() and pages:
        (out / 'index.html').write_text(f'<!DOCTYPE html><meta http-equiv="refresh" content="0; url={pages[0].name}">'
                                        f'<a href="{pages[0].name}">{html.escape(pages[0].title)}</a>\n')

# ---------------------------------------------------------------- driver

def run_workers(nbs: list[Path], skip: set[str], execute: bool, workers: int, save: Path | None = None) -> list[Page]:
    "Build each notebook's page in a fresh Python process (as nbdev_test's workers are), `workers` at a time, in order."
    import subprocess
    tmp, pending, running, done = Path(tempfile.mkdtemp(prefix='build_docs_')), list(nbs), {}, {}
    try:
        while pending or running:
            while pending and len(running) < max(1, workers):
                nb = pending.pop(0); res = tmp / f'{nb.stem}.json'
                cmd = [sys.executable, __file__, '--worker', str(nb), str(res), ' '.join(sorted(skip)), str(int(execute)), str(save or '')]
                running[nb] = (subprocess.Popen(cmd, cwd=ROOT), res)
            for nb, (proc, res) in list(running.items()):
                if proc.poll() is None: continue
                del running[nb]
                page = _read_page(res) if res.exists() else Page(nb.name, page_name(nb), nb.stem,
                                    error=f'{nb.name}: the build process died (exit {proc.returncode}) before writing the page')
                done[nb] = page
                print(f"  {page.src:34s} {page.seconds:6.1f} s  {'FAILED' if page.error else 'ok'}", flush=True)
            time.sleep(0.2)
    finally:
        for proc, _ in running.values(): proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return [done[nb] for nb in nbs]

def _read_page(res: Path) -> Page:
    "A page a worker wrote (figures base64-encoded in JSON)."
    page = Page(**json.loads(res.read_text()))
    page.figures = {k: base64.b64decode(v) for k, v in page.figures.items()}
    return page

def _worker(nb: str, res: str, skip: str, execute: str, save: str) -> None:
    "Entry point of one worker process: build one page and write it to `res` (JSON)."
    page = build_page(nb, set(skip.split()), bool(int(execute)), Path(save) if save else None)
    page.figures = {k: base64.b64encode(v).decode() for k, v in page.figures.items()}
    Path(res + '.part').write_text(json.dumps(asdict(page))); os.replace(res + '.part', res)

def build(nbs: list[Path], out: Path, *, execute: bool = True, flags: str = 'slow', workers: int = 2) -> list[Page]:
    "Build the pages of `nbs` into `out` and check their links; exit non-zero naming each failure."
    skip = skip_flags(flags)
    print(f"build_docs: {len(nbs)} notebooks, {'executed' if execute else 'not executed'}, cells flagged "
          f"{sorted(skip) or 'nothing'} skipped, {workers} workers -> {scrub(str(out))}", flush=True)
    pages = run_workers(nbs, skip, execute, workers)
    failed = [p for p in pages if p.error]
    for p in failed:
        print(f"\n== {p.src} failed:\n{p.error}", file=sys.stderr)
        p.body = f'<div class="build-error"><p>This chapter failed to build:</p><pre>{html.escape(p.error)}</pre></div>'
    write_site(pages, out, nbs[0].parent)          # every page, failed ones saying why, so a partial site can still be read
    bad = broken_links(out)
    for b in bad: print(f"broken link: {b}", file=sys.stderr)
    if failed or bad:
        sys.exit(f"build_docs: {len(failed)} notebook(s) failed ({', '.join(p.src for p in failed) or '-'}), {len(bad)} broken link(s)")
    return pages

def _report_failures(pages: list[Page]) -> None:
    "Print each failed notebook's error and exit non-zero naming them all."
    failed = [p for p in pages if p.error]
    for p in failed: print(f"\n== {p.src} failed:\n{p.error}", file=sys.stderr)
    if failed: sys.exit(f"build_docs: {len(failed)} notebook(s) failed ({', '.join(p.src for p in failed)})")

def quarto_docs(nbs: list[Path], *, flags: str = 'slow', workers: int = 2) -> None:
    "Where Quarto is installed: the notebooks executed and processed as above into nbdev's `_proc/`, then `quarto render` (as nbdev_docs)."
    import subprocess
    from nbdev.config import get_config
    from nbdev.quarto import refresh_quarto_yml
    cfg, src = get_config(), nbs[0].parent
    cache = cfg.config_path / '_proc'
    shutil.rmtree(cache, ignore_errors=True); cache.mkdir()
    _report_failures(run_workers(nbs, skip_flags(flags), True, workers, save=cache))
    refresh_quarto_yml()                                   # nbs/nbdev.yml from settings.ini, as nbdev_docs does
    for f in src.iterdir():                                # the site's other files: _quarto.yml, nbdev.yml, sidebar.yml, images/
        if f.suffix == '.ipynb' or f.name.startswith('.'): continue
        (shutil.copytree if f.is_dir() else shutil.copy2)(f, cache / f.name)
    if not (cache / 'sidebar.yml').exists():
        (cache / 'sidebar.yml').write_text('website:\n  sidebar:\n    contents:\n' + ''.join(f'      - {p.name}\n' for p in nbs))
    subprocess.run(['quarto', 'render', '--no-cache'], cwd=cache, check=True)
    shutil.rmtree(cfg.doc_path, ignore_errors=True)
    shutil.move(str(cache / cfg.doc_path.name), str(cfg.config_path))
    print(f"build_docs: Quarto site in {cfg.doc_path.name}/; open {cfg.doc_path.name}/index.html")

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', nargs='+', metavar='NB', help='build only these notebooks (00_core, data.pairs, index, ...)')
    ap.add_argument('--no-execute', action='store_true', help='do not run the notebooks: API docs and prose only, no outputs')
    ap.add_argument('--flags', default='slow', help="test flags whose cells run anyway (default 'slow'; cuda cells stay skipped)")
    ap.add_argument('--workers', type=int, default=2, help='notebooks built at once (default 2)')
    ap.add_argument('--out', type=Path, default=None, help="output folder (default: settings.ini doc_path, '_docs')")
    ap.add_argument('--static', action='store_true', help='build the static site even where Quarto is installed')
    ap.add_argument('--worker', nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker: return _worker(*a.worker)
    nbs = ROOT / settings().get('nbs_path', 'nbs')
    if shutil.which('quarto') and not (a.static or a.no_execute or a.out):
        return quarto_docs(select(notebook_order(nbs), a.only), flags=a.flags, workers=a.workers)
    out = a.out or ROOT / settings().get('doc_path', '_docs')
    t0 = time.time()
    pages = build(select(notebook_order(nbs), a.only), out.resolve(), execute=not a.no_execute, flags=a.flags, workers=a.workers)
    print(f"build_docs: {len(pages)} pages in {time.time() - t0:.0f} s; open {out / 'index.html'}")

if __name__ == '__main__': main()
