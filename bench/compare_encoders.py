#!/usr/bin/env python
"""Train the ResNet and the ViT encoder on the demo shallow-water data, once, and store small results for nbs/14_encoders.

Both networks are trained with the pretext preset 'demo' of atmodist_nb.train.pretext (batch 32, 2000 steps, Adam) —
smaller than the pipeline's demo run (batch 64, 5000 steps) — at demo scale (patch 32, 23 classes): the demo ResNet
(widths 16, 32) and a ViT of similar size (4-point tokens, width 32, 2 blocks, 2 heads). For each: held-out
top-1/top-3 (evaluate_pretext), the calibrated distance's Spearman and separability on held-out pairs
(calibrate_alpha, distance_vs_lag), parameters, single-thread CPU pairs/s of the training step, and the maps and
their physical validity (atmodist_nb.explain). Writes nbs/images/encoders.json and nbs/images/encoders_maps.png
(small: the chapter loads and shows them). Training folders go to --work (resumed if there).

  OMP_NUM_THREADS=1 python bench/compare_encoders.py --data /path/to/swe-demo.zarr
"""
from __future__ import annotations
import argparse, json, platform, sys, time
from dataclasses import replace
from pathlib import Path

import numpy as np, torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'bench'))
from atmodist_nb.core import write_json, config_to_dict, config_hash
from atmodist_nb.models.atmodist import AtmoDistConfig
from atmodist_nb.data.catalog import open_source
from atmodist_nb.data.normalize import fit_norm, to_tensor
from atmodist_nb.data.pairs import split_time, PairSampler
from atmodist_nb.data.synthetic import SWE_PRESETS, generate_swe, swe_cache_path, resolve_swe
from atmodist_nb.train.pretext import PRETEXT_PRESETS, train_pretext, evaluate_pretext, load_pretext
from atmodist_nb.distance import calibrate_alpha, distance_vs_lag, AtmoDistLoss
from bench_vit import step_rate, SMALL

ENCODER_NAMES = {'resnet': 'ResNet', 'vit': 'ViT'}


def store_config(path: Path) -> dict:
    "The attributes of a shallow-water store (its config JSON and hash), as written by generate_swe."
    import zarr
    return dict(zarr.open_group(str(path), mode='r').attrs)


def load_fields(path: Path, K: int, eval_frac: float = 0.2):
    "Normalised (T, C, H, W) fields of the store, latitudes, train/eval spans, step and the fitted norm (as the pipeline)."
    ds = open_source(str(path), max_lag=K)
    tr, ev = split_time(ds.sizes['time'], eval_frac, gap=K)
    stats = fit_norm(ds, time_slice=tr)
    return (to_tensor(ds, stats), ds.lat.values.astype(np.float64), tr, ev, float(ds.attrs.get('step_hours', 3.0)),
            stats)


