"""GPU twins of the CPU tests: the same code paths on CUDA (bf16 autocast, channels-last, device-resident sampling).
Skipped where no GPU is present (CI); run on a GPU machine with `pytest tests/test_cuda.py`."""
import os, subprocess, sys, textwrap
import pytest, torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')

def test_pair_sampler_cuda_matches_cpu():
    from atmodist_nb.data.pairs import PairSampler
    from atmodist_nb.train.pretext import toy_fields
    f, lats = toy_fields(40, 32, 64)
    a = PairSampler(f, lats, patch=16, n_classes=8, generator=torch.Generator().manual_seed(0)).sample(64)
    b = PairSampler(f.cuda(), lats, patch=16, n_classes=8, generator=torch.Generator().manual_seed(0)).sample(64)
    for x, y in zip(a, b): assert torch.equal(x, y.cpu())
    g = torch.Generator(device='cuda').manual_seed(0)
    x1, x2, y = PairSampler(f.cuda().bfloat16(), lats, patch=16, n_classes=8, generator=g).sample(64)
    assert x1.is_cuda and x1.dtype == torch.bfloat16 and y.max() < 8

def test_pretext_training_and_distance_on_cuda(tmp_path):
    from dataclasses import replace
    from atmodist_nb.train.pretext import train_pretext, toy_fields, PRETEXT_PRESETS, load_pretext
    from atmodist_nb.distance import AtmoDistLoss
    f, lats = toy_fields(48, 64, 64)
    cfg = replace(PRETEXT_PRESETS['smoke'], steps=20, eval_every=10, checkpoint_every=10, log_every=5)
    res = train_pretext(cfg, f, lats, tmp_path / 'p', t_train=(0, 30), t_eval=(34, 48), device='cuda', progress=False,
                        max_steps=10)
    res = train_pretext(cfg, f, lats, tmp_path / 'p', t_train=(0, 30), t_eval=(34, 48), device='cuda',
                        progress=False)   # resume
    assert res['completed'] and torch.isfinite(torch.tensor(res['loss']))
    model, _ = load_pretext(tmp_path / 'p', 'cuda')
    loss = AtmoDistLoss(model, 1.0).cuda()
    x = torch.randn(2, 2, 32, 32, device='cuda', requires_grad=True)
    with torch.autocast('cuda', dtype=torch.bfloat16): d = loss(x, x.detach() + 0.1)
    d.backward(); assert x.grad is not None and torch.isfinite(x.grad).all()
    assert float(loss(x.detach(), x.detach())) == 0.0

def test_gan_training_and_whole_field_on_cuda(tmp_path):
    from atmodist_nb.config import PRESETS
    from atmodist_nb.data.pairs import SRSampler
    from atmodist_nb.train.pretext import toy_fields
    from atmodist_nb.train.superres import pretrain_generator, train_gan, load_generator
    from atmodist_nb.eval.superres import upscale_field
    f, lats = toy_fields(24, 64, 128)
    cfg = PRESETS['smoke'].superres
    s = SRSampler(f.cuda(), lats, patch=cfg.patch, factor=4, generator=torch.Generator(device='cuda').manual_seed(0))
    pretrain_generator(cfg, s, tmp_path / 'pre', device='cuda', progress=False)
    r = train_gan(cfg, s, None, tmp_path / 'gan', init_generator=tmp_path / 'pre', device='cuda', progress=False)
    g = load_generator(tmp_path / 'gan', 'cuda')
    out = upscale_field(g, torch.nn.functional.avg_pool2d(f[:3], 4), device='cuda', amp=True)
    assert out.shape == f[:3].shape and torch.isfinite(out).all()

def test_ddp_nccl_one_gpu(tmp_path):
    script = tmp_path / 'train.py'
    script.write_text(textwrap.dedent('''
        import sys, torch
        from dataclasses import replace
        from atmodist_nb.train.pretext import train_pretext, toy_fields, PRETEXT_PRESETS
        f, lats = toy_fields(48, 64, 64)
        cfg = replace(PRETEXT_PRESETS['smoke'], steps=6, eval_every=6, checkpoint_every=6, log_every=2)
        res = train_pretext(cfg, f, lats, sys.argv[1], t_train=(0, 30), t_eval=(34, 48), device='cuda', progress=False)
        print('done', res['step'], flush=True)
    '''))
    p = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=1',
                        str(script), str(tmp_path / 'run')],
                       env={**os.environ, 'ATMODIST_PROGRESS': '0'}, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and 'done 6' in p.stdout, p.stderr[-3000:]
