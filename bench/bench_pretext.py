#!/usr/bin/env python
"""Pretext training throughput: the project's training step against a plain fp32 eager loop.

The project step is the one `train_pretext` runs (`atmodist_nb.train.pretext.train_step`): pairs cut by the
device-resident `PairSampler` from a synthetic (T, 2, nlat, nlon) window on the device, the AtmoDist network,
SGD (fused on CUDA) with gradient clipping, and on CUDA bf16 autocast, channels-last and optionally
torch.compile. The baseline is the reference code's style: the same network in fp32, eager, NCHW, on fixed
random tensors, at batch 128. Both run in the same process; pairs/s and their ratio are printed and written
to bench/out/pretext.json.

  python bench/bench_pretext.py                                  # CPU here: small patch, few steps
  python bench/bench_pretext.py --device cuda --compile          # GPU: patch 160, batch 512
"""
from __future__ import annotations
import argparse, json, os, platform, sys, time
from dataclasses import replace
from pathlib import Path

import torch, torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from atmodist_nb.core import get_device, config_to_dict
from atmodist_nb.models.atmodist import AtmoDist, AtmoDistConfig
from atmodist_nb.data.pairs import PairSampler
from atmodist_nb.train.pretext import PretextConfig, make_optimizer, train_step, toy_fields


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def timed(fn, steps, warmup, dev):
    "(wall, process CPU) seconds per call of `fn` after `warmup` calls."
    for _ in range(warmup): fn()
    sync(dev); t, c = time.perf_counter(), time.process_time()
    for _ in range(steps): fn()
    sync(dev)
    return (time.perf_counter() - t) / steps, (time.process_time() - c) / steps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default=None, help="cpu, cuda (default: cuda if available)")
    ap.add_argument('--batch', type=int, default=None, help="project batch (default: 512 on CUDA, 32 on CPU)")
    ap.add_argument('--baseline-batch', type=int, default=None, help="baseline batch (default: 128 on CUDA, 32 on CPU)")
    ap.add_argument('--patch', type=int, default=None, help="patch edge (default: 160 on CUDA, 32 on CPU)")
    ap.add_argument('--steps', type=int, default=None, help="timed steps per loop (default: 50 on CUDA, 10 on CPU)")
    ap.add_argument('--warmup', type=int, default=None, help="untimed steps first (default: 10 on CUDA (compile), 2 on CPU)")
    ap.add_argument('--compile', action='store_true', help="torch.compile the project model")
    ap.add_argument('--compile-mode', default='default', help="torch.compile mode, e.g. max-autotune-no-cudagraphs")
    ap.add_argument('--no-amp', action='store_true', help="project step without bf16 autocast")
    ap.add_argument('--no-channels-last', action='store_true', help="project step without channels-last")
    ap.add_argument('--nlat', type=int, default=None, help="synthetic window latitudes (default: 256 on CUDA, 64 on CPU)")
    ap.add_argument('--nlon', type=int, default=None, help="synthetic window longitudes (default: 512 on CUDA, 128 on CPU)")
    ap.add_argument('--T', type=int, default=None, help="synthetic window time steps (default: 128 on CUDA, 48 on CPU)")
    ap.add_argument('--n-classes', type=int, default=23)
    ap.add_argument('--threads', type=int, default=None, help="CPU threads (torch.set_num_threads)")
    ap.add_argument('--out', default=str(Path(__file__).resolve().parent / 'out' / 'pretext.json'))
    a = ap.parse_args(argv)
    dev = get_device(a.device); cuda = dev.type == 'cuda'
    if a.threads: torch.set_num_threads(a.threads)
    d = lambda v, gpu, cpu: v if v is not None else (gpu if cuda else cpu)
    batch, bbatch, patch = d(a.batch, 512, 32), d(a.baseline_batch, 128, 32), d(a.patch, 160, 32)
    steps, warmup = d(a.steps, 50, 10), d(a.warmup, 10, 2)
    nlat, nlon, T = d(a.nlat, 256, 64), d(a.nlon, 512, 128), d(a.T, 128, 48)
    if cuda: torch.backends.cudnn.benchmark = True

    mcfg = AtmoDistConfig(patch=patch, n_classes=a.n_classes)
    cfg = PretextConfig(model=mcfg, batch=batch, amp=not a.no_amp, channels_last=not a.no_channels_last, compile=a.compile, compile_mode=a.compile_mode)

    # --- project step: device-resident sampler + train_step (as in train_pretext)
    fields, lats = toy_fields(T, nlat, nlon, device=dev)
    fields = fields.to(torch.bfloat16 if (cfg.amp and cuda) else torch.float32)
    sampler = PairSampler(fields, lats, patch=patch, n_classes=a.n_classes, lat_band=90., generator=torch.Generator(device=dev).manual_seed(0))
    torch.manual_seed(0)
    model = AtmoDist(mcfg).to(dev)
    if cuda and cfg.channels_last: model = model.to(memory_format=torch.channels_last)
    opt, warm, _ = make_optimizer(cfg, model)
    net = torch.compile(model, mode=cfg.compile_mode) if cfg.compile else model
    def project():
        x1, x2, y = sampler.sample(batch)
        train_step(net, model, opt, warm, x1, x2, y, cfg=cfg)
    t_proj, c_proj = timed(project, steps, warmup, dev)
    t_samp, _ = timed(lambda: sampler.sample(batch), steps, 2, dev)
    del model, opt, net

    # --- baseline: fp32, eager, NCHW, fixed random tensors, plain SGD (the reference code's loop)
    torch.manual_seed(0)
    base = AtmoDist(mcfg).to(dev)
    bopt = torch.optim.SGD(base.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x1, x2 = torch.randn(bbatch, 2, patch, patch, device=dev), torch.randn(bbatch, 2, patch, patch, device=dev)
    y = torch.randint(0, a.n_classes, (bbatch,), device=dev)
    def baseline():
        loss = F.cross_entropy(base(x1, x2), y)
        bopt.zero_grad(); loss.backward(); bopt.step()
    t_base, c_base = timed(baseline, steps, warmup if not a.compile else 2, dev)

    res = {
        'device': torch.cuda.get_device_name(dev) if cuda else f'cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)',
        'torch': torch.__version__, 'patch': patch, 'n_classes': a.n_classes, 'steps': steps, 'warmup': warmup,
        'window': [T, 2, nlat, nlon],
        'project': {'batch': batch, 'amp_bf16': cfg.amp and cuda, 'channels_last': cfg.channels_last and cuda, 'compile': cfg.compile and cfg.compile_mode,
                    'pairs_per_s': batch / t_proj, 'ms_per_step': 1e3 * t_proj, 'cpu_ms_per_step': 1e3 * c_proj},
        'sampler_only': {'batch': batch, 'pairs_per_s': batch / t_samp},
        'baseline_fp32_eager': {'batch': bbatch, 'pairs_per_s': bbatch / t_base, 'ms_per_step': 1e3 * t_base, 'cpu_ms_per_step': 1e3 * c_base},
    }
    res['speedup'] = res['project']['pairs_per_s'] / res['baseline_fp32_eager']['pairs_per_s']
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + '\n')
    print(f"device: {res['device']}  torch {res['torch']}  patch {patch}, {a.n_classes} classes")
    print(f"project  (batch {batch}, bf16={res['project']['amp_bf16']}, channels_last={res['project']['channels_last']}, compile={cfg.compile}): "
          f"{res['project']['pairs_per_s']:,.0f} pairs/s  ({res['project']['ms_per_step']:.1f} ms/step)")
    print(f"sampler only (batch {batch}): {res['sampler_only']['pairs_per_s']:,.0f} pairs/s")
    print(f"baseline (batch {bbatch}, fp32 eager NCHW, fixed tensors): {res['baseline_fp32_eager']['pairs_per_s']:,.0f} pairs/s  ({res['baseline_fp32_eager']['ms_per_step']:.1f} ms/step)")
    print(f"ratio project/baseline: {res['speedup']:.2f}x   -> {out}")
    if not cuda: print(f"process CPU time per step: project {res['project']['cpu_ms_per_step']:.0f} ms, baseline {res['baseline_fp32_eager']['cpu_ms_per_step']:.0f} ms "
                       f"(wall time above includes waiting for shared cores)")
    return res


if __name__ == '__main__':
    main()
