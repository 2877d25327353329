"The docs site (scripts/build_docs.py): three real chapters built with execution; tiny made-up ones for plots, errors."
import importlib.util, json, os, re, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / 'scripts' / 'build_docs.py'
_spec = importlib.util.spec_from_file_location('build_docs', SCRIPT)
bd = importlib.util.module_from_spec(_spec); sys.modules['build_docs'] = bd; _spec.loader.exec_module(bd)
CHAPTERS = ['index', '00_core', '04_data.pairs']

def _sidebar(page: str) -> list[str]:
    nav = re.search(r'<nav class="sidebar">(.*?)</nav>', page, re.S)[1]
    return re.findall(r'<li[^>]*><a href="([^"]+)"', nav)

def _no_machine_paths(text: str):
    for p in (str(ROOT), '/tmp/', os.path.expanduser('~') + '/'):
        assert p not in text, f"machine path {p!r} in the site"

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs') / '_docs'
    r = subprocess.run([sys.executable, str(SCRIPT), '--only', *CHAPTERS, '--out', str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return out

def test_pages_sidebar_and_links(site):
    names = [bd.page_name(ROOT / 'nbs' / f'{c}.ipynb') for c in CHAPTERS]
    assert names == ['index.html', 'core.html', 'data.pairs.html']
    for n in names:
        page = (site / n).read_text()
        assert _sidebar(page) == names                      # every page lists every page, in reading order
        assert f'<li class="active"><a href="{n}"' in page
        _no_machine_paths(page)
    assert bd.broken_links(site) == []
    assert (site / 'images' / 'demo_spectra.png').is_file()  # the README figure the index shows

def test_outputs_and_api_docs(site):
    core, pairs = (site / 'core.html').read_text(), (site / 'data.pairs.html').read_text()
    for page in (core, pairs):
        assert page.count('class="output_area"') >= 5          # executed: the cells' results are on the page
        assert page.count('output_markdown') >= 3              # show_doc blocks for the exported API
    assert '<h3 id="AtmoError"' in core and 'id="atmoerror"' in core   # the anchor nbdev's doc links use
    assert '#| export' not in core and 'nbdev_export' not in core      # export cells and directives are gone
    assert '{target=' not in core

def _nb(cells: list[tuple[str, str]]) -> dict:
    return {'cells': [{'cell_type': k, 'id': f'{i:08x}', 'metadata': {}, 'source': s,
                       **({'outputs': [], 'execution_count': None} if k == 'code' else {})} for i,
                       (k, s) in enumerate(cells)],
            'metadata': {'kernelspec': {'name': 'python3', 'language': 'python', 'display_name': 'Python 3'}},
            'nbformat': 4, 'nbformat_minor': 5}

def test_plots_flags_and_failures(tmp_path, capsys):
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    (nbs / '00_plot.ipynb').write_text(json.dumps(_nb([
        ('markdown', '# Plot\n> A made-up chapter'),
        ('code', 'import os, matplotlib.pyplot as plt\nprint("cwd", os.getcwd())'),
        ('code', 'plt.plot([0, 1], [1, 0]);'),
        ('code', '#| slow\nprint("slow cell ran")'),
        ('code', '#| cuda\nraise RuntimeError("cuda cells must be skipped")')])))
    out = tmp_path / 'site'
    bd.build([nbs / '00_plot.ipynb'], out, workers=1)
    page = (out / 'plot.html').read_text()
    figs = list((out / 'figures' / 'plot').glob('*.png'))
    assert len(figs) == 1 and figs[0].read_bytes()[:4] == b'\x89PNG'
    assert f'src="figures/plot/{figs[0].name}"' in page and 'slow cell ran' in page
    _no_machine_paths(page)
    (nbs / '01_bad.ipynb').write_text(json.dumps(_nb([('markdown', '# Bad'), ('code', 'x = 1'), ('code', '1 / 0')])))
    with pytest.raises(SystemExit, match='1 notebook'):
        bd.build([nbs / '01_bad.ipynb'], tmp_path / 'site2', workers=1)
    err = capsys.readouterr().err
    assert '01_bad.ipynb: cell 2 (id 00000002) raised ZeroDivisionError' in err
