"""`prepare_store`: killed with SIGKILL mid-block or before the completion mark, the rerun ends with an identical store;
bad stores and backends are refused with one line, and nothing half-written looks complete."""
import json, os, shutil, subprocess, sys, textwrap, warnings
from pathlib import Path
import numpy as np, pytest
from atmodist_nb.core import AtmoError
from atmodist_nb.data.prepare import prepare_store, check_store, store_stats, dask_backend
from atmodist_nb.testing import grid_dataset, noise_fields

SCRIPT = textwrap.dedent('''
    import sys
    import atmodist_nb.data.prepare as P
    P.BLOCK_BYTES = 8 * 9 * 16 * 4 * 2 * 2      # two time chunks per block: 4 blocks for 64 steps
    P.prepare_store(sys.argv[1], sys.argv[2], train=('2000-01-01', '2000-01-05'), workers=1, progress=False)
''')


def _source(path: Path, T=64, H=9, W=16, seed=0) -> Path:
    "A CDS-style netCDF file of noise: ERA5's dim names, latitudes south to north."
    noise_fields(T, H, W, seed=seed, lat=np.linspace(-90, 90, H), era5_names=True).to_netcdf(path); return path


def _run(src, out, fault=None):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'ATMODIST_PROGRESS': '0'}
    if fault: env['ATMODIST_FAULT'] = fault
    return subprocess.run([sys.executable, '-c', SCRIPT, str(src), str(out)], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope='module')
def made(tmp_path_factory):
    d = tmp_path_factory.mktemp('prep')
    src = _source(d / 'era5.nc')
    r = _run(src, d / 'ref.zarr'); assert r.returncode == 0, r.stderr[-2000:]
    return src, d / 'ref.zarr'


def _same_store(a: Path, b: Path):
    x, y = check_store(a), check_store(b)
    for v in ('vo', 'd'): np.testing.assert_array_equal(x[v].values, y[v].values)
    assert (a / 'norm_stats.json').read_text() == (b / 'norm_stats.json').read_text()


@pytest.mark.parametrize('fault', ['prepare_block:3', 'prepare_complete:1'])
def test_prepare_killed_resumes_identical(made, tmp_path, fault):
    "Killed between a block's two variables (block 2 half-written) or before the done mark: incomplete, then same."
    src, ref = made
    out = tmp_path / 's.zarr'
    r = _run(src, out, fault); assert r.returncode == -9, r.stderr[-2000:]
    with pytest.raises(AtmoError, match='incomplete'): check_store(out)
    if fault.startswith('prepare_block'):
        # the half-written block 1 is not recorded
        assert json.loads((out / '.prepare' / 'done.json').read_text())['done'] == [0]
    r = _run(src, out); assert r.returncode == 0, r.stderr[-2000:]
    _same_store(out, ref)
    assert not (out / '.prepare').exists()


def test_stats_on_training_span_equal_fit_norm(made):
    from atmodist_nb.data.catalog import open_source
    from atmodist_nb.data.normalize import fit_norm
    src, ref = made
    fn = fit_norm(open_source(str(src)).isel(lat=slice(0, 8)), time_slice=('2000-01-01', '2000-01-05'))
    st = store_stats(ref)
    assert st.n_time == 40 and st.time_span == fn.time_span
    for k in ('mean1', 'std1', 'mean2', 'std2'): np.testing.assert_allclose(getattr(st, k), getattr(fn, k), rtol=1e-10)


def test_prepared_store_opens_through_the_catalog(made):
    "A prepared store is one catalog entry away (`prepared`, path=) and opens as a plain path too, as the same data."
    from atmodist_nb.data.catalog import open_source
    src, ref = made
    a, b = open_source('prepared', path=str(ref), max_lag=4), open_source(str(ref), max_lag=4)
    assert a.vo.dims == ('time', 'lat', 'lon') and a.sizes == b.sizes and float(a.lat[0]) > float(a.lat[-1])
    np.testing.assert_array_equal(a.vo.values, b.vo.values)


def _one_line(excinfo): assert '\n' not in str(excinfo.value)


