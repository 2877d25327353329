#!/usr/bin/env python
"""Paper-scale data on a small machine, side by side in one run (writes bench/out/stream.json):

  layout   candidate chunk layouts/codecs of the training store: size, window read MB/s, random 160x160 patch reads/s
  build    `prepare_store` of a synthetic ERA5-grid source (721 x 1440 -> 720 x 1440) at least 10x the memory budget
  read     read MB/s per core of the store (`read_steps`, one thread)
  pairs    pairs/s of the in-memory `PairSampler` and of the streaming `StreamPairs` (budget --budget-gb)
  step     the demo-sized pretext step (AtmoDist widths (16, 32), blocks 1, patch 32, K 23, batch 64) fed by each
  cost     the streaming cost, paired: in-memory and streamed runs of --cost-batches steps alternate in one process,
           --rounds times (the reader finishes between runs); the median ratio. Separate runs in separate processes
           differ by ±10 % on a shared 2-core VM, more than the cost measured
  rss      peak RSS of the measuring process (a subprocess, so the build does not count)

  python bench/bench_stream.py                       # all, budget 1 GB, store of 1200 steps (10 GB of float32), coverage 2
  python bench/bench_stream.py --coverage 1          # each step's band tiled once per sweep: half the pairs per window
  python bench/bench_stream.py --layout-only         # only the layout candidates
"""
from __future__ import annotations
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / 'bench' / 'out' / 'stream.json'
H0, W0 = 721, 1440


def synthetic(T: int, H: int = H0, W: int = W0, chunk: int = 8):
    "A lazy (dask) ERA5-grid source: drifting smooth fields with float32 noise, vo/d in s**-1, 3-hourly."
    import dask.array as da, pandas as pd, xarray as xr
    lat, lon = np.linspace(90, -90, H), np.arange(W) * 360. / W
    base = np.cos(np.deg2rad(lat))[:, None] * (np.sin(np.deg2rad(lon) * 5)[None] + 0.5 * np.cos(np.deg2rad(lon) * 11)[None])
    def block(block_id=None, shift=0):
        t0 = block_id[0] * chunk
        r = np.random.default_rng(block_id[0] + 1000 * shift)
        out = np.stack([np.roll(base, (t0 + i) * 3 + shift, axis=1) for i in range(min(chunk, T - t0))])
        return ((out + 0.05 * r.standard_normal(out.shape)) * 1e-5).astype(np.float32)
    chunks = ((chunk,) * (T // chunk) + ((T % chunk,) if T % chunk else ()), (H,), (W,))
    mk = lambda s: da.map_blocks(block, dtype=np.float32, chunks=chunks, shift=s)
    return xr.Dataset({'vo': (('time', 'lat', 'lon'), mk(0), {'units': 's**-1'}), 'd': (('time', 'lat', 'lon'), mk(7), {'units': 's**-1'})},
                      coords={'time': pd.date_range('1979-01-01', periods=T, freq='3h'), 'lat': lat, 'lon': lon})


def _timed(f) -> float:
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0


def bench_layout(work: Path, T: int = 16) -> list[dict]:
    "Write T steps with each candidate layout; size, write time, window read MB/s, random 160x160 patch reads/s."
    import zarr, numcodecs
    from atmodist_nb.data.prepare import _compressor
    data = {v: synthetic(T)[v].values[:, :720] for v in ('vo', 'd')}
    raw = sum(a.nbytes for a in data.values())
    rows = []
    for tc, th, tw, codec in [(1, 720, 1440, 'none'), (1, 720, 1440, 'blosc-lz4'), (1, 180, 1440, 'blosc-lz4'), (1, 180, 360, 'blosc-lz4'),
                              (1, 180, 1440, 'blosc-zstd'), (8, 180, 1440, 'blosc-lz4'), (8, 90, 180, 'blosc-lz4')]:
        p = work / f'layout-{tc}-{th}-{tw}-{codec}.zarr'
        g = zarr.open_group(str(p), mode='w', zarr_format=2)
        t0 = time.perf_counter()
        for v, a in data.items():
            arr = g.create_array(v, shape=a.shape, chunks=(tc, th, tw), dtype='float32', compressors=_compressor(codec), fill_value=float('nan'))
            arr[:] = a
        w = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in p.rglob('*') if f.is_file())
        os.system('sync')
        g = zarr.open_group(str(p), mode='r')
        rd = min(_timed(lambda: [g[v][:] for v in data]) for _ in range(2))   # best of two reads (the machine is shared)
        r = np.random.default_rng(0); n = 60; t0 = time.perf_counter()
        for _ in range(n):
            t, i, j = int(r.integers(T)), int(r.integers(0, 560)), int(r.integers(0, 1280))
            for v in data: g[v][t, i:i + 160, j:j + 160]
        pr = n / (time.perf_counter() - t0)
        rows.append(dict(time_chunk=tc, tile=[th, tw], codec=codec, ratio=round(size / raw, 3), write_mb_s=round(raw / 1e6 / w, 1),
                         window_read_mb_s=round(raw / 1e6 / rd, 1), patch_pairs_per_s=round(pr, 1)))
        print(rows[-1], flush=True)
        import shutil; shutil.rmtree(p)
    return rows


def build(store: Path, T: int, workers: int) -> dict:
    "prepare_store of the synthetic source (721 rows -> 720), statistics on the first 64 steps."
    from atmodist_nb.data.prepare import prepare_store
    src = synthetic(T)
    t0 = time.perf_counter()
    res = prepare_store(src, store, train=(str(src.time.values[0])[:16], str(src.time.values[63])[:16]), workers=workers, progress=False)
    secs = time.perf_counter() - t0
    return dict(steps=T, raw_bytes=T * 2 * 720 * 1440 * 4, store_bytes=res['store_bytes'], prepare_s=round(secs, 1),
                prepare_mb_s=round(T * 2 * 721 * 1440 * 4 / 1e6 / secs, 1), backend=res.get('backend'))


def _setup():
    import torch
    torch.set_num_threads(1)
    from atmodist_nb.models.atmodist import AtmoDistConfig
    from atmodist_nb.train.pretext import PretextConfig
    return PretextConfig(model=AtmoDistConfig(widths=(16, 32), blocks=1, patch=32, n_classes=23, head_width=32), batch=64, optimizer='adam',
                         lr=2e-3, weight_decay=0., warmup_steps=0)


def _pairs_rate(src, n: int) -> float:
    src.sample(64); t0 = time.perf_counter()
    for _ in range(n): src.sample(64)
    return round(n * 64 / (time.perf_counter() - t0), 1)


def _step_time(cfg, src, n: int) -> tuple[float, float]:
    "(ms per demo pretext step fed by `src`, ms of it spent in `src.sample`)."
    import torch
    from atmodist_nb.models.atmodist import AtmoDist
    from atmodist_nb.train.pretext import make_optimizer, train_step
    torch.manual_seed(0); model = AtmoDist(cfg.model); opt, warm, _ = make_optimizer(cfg, model)
    train_step(model, model, opt, warm, *src.sample(64), cfg=cfg)
    wait, t0 = 0., time.perf_counter()
    for _ in range(n):
        a = time.perf_counter(); b = src.sample(64); wait += time.perf_counter() - a
        train_step(model, model, opt, warm, *b, cfg=cfg)
    return round((time.perf_counter() - t0) / n * 1e3, 2), round(wait / n * 1e3, 3)


def _hwm_gb() -> float:
    "Peak RSS of this process image (VmHWM; ru_maxrss would keep the parent's peak from fork)."
    return round(int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) * 1024 / 1e9, 3)


