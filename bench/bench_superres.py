#!/usr/bin/env python
"""Super-resolution GAN throughput: the project's full GAN step against its fp32 eager NCHW form.

The step is the one `train_gan` runs (`atmodist_nb.train.superres.build_gan`): one shared generator forward,
a discriminator update on real and generated patches, a generator update on content + 0.001 x adversarial,
Adam (fused on CUDA). The content loss is AtmoDist-like: `atmodist_nb.distance.AtmoDistLoss` around an
untrained reference `AtmoDist()` encoder when that module imports, else a stand-in frozen conv encoder of
similar size (the JSON says which). PhIRE's balancing updates are off, so every step does the same work.
The project form runs with bf16 autocast and channels-last on CUDA (optionally torch.compile); the baseline is
the same step in fp32, eager, NCHW. Both run in the same process on synthetic device-resident tensors;
patches/s and their ratio are printed and written to bench/out/superres.json.

  python bench/bench_superres.py                                  # CPU here: tiny sizes, a few steps
  python bench/bench_superres.py --device cuda --compile          # GPU: patch 96, batch 256 vs 64
"""
from __future__ import annotations
import argparse, json, platform, sys, time
from dataclasses import replace
from pathlib import Path

import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from atmodist_nb.core import get_device, config_to_dict, seed_everything
from atmodist_nb.models.srgan import GeneratorConfig, n_params
from atmodist_nb.train.superres import SRConfig, build_gan


