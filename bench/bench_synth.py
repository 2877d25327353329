"""Generation speed of the shallow-water presets (model days per wall-clock minute).

`ci` and `smoke` are generated in full (spin-up included); `demo` and `gpu` only for `--short-days`
model days with no spin-up, and the full generation time is extrapolated from that rate.
Timings on a shared machine are noisy: run it twice and report the conditions; `cpu_s` (process CPU
time) is what the run costs on an otherwise idle core.

    python bench/bench_synth.py [--presets ci smoke demo] [--short-days 3] [--device cpu] [--threads 1]
"""
import argparse, json, os, platform, tempfile, time
from dataclasses import replace
from pathlib import Path
import torch
from atmodist_nb.data.synthetic import SWE_PRESETS, resolve_swe, generate_swe

def bench(name: str, short_days: float, device: str, threads: int | None) -> dict:
    cfg = resolve_swe(SWE_PRESETS[name])
    full = name in ('ci', 'smoke')
    run_cfg = cfg if full else replace(cfg, spinup_days=0., days=short_days)
    model_days = run_cfg.spinup_days + run_cfg.days
    with tempfile.TemporaryDirectory() as d:
        t, c = time.perf_counter(), time.process_time()
        generate_swe(run_cfg, Path(d) / 's.zarr', device=device, progress=False, threads=threads)
        if device.startswith('cuda'): torch.cuda.synchronize()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    rate = model_days / (wall / 60)
    return dict(preset=name, grid=f'{cfg.nlat}x{cfg.nlon}', lmax=cfg.lmax, dt_s=round(cfg.dt_seconds, 1), device=device, threads=threads,
                measured_model_days=model_days, wall_s=round(wall, 2), cpu_s=round(cpu, 2), model_days_per_min=round(rate, 1),
                model_days_per_cpu_min=round(model_days / (cpu / 60), 1),
                full_model_days=cfg.spinup_days + cfg.days, full_wall_s=round((cfg.spinup_days + cfg.days) / rate * 60, 1),
                extrapolated=not full, load_avg=os.getloadavg()[0], cpu=platform.processor() or platform.machine())

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--presets', nargs='+', default=['ci', 'smoke', 'demo'])
    ap.add_argument('--short-days', type=float, default=3.)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    for p in a.presets: print(json.dumps(bench(p, a.short_days, a.device, a.threads)), flush=True)