def measure_memory(store: Path, budget: float, batches: int) -> dict:
    "The in-memory baseline on one window's worth of steps: read MB/s per core, PairSampler pairs/s, the demo step."
    import torch
    cfg = _setup()
    from atmodist_nb.data.prepare import check_store, store_stats
    from atmodist_nb.data.stream import StreamPairs, read_steps
    from atmodist_nb.data.pairs import PairSampler
    ds, st = check_store(store), store_stats(store)
    win = StreamPairs(ds, st, patch=32, n_classes=23, memory_gb=budget, prefetch=False).window
    t0 = time.perf_counter(); x = read_steps(ds, st, (100, 100 + win)); s = time.perf_counter() - t0
    mem = PairSampler(x, ds.lat.values, patch=32, n_classes=23, generator=torch.Generator().manual_seed(0))
    out = {'read_mb_s_per_core': round(x.numel() * 4 / 1e6 / s, 1), 'window_steps': win, 'in_memory_pairs_s': _pairs_rate(mem, 300)}
    out['step_ms_in_memory'], out['sample_ms_in_memory'] = _step_time(cfg, mem, batches)
    out['peak_rss_gb_in_memory_window'] = _hwm_gb()
    return out


def measure_stream(store: Path, budget: float, batches: int, coverage: float = 2.0) -> dict:
    "The streaming source alone in this process: pairs/s across window switches, the demo step fed by it, peak RSS."
    cfg = _setup()
    from atmodist_nb.data.prepare import check_store, store_stats
    from atmodist_nb.data.stream import StreamPairs
    ds, st = check_store(store), store_stats(store)
    stream = StreamPairs(ds, st, patch=32, n_classes=23, memory_gb=budget, seed=0, coverage=coverage)
    out = {'stream_windows': len(stream.spans), 'stream_block': int(stream.spans[0][1] - stream.spans[0][0]),
           'stream_window': stream.window, 'stream_pairs_per_window': int(stream.targets[0])}
    t0 = time.perf_counter(); n0 = 0
    while stream.pos < 3: stream.sample(64); n0 += 1     # sampling only: reads are not hidden behind any compute
    out['stream_pairs_s_sampling_only'] = round(n0 * 64 / (time.perf_counter() - t0), 1)
    pos0 = stream.epoch * len(stream.order) + stream.pos
    out['step_ms_stream'], out['sample_ms_stream'] = _step_time(cfg, stream, batches)
    out['windows_entered_during_step_timing'] = stream.epoch * len(stream.order) + stream.pos - pos0
    stream.close()
    out['peak_rss_gb'] = _hwm_gb()
    return out


