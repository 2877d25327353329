"""Generation speed of the shallow-water presets (model days per wall-clock minute), and the spectrum of what they write.

`ci` and `smoke` are generated in full (spin-up included); `demo` and `gpu` only for `--short-days`
model days with no spin-up, and the full generation time is extrapolated from that rate (`--full`
generates every preset in full). Timings on a shared machine are noisy: run it twice and report the
conditions; `cpu_s` (process CPU time) is what the run costs on an otherwise idle core.

`--spectrum` (with a full generation) also measures the written truth's kinetic-energy spectrum, averaged
over every output time: its power-law slope from twice the forced band to 3/4 of the degrees, the last
eight degrees against that law (below 1: a roll-off, above 1: a pile-up), its effective truncation (the
degree where it falls below 1e-10 of its peak), and the degrees the 4x block mean (the super-resolution
input) resolves, as a grid and as measured (where its spectrum stays within a factor 2 of the truth's).

    python bench/bench_synth.py [--presets ci smoke demo] [--short-days 3] [--full] [--spectrum] [--device cpu] [--threads 1]
"""
import argparse, json, os, platform, tempfile, time
from dataclasses import replace
from pathlib import Path
import numpy as np, torch
from atmodist_nb.data.synthetic import SWE_PRESETS, resolve_swe, generate_swe, open_swe, sim_grid
from atmodist_nb.sphere import energy_spectrum, effective_truncation, resolved_lmax

def spectrum_summary(ds, forcing_band: tuple[int, int], factor: int = 4) -> dict:
    "Slope, tail, effective truncation of the truth's KE spectrum and the degrees its `factor`x block mean resolves."
    truth, low = 0., 0.
    for t in range(0, ds.sizes['time'], 64):                        # in slices: the gpu preset does not fit in memory at once
        vo, d = (torch.from_numpy(ds[k].isel(time=slice(t, t + 64)).values).double() for k in ('vo', 'd'))
        pool = lambda x: torch.nn.functional.avg_pool2d(x[:, None], factor)[:, 0]
        truth = truth + energy_spectrum(vo, d).sum(0).numpy(); low = low + energy_spectrum(pool(vo), pool(d)).sum(0).numpy()
    truth, low = truth / ds.sizes['time'], low / ds.sizes['time']
    l = np.arange(len(truth)); fit = (l >= 2 * forcing_band[1]) & (l <= 3 * len(l) // 4)
    slope, icpt = np.polyfit(np.log(l[fit]), np.log(truth[fit]), 1)
    tail = truth[-8:] / np.exp(icpt + slope * np.log(l[-8:]))
    ratio = low[1:] / truth[1:len(low)]
    within = int(np.argmax(np.abs(np.log2(ratio)) > 1)) + 1 if (np.abs(np.log2(ratio)) > 1).any() else len(low)
    return dict(truth_degrees=len(truth), slope=round(float(slope), 2), fit_degrees=[int(l[fit][0]), int(l[fit][-1])],
                tail_vs_power_law=[round(float(x), 2) for x in tail], effective_truncation=effective_truncation(truth),
                input_grid=f"{ds.sizes['lat'] // factor}x{ds.sizes['lon'] // factor}",
                input_grid_degrees=resolved_lmax(ds.sizes['lat'] // factor), input_within_2x_degrees=within,
                input_over_truth=[round(float(x), 2) for x in ratio])

def bench(name: str, short_days: float, device: str, threads: int | None, full: bool = False, spectrum: bool = False) -> dict:
    cfg = resolve_swe(SWE_PRESETS[name])
    full = full or name in ('ci', 'smoke')
    run_cfg = cfg if full else replace(cfg, spinup_days=0., days=short_days)
    model_days = run_cfg.spinup_days + run_cfg.days
    with tempfile.TemporaryDirectory() as d:
        t, c = time.perf_counter(), time.process_time()
        out = generate_swe(run_cfg, Path(d) / 's.zarr', device=device, progress=False, threads=threads)
        if device.startswith('cuda'): torch.cuda.synchronize()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        spec = spectrum_summary(open_swe(out), cfg.forcing_band) if spectrum and full else None
    rate = model_days / (wall / 60)
    row = dict(preset=name, grid=f'{cfg.nlat}x{cfg.nlon}', lmax=cfg.lmax, sim_grid='x'.join(map(str, sim_grid(cfg.lmax))),
               dt_s=round(cfg.dt_seconds, 1), device=device, threads=threads,
               measured_model_days=model_days, wall_s=round(wall, 2), cpu_s=round(cpu, 2), model_days_per_min=round(rate, 1),
               model_days_per_cpu_min=round(model_days / (cpu / 60), 1),
               full_model_days=cfg.spinup_days + cfg.days, full_wall_s=round((cfg.spinup_days + cfg.days) / rate * 60, 1),
               extrapolated=not full, load_avg=os.getloadavg()[0], cpu=platform.processor() or platform.machine())
    return {**row, 'spectrum': spec} if spec else row

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--presets', nargs='+', default=['ci', 'smoke', 'demo'])
    ap.add_argument('--short-days', type=float, default=3.)
    ap.add_argument('--full', action='store_true', help='generate every preset in full (spin-up included)')
    ap.add_argument('--spectrum', action='store_true', help="measure the written truth's spectrum (full generations only)")
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    for p in a.presets: print(json.dumps(bench(p, a.short_days, a.device, a.threads, a.full, a.spectrum)), flush=True)
