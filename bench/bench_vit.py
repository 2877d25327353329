#!/usr/bin/env python
"""Pretext training throughput of the two encoders, side by side in one run: ResNet (ResnetSmall) and ViT.

Both use the project's step (`atmodist_nb.train.pretext.train_step`): pairs cut by the device-resident
`PairSampler` from a synthetic (T, 2, nlat, nlon) window, SGD with gradient clipping, and on CUDA bf16
autocast, channels-last and optionally torch.compile. The networks are the reference-sized ones
(`AtmoDistConfig()` and `AtmoDistConfig(encoder='vit')`, 23 classes) at the chosen patch; `--small` uses the
demo-scale pair instead (the shapes bench/compare_encoders.py trains). Pairs/s of each and their ratio are
printed and written to bench/out/vit.json.

  python bench/bench_vit.py --threads 1                      # CPU: patch 160, batch 8, 3 steps (process-CPU rates count)
  python bench/bench_vit.py --threads 1 --small              # CPU: the demo-scale pair at patch 32, batch 32
  python bench/bench_vit.py --device cuda --compile          # GPU: patch 160, batch 512, bf16, compiled
"""
from __future__ import annotations
import argparse, json, platform, sys
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pretext import timed
from atmodist_nb.core import get_device
from atmodist_nb.models.atmodist import AtmoDist, AtmoDistConfig
from atmodist_nb.data.pairs import PairSampler
from atmodist_nb.train.pretext import PretextConfig, make_optimizer, train_step, toy_fields

# demo-scale shapes (the pairs trained by bench/compare_encoders.py)
SMALL = {'resnet': dict(widths=(16, 32), blocks=1, head_width=32),
         'vit': dict(encoder='vit', vit_dim=32, vit_depth=2, vit_heads=2, head_width=32)}


def step_rate(mcfg: AtmoDistConfig, cfg: PretextConfig, sampler: PairSampler, dev, steps: int, warmup: int) -> dict:
    "Pairs/s of the project's pretext step for the network `mcfg`."
    torch.manual_seed(0)
    model = AtmoDist(mcfg).to(dev)
    if dev.type == 'cuda' and cfg.channels_last: model = model.to(memory_format=torch.channels_last)
    opt, warm, _ = make_optimizer(cfg, model)
    net = torch.compile(model, mode=cfg.compile_mode) if cfg.compile else model
    def step():
        x1, x2, y = sampler.sample(cfg.batch)
        train_step(net, model, opt, warm, x1, x2, y, cfg=cfg)
    wall, cpu = timed(step, steps, warmup, dev)
    return {'params': sum(p.numel() for p in model.parameters()), 'pairs_per_s': cfg.batch / wall,
            'ms_per_step': 1e3 * wall, 'cpu_ms_per_step': 1e3 * cpu}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default=None, help="cpu, cuda (default: cuda if available)")
    ap.add_argument('--batch', type=int, default=None, help="pairs per step (default: 512 on CUDA; on CPU 8, or 32 with --small)")
    ap.add_argument('--patch', type=int, default=None, help="patch edge (default: 160, or 32 with --small)")
    ap.add_argument('--steps', type=int, default=None, help="timed steps (default: 50 on CUDA; on CPU 3, or 10 with --small)")
    ap.add_argument('--warmup', type=int, default=None, help="untimed steps first (default: 10 on CUDA, 1 on CPU)")
    ap.add_argument('--small', action='store_true', help="the demo-scale networks instead of the reference-sized ones")
    ap.add_argument('--compile', action='store_true', help="torch.compile both models")
    ap.add_argument('--no-amp', action='store_true', help="without bf16 autocast (CUDA)")
    ap.add_argument('--threads', type=int, default=None, help="CPU threads (torch.set_num_threads)")
    ap.add_argument('--out', default=str(Path(__file__).resolve().parent / 'out' / 'vit.json'))
    a = ap.parse_args(argv)
    dev = get_device(a.device); cuda = dev.type == 'cuda'
    if a.threads: torch.set_num_threads(a.threads)
    d = lambda v, gpu, cpu: v if v is not None else (gpu if cuda else cpu)
    small = a.small
    batch, patch = d(a.batch, 512, 32 if small else 8), d(a.patch, 32 if small else 160, 32 if small else 160)
    steps, warmup = d(a.steps, 50, 10 if small else 3), d(a.warmup, 10, 1)
    if cuda: torch.backends.cudnn.benchmark = True
    fields, lats = toy_fields(32 if not cuda else 128, max(64, patch + 16), max(128, 2 * patch + 32), device=dev)
    fields = fields.to(torch.bfloat16 if (cuda and not a.no_amp) else torch.float32)
    cpu_name = f'cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)'
    res = {'device': torch.cuda.get_device_name(dev) if cuda else cpu_name,
           'torch': torch.__version__, 'patch': patch, 'batch': batch, 'steps': steps, 'n_classes': 23, 'small': a.small,
           'amp_bf16': cuda and not a.no_amp, 'compile': a.compile}
    for name in ('resnet', 'vit'):
        mcfg = AtmoDistConfig(patch=patch, n_classes=23, **(SMALL[name] if a.small else {'encoder': name}))
        cfg = PretextConfig(model=mcfg, batch=batch, amp=not a.no_amp, compile=a.compile)
        sampler = PairSampler(fields, lats, patch=patch, n_classes=23, lat_band=90., generator=torch.Generator(device=dev).manual_seed(0))
        res[name] = step_rate(mcfg, cfg, sampler, dev, steps, warmup)
        res[name]['pairs_per_process_cpu_s'] = batch * 1e3 / res[name]['cpu_ms_per_step']
        r = res[name]
        print(f"{name:6s} {r['params']:>9,d} params  {r['pairs_per_s']:8,.1f} pairs/s wall, {r['pairs_per_process_cpu_s']:8,.1f} per CPU s  "
              f"({r['ms_per_step']:.0f} ms/step, "
              f"process CPU {res[name]['cpu_ms_per_step']:.0f} ms/step)", flush=True)
    key = 'pairs_per_s' if cuda else 'pairs_per_process_cpu_s'   # on a shared CPU, process time is the fair clock
    res['vit_over_resnet'] = res['vit'][key] / res['resnet'][key]
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + '\n')
    print(f"device: {res['device']}  torch {res['torch']}  patch {patch}, batch {batch}; "
          f"ViT/ResNet throughput ({key}) {res['vit_over_resnet']:.2f}x -> {out}")
    return res


if __name__ == '__main__':
    main()
