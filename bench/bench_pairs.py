#!/usr/bin/env python
"""Pairs per second of the Δt pair samplers, side by side (writes bench/out/pairs.json).

  (a) device   PairSampler: fields resident on --device, one gather per batch
  (b) loader   pair_loader: DataLoader workers reading a lazy zarr/dask store (a temporary one of the
               demo size, or --store); an in-memory xarray dataset where zarr/dask are missing
  (c) naive    one xarray.isel per patch, on the same dataset as (b)
  (d) loop     a Python loop over pairs slicing the device-resident tensor (reference for (a))

  python bench/bench_pairs.py                          # CPU, demo size (T=240, 2 x 128 x 256, patch 64)
  python bench/bench_pairs.py --device cuda --era5-window   # 48 x 2 x 1280 x 2560 bf16 window, patch 160
"""
from __future__ import annotations
import argparse, platform, sys, tempfile, time
from pathlib import Path
import numpy as np, torch, xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from atmodist_nb.core import AtmoError, get_device, write_json
from atmodist_nb.data.pairs import PairSampler, PatchTable, draw_index, pair_loader, patch_rows

OUT = Path(__file__).resolve().parent / 'out' / 'pairs.json'


def _sync(dev: torch.device):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def _timed(step, seconds: float, dev: torch.device, min_calls: int = 2) -> tuple[int, float]:
    "Call `step()` (returning pairs made) repeatedly for about `seconds` after one warm-up call; (pairs, elapsed s)."
    step(); _sync(dev)
    n, calls, t0 = 0, 0, time.perf_counter()
    while calls < min_calls or time.perf_counter() - t0 < seconds:
        n += step(); calls += 1
    _sync(dev)
    return n, time.perf_counter() - t0


def make_dataset(T: int, H: int, W: int, seed: int = 0) -> xr.Dataset:
    "A canonical dataset (vo, d on time, lat, lon; lat descending) of random float32 fields."
    rng = np.random.default_rng(seed)
    coords = dict(time=np.datetime64('2000-01-01') + np.arange(T) * np.timedelta64(3, 'h'),
                  lat=np.linspace(90, -90, H), lon=np.arange(W) * 360.0 / W)
    return xr.Dataset({v: (('time', 'lat', 'lon'), rng.standard_normal((T, H, W), dtype=np.float32)) for v in ('vo', 'd')}, coords=coords)


def open_store(args, tmp: str) -> tuple[xr.Dataset | None, str]:
    "The dataset for the xarray paths and a description of it."
    try: import zarr, dask; have_lazy = True   # noqa: F401 (absent on the GPU machine)
    except ImportError: have_lazy = False
    if args.store:
        if not have_lazy: raise AtmoError(f"--store {args.store} needs zarr and dask, which are not installed here; drop --store")
        ds = xr.open_zarr(args.store) if args.store.rstrip('/').endswith('.zarr') else xr.open_dataset(args.store, chunks={})
        return ds, f"store {args.store}"
    ds = make_dataset(args.T, args.nlat, args.nlon)
    if not have_lazy:
        print("zarr/dask are not installed: the loader and naive paths read an in-memory xarray dataset instead of a zarr store")
        return ds, "in-memory xarray (zarr/dask missing)"
    path = Path(tmp) / 'bench.zarr'
    ds.chunk({'time': args.chunk_time}).to_zarr(path, consolidated=False)
    return xr.open_zarr(path, consolidated=False), f"temporary zarr store, chunks time={args.chunk_time}"


