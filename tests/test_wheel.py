"""The package outside its checkout: build the wheel, install it into a fresh environment (offline, `--no-deps`; the
environment sees this one's packages), then use it from a temporary folder as a user would: the catalog and the HURDAT2
record it ships, a local ERA5 file, the command line, and one smoke run (about 1-2 minutes on 2 CPU cores)."""
import os, shutil, subprocess, sys, textwrap
from pathlib import Path
import numpy as np, pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(np.__file__).resolve().parents[1]          # this environment's site-packages (numpy, torch, xarray, ...)

def _run(cmd, **kw):
    "Run `cmd`, failing the test with its output when it fails."
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, \
        f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r

@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    "A fresh environment with the wheel installed, and a clean one to run it in (no PYTHONPATH, a private HOME)."
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    src.mkdir()                     # build from a copy: what the build needs, and no build/ in the checkout
    for name in ('setup.py', 'settings.ini', 'pyproject.toml', 'README.md', 'LICENSE',
                 'MANIFEST.in'): shutil.copy2(ROOT / name, src / name)
    for d in ('catalogs', 'atmodist_nb'): shutil.copytree(ROOT / d, src / d,
                                                          ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w',
          tmp / 'dist', src])
    (whl,) = (tmp / 'dist').glob('atmodist_nb-*.whl')
    _run([sys.executable, '-m', 'venv', '--without-pip', tmp / 'venv'])
    py = tmp / 'venv' / 'bin' / 'python'
    _run([sys.executable, '-m', 'pip', '--python', py, 'install', '--no-deps', '--no-index', '-q', whl])
    purelib = _run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).stdout.strip()
    # after the install, so pip never sees (or touches) this environment
    (Path(purelib) / '_parent_env.pth').write_text(f'{SITE}\n')
    work, home = tmp / 'work', tmp / 'home'; work.mkdir(); home.mkdir()
    env = {k: v for k,
           v in os.environ.items() if k not in ('PYTHONPATH', 'ATMODIST_CATALOG', 'ATMODIST_DATA', 'VIRTUAL_ENV',
                                                'XDG_CACHE_HOME')}
    env.update(HOME=str(home), ATMODIST_PROGRESS='0', MPLBACKEND='Agg', OMP_NUM_THREADS='1')
    return dict(py=py, bin=py.parent, work=work, home=home, env=env, whl=whl, purelib=Path(purelib))

def _python(inst, code: str) -> str:
    "Run `code` with the installed package, from the temporary folder; return stdout."
    return _run([inst['py'], '-c', textwrap.dedent(code)], cwd=inst['work'], env=inst['env']).stdout

def test_wheel_ships_catalog_and_data(installed):
    import zipfile
    names = zipfile.ZipFile(installed['whl']).namelist()
    for f in ('atmodist_nb/catalogs/atmodist.yaml', 'atmodist_nb/assets/hurdat2/hurdat2_atlantic_1970-2018.txt',
              'atmodist_nb/assets/cities150.csv'):
        assert f in names, f
    shipped = zipfile.ZipFile(installed['whl']).read('atmodist_nb/catalogs/atmodist.yaml').decode()
    assert shipped == (ROOT / 'catalogs' / 'atmodist.yaml').read_text(), \
        'the shipped catalog differs from catalogs/atmodist.yaml'

def test_imports_the_installed_package(installed):
    out = _python(installed, """
        import atmodist_nb, atmodist_nb.core as core
        print(atmodist_nb.__file__); print(core.project_root())""").split()
    assert Path(out[0]).is_relative_to(installed['purelib']), out[0]      # not the checkout
    assert out[1] == 'None'

def test_catalog_hurdat2_and_local_file(installed):
    out = _python(installed, """
        import numpy as np
        from atmodist_nb.testing import grid_dataset                  # the shared fixtures ship with the package
        lat = np.linspace(90, -90, 9)
        vo = (np.sin(np.deg2rad(lat))[None, :, None] * np.ones((12, 1, 16)) * 1e-5).astype('f4')
        ds = grid_dataset({'vo': vo, 'd': 0 * vo}, lat=lat, lon=np.arange(-180, 180, 22.5), era5_names=True)
        ds.to_netcdf('era5_fixture.nc')
        from atmodist_nb.data.catalog import default_catalog, entry_urlpath, open_source
        from atmodist_nb.data.hurdat2 import read_hurdat2, storm_summary
        import atmodist_nb
        print(default_catalog().is_relative_to(atmodist_nb.__file__.rsplit('/', 1)[0]))
        print(len(storm_summary(read_hurdat2('hurdat2'))))
        ds = open_source('era5_local', path='era5_fixture.nc', max_lag=4)
        print(dict(ds.sizes), float(ds.vo[0, 0, 0]) > 0, float(ds.lon[0]))
        print(entry_urlpath('swe_default'))""").splitlines()
    assert out[0] == 'True', out
    assert out[1] == '797', out                                              # the 1970-2018 Atlantic record, offline
    # renamed, north first, lon rolled to [0, 360)
    assert out[2] == "{'time': 12, 'lat': 9, 'lon': 16} True 0.0", out
    assert out[3] == str(installed['home'] / '.cache' / 'atmodist_nb' / 'swe_default.zarr'), out

def test_cli_answers_without_torch(installed):
    r = _run([installed['bin'] / 'atmodist', '--help'], cwd=installed['work'], env=installed['env'])
    assert 'prepare' in r.stdout and 'synth' in r.stdout
    out = _python(installed, """
        import sys
        from atmodist_nb.cli import main
        print(main(['run', '--list-presets']), 'torch' in sys.modules)""")
    assert out.splitlines()[-1] == '0 False'

def test_smoke_run_outside_checkout(installed):
    "The one end-to-end run of this file (~1-2 min): shallow-water data into the user's cache, the report to --out."
    out = installed['work'] / 'smoke'
    r = subprocess.run([installed['bin'] / 'atmodist', 'run', '--preset', 'smoke', '--out', out], cwd=installed['work'],
                       env=installed['env'], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert (out / 'report.md').is_file()
    assert list((installed['home'] / '.cache' / 'atmodist_nb').glob('swe-*.zarr')), \
        'the shallow-water cache is not in ~/.cache/atmodist_nb'