def test_bad_stores_refused(made, tmp_path):
    import zarr
    src, ref = made
    bad = tmp_path / 'chunk.zarr'; shutil.copytree(ref, bad); (bad / 'd' / '3.0.0').unlink()
    with pytest.raises(AtmoError, match=r"missing 1 chunk\(s\) of d, the first at time index 3") as e: check_store(bad)
    _one_line(e)
    hole = tmp_path / 'hole.zarr'; shutil.copytree(ref, hole)
    t = zarr.open_group(str(hole), mode='r+', use_consolidated=False)['time']; v = t[:]; v[10:] += 3; t[:] = v
    with warnings.catch_warnings():   # zarr notes the json files beside the arrays
        warnings.simplefilter('ignore'); zarr.consolidate_metadata(str(hole))   # as a tool that edits a store would
    with pytest.raises(AtmoError, match=r'irregular time steps: 3 h apart, but 6 h between') as e: check_store(hole)
    _one_line(e)
    with pytest.raises(AtmoError, match=r'has a 8 x 16 grid but the run expects 720 x 1440') as e:
        check_store(ref, expect_grid=(720, 1440))
    _one_line(e)
    with pytest.raises(AtmoError, match=r'has no u, v') as e: check_store(ref, expect_vars=('u', 'v'))
    _one_line(e)
    with pytest.raises(AtmoError, match='does not exist'): check_store(tmp_path / 'nope.zarr')


def test_unreachable_scheduler_is_quick_and_writes_nothing(made, tmp_path):
    src, _ = made
    with pytest.raises(AtmoError, match=r'cannot reach the dask scheduler at tcp://127.0.0.1:9') as e:
        prepare_store(str(src), tmp_path / 'x.zarr', scheduler='tcp://127.0.0.1:9', progress=False)
    _one_line(e)
    # the empty store is never marked complete
    with pytest.raises(AtmoError, match='incomplete'): check_store(tmp_path / 'x.zarr')


def test_dry_run_reads_no_values(made, tmp_path):
    src, _ = made
    plan = prepare_store(str(src), tmp_path / 'dry.zarr', dry_run=True)
    assert plan['bytes_read'] == 64 * 2 * 9 * 16 * 4 and plan['grid'] == (8, 16) and 'estimated time' in plan['text']
    assert not (tmp_path / 'dry.zarr').exists()
    # a source whose values explode when read: the dry run plans it from metadata alone
    import dask, dask.array as da
    def tripwire(): raise AssertionError('a value was read')
    lazy = lambda: da.from_delayed(dask.delayed(tripwire)(), (64, 9, 16), np.float32)
    ds = grid_dataset({v: lazy() for v in ('vo', 'd')})   # 64 x 9 x 16, 3-hourly, lat 90 .. -90
    with pytest.raises(AssertionError, match='a value was read'): ds['vo'].values        # the tripwire works
    plan = prepare_store(ds, tmp_path / 'dry2.zarr', dry_run=True)
    assert plan['n_time'] == 64 and plan['grid'] == (8, 16) and not (tmp_path / 'dry2.zarr').exists()


def test_joins_a_running_cluster(tmp_path):
    """`--scheduler ADDRESS`: a u, v source converted by a dask.distributed cluster whose worker is another process (the
    u, v → vo, d transforms travel to it pickled) gives the store this machine's threads give."""
    distributed = pytest.importorskip('distributed')
    r = np.random.default_rng(1)
    T, H, W = 32, 9, 16
    ds = grid_dataset({n: (r.normal(size=(T, H, W)) * 5).astype(np.float32) for n in ('u', 'v')}, units='m s**-1')
    ds.to_netcdf(tmp_path / 'uv.nc')
    ref = prepare_store(str(tmp_path / 'uv.nc'), tmp_path / 'threads.zarr', rows_multiple=1, scheduler='threads',
                        workers=1, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        got = prepare_store(str(tmp_path / 'uv.nc'), tmp_path / 'cluster.zarr', rows_multiple=1,
                            scheduler=cluster.scheduler_address, progress=False)
        assert cluster.scheduler_address in got['backend'] and '1 workers' in got['backend'], got['backend']
    a, b = check_store(tmp_path / 'threads.zarr'), check_store(tmp_path / 'cluster.zarr')
    for v in ('vo', 'd'):   # equal to float32 round-off (the worker process's torch uses its own thread count)
        scale = float(np.abs(a[v]).max()); assert scale > 0
        np.testing.assert_allclose(b[v].values, a[v].values, rtol=0, atol=1e-5 * scale)
    sa, sb = (store_stats(p) for p in (tmp_path / 'threads.zarr', tmp_path / 'cluster.zarr'))
    np.testing.assert_allclose(sb.std1 + sb.std2, sa.std1 + sa.std2, rtol=1e-5)