def bench_device(args, dev, dtype) -> tuple[dict, dict]:
    "(a) the device-resident PairSampler and (d) a Python loop over pairs slicing the same resident tensor."
    fields = torch.randn(args.T, 2, args.nlat, args.nlon, device=dev, dtype=dtype)
    lats = np.linspace(90, -90, args.nlat)
    gen = torch.Generator(dev).manual_seed(0) if dev.type == 'cuda' else torch.Generator().manual_seed(0)
    s = PairSampler(fields, lats, patch=args.patch, n_classes=args.n_classes, lat_band=args.lat_band, generator=gen)
    res = {}
    for gather in (['segments', 'index'] if args.gather == 'both' else [args.gather]):
        s.table = None; s.table = PatchTable(fields, args.patch, gather=gather)
        n, dt = _timed(lambda: (s.sample(args.batch), args.batch)[1], args.seconds, dev)
        res[gather] = dict(pairs_per_s=n / dt, pairs=n, seconds=dt, ms_per_batch=1e3 * dt * args.batch / n,
                           generator=str(gen.device), dtype=str(dtype).replace('torch.', ''), gather=gather)
        s.table = None
    T, C, H, W = fields.shape; P = args.patch

    def loop():
        t, lag, row, col = (v.tolist() for v in s.draw(args.batch))
        x1 = torch.empty(args.batch, C, P, P, device=dev, dtype=dtype); x2 = torch.empty_like(x1)
        for i in range(args.batch):
            r, c, n = row[i], col[i], min(P, W - col[i])       # n columns before the dateline, P - n after it
            for x, tt in ((x1, t[i]), (x2, t[i] + lag[i])):
                x[i, :, :, :n] = fields[tt, :, r:r + P, c:c + n]
                if n < P: x[i, :, :, n:] = fields[tt, :, r:r + P, :P - n]
        return args.batch
    n2, dt2 = _timed(loop, args.seconds, dev, min_calls=1)
    return res, dict(pairs_per_s=n2 / dt2, pairs=n2, seconds=dt2, ms_per_batch=1e3 * dt2 * args.batch / n2)


def bench_loader(args, ds) -> dict:
    dl = pair_loader(ds, patch=args.patch, batch=args.batch, n_classes=args.n_classes, lat_band=args.lat_band,
                     seed=0, num_workers=args.workers, variables=('vo', 'd'))
    it = iter(dl)
    n, dt = _timed(lambda: (next(it), args.batch)[1], args.seconds, torch.device('cpu'))
    del it
    return dict(pairs_per_s=n / dt, pairs=n, seconds=dt, ms_per_batch=1e3 * dt * args.batch / n, workers=args.workers)


