"""Generation speed of the shallow-water presets (model days per wall-clock minute), and the spectrum of what they write.

`ci` and `smoke` are generated in full (spin-up included); `demo` and `gpu` only for `--short-days`
model days with no spin-up, and the full generation time is extrapolated from that rate (`--full`
generates every preset in full). Timings on a shared machine are noisy: run it twice and report the
conditions; `cpu_s` (process CPU time) is what the run costs on an otherwise idle core.

`--spectrum` (with a full generation) also measures the written truth's kinetic-energy spectrum, averaged
over every output time: its power-law slope from the degree the 4x input resolves (L/4) to 3/4 of the degrees, the
last eight degrees against that law (below 1: a roll-off, above 1: a pile-up), its effective truncation (the
degree where it falls below 1e-10 of its peak), and the degrees the 4x block mean (the super-resolution
input) resolves, as a grid and as measured (where its spectrum stays within a factor 2 of the truth's). Over the
band the super-resolution must invent (from the input's resolved degree L/4 to the truth's last, L-1) it reports the
slopes of the total, rotational and divergent KE, the share of the vorticity variance there, and the divergent /
rotational KE ratio per octave band. `--json FILE` also writes the rows (with the spectra) to FILE; `--figure PNG`
draws the rotational and divergent KE spectra of the last preset measured, with the input's resolved degree marked.
`--store PATH` measures the spectrum of a finished store (e.g. the one `make demo` wrote) instead of generating one.

    python bench/bench_synth.py [--presets ci smoke demo] [--short-days 3] [--full] [--spectrum] [--device cpu] [--threads 1]
                                [--json bench/results/synth.json] [--figure nbs/images/synth_spectra.png] [--store PATH]
"""
import argparse, json, os, platform, tempfile, time
from dataclasses import replace
from pathlib import Path
import numpy as np, torch
from atmodist_nb.core import config_from_dict
from atmodist_nb.data.synthetic import SWE_PRESETS, SWEConfig, resolve_swe, generate_swe, open_swe, sim_grid
from atmodist_nb.sphere import energy_spectrum, effective_truncation, power_spectrum, resolved_lmax

def _slope(l: np.ndarray, e: np.ndarray) -> float:
    "Least-squares power-law exponent of `e` against `l` (log-log)."
    return round(float(np.polyfit(np.log(l), np.log(e), 1)[0]), 2)

