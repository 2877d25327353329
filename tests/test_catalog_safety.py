"""Catalogs are data, not code (issue 18): a catalog, or a parameter value, from which intake would run code is refused
in one line, exit 2, on every way a catalog arrives (`prepare --catalog`, `ATMODIST_CATALOG`, `run --data.catalog`,
a `--config` file), and nothing runs: each escape below creates a marker file when intake is let at it."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent / 'atmodist'

ESCAPES = {  # name: the `sources:` of a catalog; {m} is the marker file the escape would create
    'the issue probe (jinja in args)': """
  d:
    driver: zarr
    args: {{urlpath: "/tmp/x{{{{ cycler.__init__.__globals__.os.popen('touch {m}').read() }}}}"}}""",
    'jinja statements only (a class walk) in metadata': """
  d:
    driver: zarr
    metadata: {{note: "{{% for c in ''.__class__.__mro__[1].__subclasses__() %}}\
{{% if c.__name__ == 'catch_warnings' %}}\
{{% set _ = c()._module.__builtins__['__import__']('os').system('touch {m}') %}}{{% endif %}}{{% endfor %}}"}}
    args: {{urlpath: /tmp/y.zarr}}""",
    'jinja in a parameter default': """
  d:
    driver: zarr
    parameters:
      path:
        type: str
        description: p
        default: "{{{{ DATA_DIR }}}}{{{{ lipsum.__globals__.os.popen('touch {m}').read() }}}}"
    args: {{urlpath: "{{{{ path }}}}"}}""",
    'plugins: imports a module': """
  d: {{driver: zarr, args: {{urlpath: /tmp/y.zarr}}}}
plugins: {{source: [{{module: evilmod}}]}}""",
    'cls: an entry that is a Python call': """
  d: {{cls: subprocess.run, driver: zarr, args: [[touch, {m}]]}}""",
}
WAYS = ('prepare --catalog', 'ATMODIST_CATALOG', 'run --data.catalog', 'run --config')

def _atmodist(args, env, cwd):
    return subprocess.run([str(BIN), *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)

def _refused(r, marker, *outs) -> str:
    "Nothing ran, exit 2, one line on stderr naming the catalog, no traceback, no output written; returns the line."
    assert not marker.exists(), 'the catalog ran code'
    assert r.returncode == 2, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('atmodist: catalog ') and 'Traceback' not in r.stderr, r.stderr
    for o in outs: assert not o.exists(), f'left {o}'
    return lines[0]

def _escape(env, tmp_path, escape, way):
    "Write the catalog of `escape` (and the module plugins: names), run `atmodist` with it the given `way`, check."
    m, cat = tmp_path / 'MARKER', tmp_path / 'evil.yaml'
    cat.write_text('metadata: {version: 1}\nsources:' + ESCAPES[escape].format(m=m) + '\n')
    (tmp_path / 'evilmod.py').write_text(f"open({str(m)!r}, 'w').write('imported')\n")
    e = {**env, 'PYTHONPATH': os.pathsep.join(p for p in (env.get('PYTHONPATH'), str(tmp_path)) if p)}
    out, run = tmp_path / 'o.zarr', tmp_path / 'run'
    if way == 'prepare --catalog':
        r = _atmodist(['prepare', 'd', '--catalog', cat, '--out', out, '--dry-run'], e, tmp_path)
    elif way == 'ATMODIST_CATALOG':
        r = _atmodist(['prepare', 'd', '--out', out, '--dry-run'], {**e, 'ATMODIST_CATALOG': str(cat)}, tmp_path)
    elif way == 'run --data.catalog':
        r = _atmodist(['run', '--preset', 'smoke', '--data.source', 'd', '--data.catalog', cat, '--out', run],
                      e, tmp_path)
    else:
        (tmp_path / 'config.json').write_text(json.dumps({'data': {'source': 'd', 'catalog': str(cat)}}))
        r = _atmodist(['run', '--config', tmp_path / 'config.json', '--dry-run'], e, tmp_path)
    line = _refused(r, m, out, run)
    assert str(cat) in line and ("entry 'd'" in line or "'plugins'" in line), line

@pytest.mark.parametrize('way', WAYS)
def test_the_issue_probe_is_refused_every_way(env, tmp_path, way):
    "The probe of issue 18 through each way a catalog arrives."
    _escape(env, tmp_path, 'the issue probe (jinja in args)', way)

@pytest.mark.parametrize('escape', list(ESCAPES)[1:])
def test_other_escapes_are_refused(env, tmp_path, escape):
    "Jinja statements, templates in parameter defaults, plugins:, cls: (through --catalog; every way meets one check)."
    _escape(env, tmp_path, escape, 'prepare --catalog')

def test_template_in_a_parameter_value_is_refused(env, tmp_path):
    "A config.json from elsewhere may carry the template in `data.params` instead: intake renders parameter values too."
    m = tmp_path / 'MARKER'
    path = f"{{{{ lipsum.__globals__.os.popen('touch {m}').read() }}}}"
    (tmp_path / 'config.json').write_text(json.dumps({'data': {'source': 'swe_default', 'params': {'path': path}}}))
    r = _atmodist(['run', '--config', tmp_path / 'config.json', '--dry-run'], env, tmp_path)
    assert not m.exists() and r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "parameter path of data source 'swe_default' holds template code" in lines[0], r.stderr

def test_shipped_catalog_passes():
    "The shipped catalog (placeholders and `{{ path | replace(...) }}` only) passes the check and builds every entry."
    from atmodist_nb.data.catalog import catalog_spec, load_source
    shipped = Path(__file__).parents[1] / 'catalogs' / 'atmodist.yaml'
    spec = catalog_spec(shipped)
    assert sorted(spec['sources']) == ['era5_arco', 'era5_local', 'era5_local_uv', 'era5_wb2', 'hurdat2', 'prepared',
                                       'swe_default']
    for name in spec['sources']: load_source(name, shipped)

def test_folder_that_is_not_a_store(cli, tmp_path):
    "An existing folder without a zarr store in it is named as such, not as missing (an entry's: 02_data.catalog)."
    (tmp_path / 'notastore').mkdir(); (tmp_path / 'notastore' / 'a.txt').write_text('x')
    r = cli('prepare', tmp_path / 'notastore', '--out', tmp_path / 'o.zarr', '--dry-run')
    assert r.returncode == 2 and 'notastore is a folder but not a zarr store' in r.stderr, r.stderr[-2000:]
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / 'o.zarr').exists()