def bench_naive(args, ds) -> dict:
    "One xarray.isel per patch (two per pair), stacked into a batch."
    T, H, W = ds.sizes['time'], ds.sizes['lat'], ds.sizes['lon']; P = args.patch
    rows = patch_rows(ds['lat'].values, P, args.lat_band, n_lon=W)
    g = torch.Generator().manual_seed(0)
    sub = ds[['vo', 'd']]

    def one_batch():
        ix = draw_index(args.batch, t_range=(0, T), n_classes=args.n_classes, rows=rows, n_lon=W, generator=g)
        x1, x2 = [], []
        for t, lag, r, c in zip(*(v.tolist() for v in ix)):
            cols = (c + np.arange(P)) % W
            x1.append(sub.isel(time=t, lat=slice(r, r + P), lon=cols).to_array().values)
            x2.append(sub.isel(time=t + lag, lat=slice(r, r + P), lon=cols).to_array().values)
        torch.from_numpy(np.stack(x1)); torch.from_numpy(np.stack(x2))
        return args.batch
    n, dt = _timed(one_batch, args.seconds, torch.device('cpu'), min_calls=1)
    return dict(pairs_per_s=n / dt, pairs=n, seconds=dt, ms_per_batch=1e3 * dt * args.batch / n)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cpu', help="cpu, cuda, cuda:1 (default cpu)")
    p.add_argument('--nlat', type=int, default=128); p.add_argument('--nlon', type=int, default=256)
    p.add_argument('--T', type=int, default=240, help="time steps")
    p.add_argument('--batch', type=int, default=128, help="pairs per batch")
    p.add_argument('--patch', type=int, default=64, help="patch edge, grid points")
    p.add_argument('--n-classes', type=int, default=23); p.add_argument('--lat-band', type=float, default=60.0)
    p.add_argument('--seconds', type=float, default=3.0, help="timing window per path")
    p.add_argument('--dtype', default=None, choices=['float32', 'bfloat16', 'float16'], help="device fields (default: bf16 on cuda, float32 on cpu)")
    p.add_argument('--workers', type=int, default=2, help="DataLoader workers of the loader path")
    p.add_argument('--gather', default='both', choices=['segments', 'index', 'both'], help="PatchTable gather(s) for the device path")
    p.add_argument('--threads', type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument('--store', default=None, help="read this zarr store / netCDF file (vo, d) instead of a temporary one")
    p.add_argument('--chunk-time', type=int, default=8, help="time chunk of the temporary store")
    p.add_argument('--skip', default='', help="comma list of paths to skip: device,loader,naive,loop")
    p.add_argument('--era5-window', action='store_true', help="preset: a 48 x 2 x 1280 x 2560 bf16 window on the device, patch 160, batch 256 (device and loop paths only)")
    p.add_argument('--out', default=str(OUT), help="JSON output file")
    args = p.parse_args(argv)
    skip = {s for s in args.skip.split(',') if s}
    if args.era5_window:
        args.T, args.nlat, args.nlon, args.patch = 48, 1280, 2560, 160
        if '--batch' not in (argv or sys.argv): args.batch = 256
        if args.dtype is None: args.dtype = 'bfloat16'
        skip |= {'loader', 'naive'}
        print("--era5-window: the xarray paths (loader, naive) are skipped; measure them at the demo size")
    if args.threads: torch.set_num_threads(args.threads)
    try:
        dev = get_device(args.device)
        dtype = getattr(torch, args.dtype or ('bfloat16' if dev.type == 'cuda' else 'float32'))
        results = {}
        if 'device' not in skip or 'loop' not in skip:
            dres, results['loop'] = bench_device(args, dev, dtype)
            for g, r in dres.items(): results['device' if g == 'segments' else f'device_{g}'] = r
        with tempfile.TemporaryDirectory() as tmp:
            if not {'loader', 'naive'} <= skip:
                ds, desc = open_store(args, tmp)
                if 'loader' not in skip: results['loader'] = dict(bench_loader(args, ds), source=desc)
                if 'naive' not in skip: results['naive'] = dict(bench_naive(args, ds), source=desc)
    except AtmoError as e:
        print(f"bench_pairs: {e}", file=sys.stderr); return 2
    for k in skip: results.pop(k, None)
    if 'device' in skip: results.pop('device_index', None)
    base = results.get('naive', {}).get('pairs_per_s')
    names = dict(device=f"(a) PairSampler on {dev} ({dtype})".replace('torch.', ''), device_index="(a') the same, gather='index'", loader=f"(b) pair_loader, {args.workers} workers",
                 naive="(c) naive: one xarray.isel per patch", loop="(d) loop over pairs, resident tensor")
    print(f"\npairs/s  T={args.T} C=2 {args.nlat}x{args.nlon} patch={args.patch} batch={args.batch} K={args.n_classes}  torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'path':44s} {'pairs/s':>12s} {'ms/batch':>10s} {'vs naive':>9s}")
    for k in ('device', 'device_index', 'loader', 'naive', 'loop'):
        if k not in results: continue
        r = results[k]; rel = f"{r['pairs_per_s'] / base:8.1f}x" if base else ''
        print(f"{names[k]:44s} {r['pairs_per_s']:12,.0f} {r['ms_per_batch']:10.2f} {rel:>9s}")
    if 'device' in results and 'loop' in results:
        print(f"device sampler vs loop over pairs: {results['device']['pairs_per_s'] / results['loop']['pairs_per_s']:.1f}x")
    info = dict(config=dict(vars(args), skip=sorted(skip)), device=str(dev),
                device_name=torch.cuda.get_device_name(dev) if dev.type == 'cuda' else platform.processor() or platform.machine(),
                torch=torch.__version__, threads=torch.get_num_threads(), time=time.strftime('%Y-%m-%dT%H:%M:%S'), results=results)
    write_json(args.out, info)
    print(f"wrote {args.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