class StandInLoss(nn.Module):
    "Frozen conv encoder feature MSE, shaped like AtmoDist's ResnetSmall encoder (stride-2 stem, 4 residual stages 16→128)."
    def __init__(self, widths=(16, 32, 64, 128), blocks=6):
        super().__init__()
        layers, cin = [nn.Conv2d(2, widths[0], 8, stride=2, padding=3), nn.BatchNorm2d(widths[0]), nn.ReLU(), nn.MaxPool2d(3, 2, 1)], widths[0]
        for i, w in enumerate(widths):
            for b in range(blocks):
                s = 2 if (b == 0 and i > 0) else 1
                layers += [nn.Conv2d(cin, w, 3, stride=s, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
                cin = w
        self.enc = nn.Sequential(*layers).eval().requires_grad_(False)
    def forward(self, pred, target):
        f = self.enc(torch.cat([pred, target])).float()
        fp, ft = f.chunk(2)
        return (fp - ft).pow(2).mean()


def content_loss():
    "(loss module, description): AtmoDistLoss when importable, else the stand-in."
    try:
        from atmodist_nb.distance import AtmoDistLoss
        from atmodist_nb.models.atmodist import AtmoDist
        loss = AtmoDistLoss(AtmoDist(), alpha=1.0)
        return loss, f'atmodist_nb.distance.AtmoDistLoss(AtmoDist(), tap={loss.tap!r}), untrained reference encoder'
    except Exception as e:  # a missing or changed module: say so, measure with the stand-in
        return StandInLoss(), f'stand-in frozen conv encoder (AtmoDistLoss unavailable: {type(e).__name__}: {e})'


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def run(cfg: SRConfig, dev: torch.device, steps: int, warmup: int) -> dict:
    "Time `steps` full GAN steps of `cfg` after `warmup` untimed ones; return patches/s and friends."
    seed_everything(0)
    loss, what = content_loss()
    step, g, d, _, _ = build_gan(cfg, loss, dev)
    gen = torch.Generator(device=dev).manual_seed(0)
    hr = torch.randn(4, cfg.batch, 2, cfg.patch, cfg.patch, device=dev, generator=gen)     # a few batches, device-resident
    lr = F.avg_pool2d(hr.flatten(0, 1), cfg.factor).unflatten(0, (4, cfg.batch))
    cl = cfg.channels_last and dev.type == 'cuda'
    if cl: hr, lr = [torch.stack([b.contiguous(memory_format=torch.channels_last) for b in x]) for x in (hr, lr)]
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    for i in range(warmup): step(lr[i % 4], hr[i % 4])
    sync(dev); t, c = time.perf_counter(), time.process_time()
    for i in range(steps): out = step(lr[i % 4], hr[i % 4])
    sync(dev)
    wall, cpu = (time.perf_counter() - t) / steps, (time.process_time() - c) / steps
    return {'batch': cfg.batch, 'amp_bf16': cfg.amp and dev.type == 'cuda', 'channels_last': cl, 'compile': cfg.compile,
            'step_ms': 1e3 * wall, 'cpu_ms_per_step': 1e3 * cpu, 'patches_per_s': cfg.batch / wall,
            'g_loss': float(out['g_loss']), 'finite': bool(all(torch.isfinite(v).all() for v in out.values())),
            'peak_mem_gib': torch.cuda.max_memory_allocated(dev) / 2**30 if dev.type == 'cuda' else None,
            'content_loss': what, 'g_params': n_params(g), 'd_params': n_params(d)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default=None, help="cpu, cuda (default: cuda if available)")
    ap.add_argument('--batch', type=int, default=None, help="project batch (default: 256 on CUDA, 2 on CPU)")
    ap.add_argument('--baseline-batch', type=int, default=None, help="fp32 eager batch (default: 64 on CUDA, 2 on CPU)")
    ap.add_argument('--patch', type=int, default=None, help="high-resolution patch edge (default: 96 on CUDA, 32 on CPU)")
    ap.add_argument('--steps', type=int, default=None, help="timed steps per form (default: 30 on CUDA, 3 on CPU)")
    ap.add_argument('--warmup', type=int, default=None, help="untimed steps first (default: 10 on CUDA, 1 on CPU)")
    ap.add_argument('--width', type=int, default=None, help="generator width (default: 64, the reference)")
    ap.add_argument('--blocks', type=int, default=None, help="generator residual blocks (default: 16, the reference)")
    ap.add_argument('--compile', action='store_true', help="torch.compile the networks and the content loss in the project form")
    ap.add_argument('--out', default=str(Path(__file__).resolve().parent / 'out' / 'superres.json'))
    a = ap.parse_args(argv)
    dev = get_device(a.device); gpu = dev.type == 'cuda'
    pick = lambda v, g_, c_: v if v is not None else (g_ if gpu else c_)
    if gpu: torch.backends.cudnn.benchmark = True
    gcfg = GeneratorConfig(width=a.width or 64, blocks=a.blocks if a.blocks is not None else 16)
    base = SRConfig(generator=gcfg, patch=pick(a.patch, 96, 32), batch=pick(a.baseline_batch, 64, 2), balance=False,
                    amp=False, channels_last=False, compile=False)
    fast = replace(base, batch=pick(a.batch, 256, 2), amp=True, channels_last=True, compile=a.compile)
    steps, warmup = pick(a.steps, 30, 3), pick(a.warmup, 10, 1)
    res = {'device': torch.cuda.get_device_name(dev) if gpu else platform.processor() or 'cpu', 'torch': torch.__version__,
           'threads': torch.get_num_threads(), 'steps': steps, 'warmup': warmup, 'config': config_to_dict(fast),
           'baseline': run(base, dev, steps, warmup), 'project': run(fast, dev, steps, warmup)}
    res['speedup'] = res['project']['patches_per_s'] / res['baseline']['patches_per_s']
    for k in ('baseline', 'project'):
        r = res[k]
        print(f"{k:9s} batch {r['batch']:4d}  amp {str(r['amp_bf16']):5s} cl {str(r['channels_last']):5s} compile {str(r['compile']):5s}  "
              f"{r['step_ms']:8.1f} ms/step  {r['patches_per_s']:9.1f} patches/s  finite {r['finite']}")
    print(f"content loss: {res['project']['content_loss']}")
    print(f"speedup (project / fp32 eager NCHW): {res['speedup']:.2f}x on {res['device']}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=2) + '\n')
    return res


if __name__ == '__main__':
    main()