def spectrum_summary(ds, factor: int = 4) -> dict:
    "The truth's KE spectrum: slopes, tail, truncation, unresolved-band shares; the degrees its block mean resolves."
    truth, low, rot, div, pvo = 0., 0., 0., 0., 0.
    for t in range(0, ds.sizes['time'], 64):                        # in slices: the gpu preset does not fit in memory at once
        vo, d = (torch.from_numpy(ds[k].isel(time=slice(t, t + 64)).values).double() for k in ('vo', 'd'))
        pool = lambda x: torch.nn.functional.avg_pool2d(x[:, None], factor)[:, 0]
        zero = torch.zeros_like(vo)
        truth = truth + energy_spectrum(vo, d).sum(0).numpy(); low = low + energy_spectrum(pool(vo), pool(d)).sum(0).numpy()
        rot = rot + energy_spectrum(vo, zero).sum(0).numpy(); div = div + energy_spectrum(zero, d).sum(0).numpy()
        pvo = pvo + power_spectrum(vo).sum(0).numpy()
    n = ds.sizes['time']
    truth, low, rot, div, pvo = truth / n, low / n, rot / n, div / n, pvo / n
    q, L = resolved_lmax(ds.sizes['lat'] // factor), len(truth)          # the input's resolved degree; the truth's
    l = np.arange(L); fit = (l >= q) & (l <= 3 * L // 4)
    slope, icpt = np.polyfit(np.log(l[fit]), np.log(truth[fit]), 1)
    un = (l >= q) & (l <= L - 1)                                        # the band the super-resolution must invent
    octaves = [(a, min(2 * a, L)) for a in (1, 2, 4, 8, 16, 32, 64, 128, 256) if a < L]
    unresolved = dict(degrees=[q, L - 1], ke_slope=_slope(l[un], truth[un]), rot_slope=_slope(l[un], rot[un]),
                      div_slope=_slope(l[un], div[un]),
                      vo_variance_share=round(float(pvo[q:].sum() / pvo[1:].sum()), 3),
                      d_over_rot_ke=round(float(div[q:].sum() / rot[q:].sum()), 4),
                      d_over_rot_ke_by_octave={f'{a}-{b - 1}': round(float(div[a:b].sum() / rot[a:b].sum()), 4)
                                               for a, b in octaves})
    tail = truth[-8:] / np.exp(icpt + slope * np.log(l[-8:]))
    ratio = low[1:] / truth[1:len(low)]
    within = int(np.argmax(np.abs(np.log2(ratio)) > 1)) + 1 if (np.abs(np.log2(ratio)) > 1).any() else len(low)
    return dict(truth_degrees=len(truth), slope=round(float(slope), 2), fit_degrees=[int(l[fit][0]), int(l[fit][-1])],
                tail_vs_power_law=[round(float(x), 2) for x in tail], effective_truncation=effective_truncation(truth),
                input_grid=f"{ds.sizes['lat'] // factor}x{ds.sizes['lon'] // factor}",
                input_grid_degrees=resolved_lmax(ds.sizes['lat'] // factor), input_within_2x_degrees=within,
                input_over_truth=[round(float(x), 2) for x in ratio], unresolved=unresolved,
                rot_ke=[float(f'{x:.4g}') for x in rot], div_ke=[float(f'{x:.4g}') for x in div])

def figure(row: dict, path: str) -> None:
    "Rotational and divergent KE per degree of one measured preset, the input's resolved degree marked; a small PNG."
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    sp = row['spectrum']; rot, div = np.array(sp['rot_ke']), np.array(sp['div_ke']); l = np.arange(len(rot))
    q, u = sp['input_grid_degrees'], sp['unresolved']
    fig, ax = plt.subplots(figsize=(5.5, 3.), dpi=80)
    ax.loglog(l[1:], rot[1:] + div[1:], 'k', lw=1.2, label=f"total KE (slope {u['ke_slope']}, l = {q}-{len(l) - 1})")
    ax.loglog(l[1:], rot[1:], label=f"rotational ({u['rot_slope']})")
    ax.loglog(l[1:], div[1:], label=f"divergent ({u['div_slope']})")
    ref = rot[q] * (l[q:] / q) ** -3.
    ax.loglog(l[q:], ref, 'k:', lw=0.8, label='$l^{-3}$')
    ax.axvline(q, color='0.5', lw=0.8, ls='--')
    ax.text(q * 1.05, ax.get_ylim()[0] * 3, f'l = {q}: 4× input resolves below', fontsize=7)
    ax.set(xlabel='degree l', ylabel='KE per degree (m$^2$ s$^{-2}$)',
           title=f"{row['grid']}, {row['full_model_days']:g} model days: KE per degree",
           ylim=(max(1e-6, div[1:].min() / 2), None))
    ax.legend(fontsize=7, loc='lower left'); fig.tight_layout(); fig.savefig(path, dpi=80); plt.close(fig)

def measure_store(path: str) -> dict:
    "The spectrum of a finished store, with its configuration (nothing timed)."
    ds = open_swe(path); cfg = config_from_dict(SWEConfig, json.loads(ds.attrs['config']))
    return dict(preset=Path(path).name, grid=f'{cfg.nlat}x{cfg.nlon}', lmax=cfg.lmax, dt_s=round(cfg.dt_seconds, 1),
                full_model_days=cfg.spinup_days + cfg.days, config=json.loads(ds.attrs['config']),
                spectrum=spectrum_summary(ds))

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
        spec = spectrum_summary(open_swe(out)) if spectrum and full else None
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
    ap.add_argument('--json', help='also write the rows (a JSON list) to this file')
    ap.add_argument('--store', help='measure the spectrum of this finished store instead of generating presets')
    ap.add_argument('--figure', help="draw the last measured preset's rotational and divergent KE spectra to this PNG")
    a = ap.parse_args()
    rows = []
    for p in [a.store] if a.store else a.presets:
        rows.append(measure_store(p) if a.store else bench(p, a.short_days, a.device, a.threads, a.full, a.spectrum))
        short = {k: v for k, v in rows[-1].items() if k != 'spectrum'}
        if 'spectrum' in rows[-1]:
            drop = ('rot_ke', 'div_ke', 'input_over_truth')
            short['spectrum'] = {k: v for k, v in rows[-1]['spectrum'].items() if k not in drop}
        print(json.dumps(short), flush=True)
        if a.json: Path(a.json).write_text(json.dumps(rows, indent=1) + '\n')
    if a.figure and rows and 'spectrum' in rows[-1]: figure(rows[-1], a.figure)