def evaluate(name: str, run: Path, fields, lats, tr, ev, dt_hours: float, pcfg, stats) -> dict:
    "Top-1/top-3, distance Spearman and separability, parameters and CPU pairs/s of one trained encoder."
    model, pcfg = load_pretext(run)
    K, P = pcfg.model.n_classes, pcfg.model.patch
    gen = lambda s: torch.Generator().manual_seed(s)
    top = evaluate_pretext(model, fields, lats, t_range=ev, cfg=pcfg, n_batches=32, generator=gen(11))
    pairs = lambda span, s: PairSampler(fields, lats, patch=P, n_classes=K, lat_band=pcfg.lat_band, t_range=span, generator=gen(s))
    alpha = calibrate_alpha(model, pairs(tr, 12), n_batches=16, batch=64, stats=stats)   # as the pipeline fits it
    res = distance_vs_lag(AtmoDistLoss(model, alpha), pairs(ev, 13), n_batches=32, batch=64, dt_hours=dt_hours)
    speed = step_rate(pcfg.model, replace(pcfg, compile=False), pairs(tr, 14), torch.device('cpu'), steps=20, warmup=3)
    return {'name': ENCODER_NAMES[name], 'params': speed['params'], 'top1': top['top1'], 'top3': top['top3'], 'chance': top['chance'],
            'n_eval_pairs': top['n'], 'alpha': alpha, 'distance_spearman': res['distance']['spearman'],
            'distance_separability': res['distance']['separability'], 'l2_spearman': res['l2']['spearman'],
            'l2_separability': res['l2']['separability'], 'cpu_pairs_per_s': speed['pairs_per_s'],
            'cpu_ms_per_step_process': speed['cpu_ms_per_step'], 'cpu_pairs_per_s_process': 1e3 * pcfg.batch / speed['cpu_ms_per_step'],
            **json.loads((run / 'train_time.json').read_text())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=None, help="demo SWE zarr store (made with SWE_PRESETS['demo'] if missing)")
    ap.add_argument('--swe-preset', default='demo', help="SWE preset used to make/identify the data")
    ap.add_argument('--work', default='/tmp/atmodist-compare', help="training folders")
    ap.add_argument('--out', default=str(ROOT / 'nbs' / 'images'), help="where encoders.json and encoders_maps.png go")
    ap.add_argument('--steps', type=int, default=None, help="override the preset's steps (default: the 'demo' pretext preset's)")
    ap.add_argument('--no-maps', action='store_true', help="train and score only (no explain maps)")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    swe = SWE_PRESETS[a.swe_preset]
    data = Path(a.data) if a.data else swe_cache_path(swe, Path(a.work) / 'data')
    t0 = time.process_time()
    same = data.exists() and store_config(data).get('config_hash') == config_hash(resolve_swe(swe))
    if same or not data.exists(): generate_swe(swe, data, progress=False)   # makes or finishes it; a store of another config is used as is
    swe_store = store_config(data)
    base = PRETEXT_PRESETS['demo'] if a.steps is None else replace(PRETEXT_PRESETS['demo'], steps=a.steps)
    fields, lats, tr, ev, dt_hours, stats = load_fields(data, base.model.n_classes)
    out = {'data': {'store': data.name, 'swe_preset': a.swe_preset,
                    'preset_matches_store': swe_store.get('config_hash') == config_hash(resolve_swe(swe)),
                    'swe_config': json.loads(swe_store['config']), 'shape': list(fields.shape), 'train': list(tr), 'eval': list(ev)},
           'pretext': {k: v for k, v in config_to_dict(base).items() if k != 'model'}, 'encoders': {},
           'machine': f'{platform.machine()}, torch {torch.__version__}, 1 thread'}
    models = {}
    for name in ('resnet', 'vit'):
        pcfg = replace(base, model=AtmoDistConfig(patch=base.model.patch, n_classes=base.model.n_classes, **SMALL[name]))
        run = Path(a.work) / name
        if not (run / 'train_time.json').exists():
            t, w = time.process_time(), time.perf_counter()
            train_pretext(pcfg, fields, lats, run, t_train=tr, t_eval=ev, progress=False)
            write_json(run / 'train_time.json', {'train_process_cpu_s': time.process_time() - t, 'train_wall_s': time.perf_counter() - w})
        out['encoders'][name] = evaluate(name, run, fields, lats, tr, ev, dt_hours, pcfg, stats)
        out['encoders'][name]['model'] = config_to_dict(pcfg.model)
        models[name] = load_pretext(run)[0]
        summary = {k: v for k, v in out['encoders'][name].items() if k != 'model'}
        print(name, summary, f'(process CPU so far {time.process_time() - t0:.0f} s)', flush=True)
    if not a.no_maps:
        from atmodist_nb.explain import explain_report, map_validity
        for name, m in models.items():
            pairs = PairSampler(fields, lats, patch=base.model.patch, n_classes=base.model.n_classes, lat_band=base.lat_band, t_range=ev,
                                generator=torch.Generator().manual_seed(21))
            out['encoders'][name]['validity'] = explain_report(m, pairs, Path(a.work) / f'maps-{name}', n_pairs=3, n_validity=128,
                                                               generator=torch.Generator().manual_seed(5))
            if name == 'vit':   # the gradient map of the ViT too, on the same pairs: rollout is class-agnostic, HiResCAM is not
                pairs = PairSampler(fields, lats, patch=base.model.patch, n_classes=base.model.n_classes, lat_band=base.lat_band, t_range=ev,
                                    generator=torch.Generator().manual_seed(21))
                out['encoders'][name]['validity_hirescam'] = map_validity(m, pairs, 128, generator=torch.Generator().manual_seed(5), method='hirescam')
        maps_figure(models, PairSampler(fields, lats, patch=base.model.patch, n_classes=base.model.n_classes, lat_band=base.lat_band, t_range=ev,
                                        generator=torch.Generator().manual_seed(31)), 3, Path(a.out) / 'encoders_maps.png')
    out['reference_cpu'] = reference_rates()
    out['process_cpu_seconds'] = time.process_time() - t0
    write_json(Path(a.out) / 'encoders.json', out)
    print(json.dumps({n: {k: v for k, v in e.items() if k != 'model'} for n, e in out['encoders'].items()}, indent=1))


def reference_rates(batch: int = 8, steps: int = 3) -> dict:
    "Parameters and single-thread CPU pairs/s of the reference-sized networks (160×160×2 patches, 23 classes, SGD)."
    from atmodist_nb.train.pretext import PretextConfig, toy_fields
    f, lats = toy_fields(32, 176, 352)
    out = {'patch': 160, 'batch': batch, 'steps': steps}
    for name in ('resnet', 'vit'):
        mcfg = AtmoDistConfig(encoder=name)
        smp = PairSampler(f, lats, patch=160, n_classes=23, lat_band=90., generator=torch.Generator().manual_seed(0))
        out[name] = step_rate(mcfg, PretextConfig(model=mcfg, batch=batch), smp, torch.device('cpu'), steps=steps, warmup=1)
    return out


def maps_figure(models: dict, pairs: PairSampler, n_pairs: int, path: Path) -> Path:
    "One small figure: rows = held-out pairs, columns = both patches under each encoder's map (atmodist_nb.explain)."
    from matplotlib.figure import Figure
    from atmodist_nb.explain import explain, plot_explanation, vortex_centres
    x1, x2, y = pairs.sample(n_pairs)
    fig = Figure(figsize=(7.2, 1.9 * n_pairs)); axes = fig.subplots(n_pairs, 2 * len(models))
    for k, (name, m) in enumerate(models.items()):
        for j, (x, mp) in enumerate(zip((x1, x2), explain(m, x1, x2))):
            for i in range(n_pairs):
                vo = x[i, 0].numpy()
                plot_explanation(vo, mp[i].numpy(), axes[i, 2 * k + j], centres=vortex_centres(vo),
                                 title=f"{ENCODER_NAMES[name]}, {'first' if j == 0 else 'second'} (Δt {3 * (int(y[i]) + 1)} h)")
    fig.tight_layout(); path.parent.mkdir(parents=True, exist_ok=True); fig.savefig(path, dpi=72)
    return path


if __name__ == '__main__':
    main()