def measure_cost(store: Path, budget: float, batches: int, coverage: float, rounds: int) -> dict:
    "Streaming cost, paired: in-memory and streamed runs alternate in this process; per round the streamed/in-memory step-time ratio."
    import torch
    cfg = _setup()
    from atmodist_nb.data.prepare import check_store, store_stats
    from atmodist_nb.data.stream import StreamPairs, read_steps
    from atmodist_nb.data.pairs import PairSampler
    ds, st = check_store(store), store_stats(store)
    stream = StreamPairs(ds, st, patch=32, n_classes=23, memory_gb=budget, seed=0, coverage=coverage)
    mem = PairSampler(read_steps(ds, st, (100, 100 + stream.window)), ds.lat.values, patch=32, n_classes=23, generator=torch.Generator().manual_seed(0))
    rows = []
    for _ in range(rounds):
        tm, _ = _step_time(cfg, mem, batches)
        pos0 = stream.epoch * len(stream.order) + stream.pos
        ts, _ = _step_time(cfg, stream, batches)
        if stream._next is not None: stream._next[1].result()     # the pending background read ends before the next in-memory run
        rows.append({'in_memory_ms': tm, 'stream_ms': ts, 'ratio': round(ts / tm, 4), 'windows': stream.epoch * len(stream.order) + stream.pos - pos0})
    stream.close()
    return {'cost_batches': batches, 'cost_rounds': rows, 'stream_cost_frac_median': round(float(np.median([r['ratio'] for r in rows])) - 1, 4)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default='/tmp/atmodist_bench_stream', help='folder for the store (disk, not memory)')
    ap.add_argument('--budget-gb', type=float, default=1.0, help='memory budget of the streaming source')
    ap.add_argument('--steps', type=int, default=None, help='store time steps (default: 10x the budget in float32)')
    ap.add_argument('--batches', type=int, default=300, help='pretext steps timed per source')
    ap.add_argument('--workers', type=int, default=1)
    ap.add_argument('--coverage', type=float, default=2.0, help="window reuse: pairs per epoch as times each step is tiled (the pipeline's data.coverage)")
    ap.add_argument('--cost-batches', type=int, default=1500, help='steps per run of the paired cost measurement')
    ap.add_argument('--rounds', type=int, default=3, help='rounds of the paired cost measurement')
    ap.add_argument('--layout-only', action='store_true'); ap.add_argument('--no-layout', action='store_true')
    ap.add_argument('--phase', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True); store = work / 'era5grid.zarr'
    if a.phase:
        f = {'memory': lambda: measure_memory(store, a.budget_gb, a.batches), 'stream': lambda: measure_stream(store, a.budget_gb, a.batches, a.coverage),
             'cost': lambda: measure_cost(store, a.budget_gb, a.cost_batches, a.coverage, a.rounds)}[a.phase]
        print(json.dumps(f())); return
    res = dict(machine=f"{platform.machine()}, {os.cpu_count()} cores (shared)", date=time.strftime('%Y-%m-%d %H:%M'), budget_gb=a.budget_gb, coverage=a.coverage)
    if not a.no_layout: res['layout'] = bench_layout(work)
    if a.layout_only: print(json.dumps(res, indent=1)); return
    T = a.steps or int(np.ceil(10 * a.budget_gb * 1e9 / (2 * 720 * 1440 * 4) / 8) * 8)
    if not (store / 'norm_stats.json').exists(): res['build'] = build(store, T, a.workers)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'ATMODIST_PROGRESS': '0'}
    res['measure'] = {}
    for phase in ('memory', 'stream', 'cost'):   # each in its own process: its peak RSS is its own
        r = subprocess.run([sys.executable, __file__, '--phase', phase, '--work', str(work), '--budget-gb', str(a.budget_gb), '--batches', str(a.batches),
                            '--coverage', str(a.coverage), '--cost-batches', str(a.cost_batches), '--rounds', str(a.rounds)],
                           capture_output=True, text=True, env=env)
        if r.returncode: sys.exit(r.stderr[-3000:])
        res['measure'].update(json.loads(r.stdout.strip().splitlines()[-1]))
    m = res['measure']
    m['stream_cost_frac_separate_runs'] = round((m['step_ms_stream'] - m['step_ms_in_memory']) / m['step_ms_in_memory'], 4)
    res['goals'] = dict(stream_cost_le_10pct=m['stream_cost_frac_median'] <= 0.10, rss_le_budget_plus_1gb=m['peak_rss_gb'] <= a.budget_gb + 1,
                        store_ge_10x_budget=(res.get('build', {}).get('raw_bytes', T * 2 * 720 * 1440 * 4) >= 10 * a.budget_gb * 1e9))
    OUT.parent.mkdir(exist_ok=True); OUT.write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
