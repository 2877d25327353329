"""Streaming pairs from a prepared store: equal to the in-memory sampler when one window holds the span, bounded memory
(RSS in a subprocess), exact resume after SIGKILL during streamed training, disjoint blocks per rank under torchrun,
one-line refusals."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import numpy as np, pytest, torch
from atmodist_nb.core import AtmoError
from atmodist_nb.data.prepare import prepare_store, check_store, store_stats
from atmodist_nb.data.stream import StreamPairs, read_steps, window_steps, choose_stream
from atmodist_nb.data.pairs import PairSampler, SRSampler
from atmodist_nb.data.normalize import to_tensor
from atmodist_nb.testing import grid_dataset

ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'ATMODIST_PROGRESS': '0', 'MPLBACKEND': 'Agg'}


def _store(path: Path, T: int, H: int, W: int, seed=0, train=None) -> Path:
    "A prepared store of smooth drifting fields (learnable) with a little noise."
    r = np.random.default_rng(seed)
    lat, lon = np.linspace(90, -90, H + 1)[:H] - 90 / H, np.arange(W) * 360. / W
    base = np.cos(np.deg2rad(lat))[:, None] * np.sin(np.deg2rad(lon) * 3)[None]
    drift = lambda i: np.stack([np.roll(base, t + 5 * i, 1) for t in range(T)])   # moves east one column a step
    data = {v: (drift(i) + 0.1 * r.standard_normal((T, H, W))).astype(np.float32) * 1e-5
            for i, v in enumerate(('vo', 'd'))}
    ds = grid_dataset(data, lat, lon)
    prepare_store(ds, path, rows_multiple=1, workers=1, progress=False, train=train)
    return path


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    return _store(tmp_path_factory.mktemp('st') / 's.zarr', 120, 32, 64)


def test_one_window_draws_the_in_memory_pairs(small):
    ds, st = check_store(small), store_stats(small)
    src = StreamPairs(small, st, patch=16, n_classes=6, t_range=(10, 100), memory_gb=10., seed=3)
    assert len(src.spans) == 1
    ref = PairSampler(to_tensor(ds, st), ds.lat.values, patch=16, n_classes=6, t_range=(10, 100),
                      generator=torch.Generator().manual_seed(3))
    for _ in range(4):
        for a, b in zip(src.sample(8), ref.sample(8)): assert torch.equal(a, b)
    sr = StreamPairs(small, st, patch=16, sr_factor=4, t_range=(10, 100), memory_gb=10., seed=3)
    ref = SRSampler(to_tensor(ds, st), ds.lat.values, patch=16, factor=4, t_range=(10, 100),
                    generator=torch.Generator().manual_seed(3))
    for a, b in zip(sr.sample(8), ref.sample(8)): assert torch.equal(a, b)
    src.close(); sr.close()


def test_windows_smaller_than_the_span_cut_true_pairs(tmp_path):
    "A store whose vo codes the time step: every streamed pair is Δ = label + 1 apart; every lag and block is used."
    T, H, W = 60, 8, 16
    step = np.broadcast_to(np.arange(T, dtype=np.float32)[:, None, None] * 1e-6, (T, H, W)).copy()   # vo codes the step
    ds = grid_dataset({'vo': step, 'd': np.random.default_rng(0).normal(size=(T, H, W)).astype(np.float32) * 1e-5},
                      np.linspace(80, -80, H))
    prepare_store(ds, tmp_path / 'code.zarr', rows_multiple=1, workers=1, progress=False)
    st = store_stats(tmp_path / 'code.zarr')
    code = read_steps(tmp_path / 'code.zarr', st, slice(None))[:, 0, 0, 0]
    src = StreamPairs(tmp_path / 'code.zarr', st, patch=8, n_classes=5, lat_band=90, window=12, seed=0,
                      pairs_per_epoch=2000)
    assert len(src.spans) == 9
    firsts = []
    while src.epoch == 0:
        x1, x2, y = src.sample(50)
        t1, t2 = (torch.argmin((x[:, 0, 0, 0, None] - code[None]).abs(), 1) for x in (x1, x2))
        assert torch.equal(t2 - t1, y + 1) and torch.equal(t1, src.last[0])
        firsts.append(t1)
    f = torch.cat(firsts)
    # every possible first step of the span drawn (lag 1 reaches T - 2)
    assert set(f.tolist()) == set(range(T - 1))
    src.close()


def test_read_steps_float32(small):
    ds, st = check_store(small), store_stats(small)
    x = read_steps(small, st, np.array([7, 3]))
    assert x.dtype == torch.float32 and x.shape == (2, 2, 32, 64)
    assert torch.equal(x, to_tensor(ds, st)[[7, 3]])


def test_budget_smaller_than_one_window_refused(small):
    with pytest.raises(AtmoError, match=r'raise --data.memory_gb to at least 0\.0\d') as e:
        StreamPairs(small, store_stats(small), patch=16, n_classes=23, memory_gb=0.0005)
    assert '\n' not in str(e.value)
    assert choose_stream('auto', 120, 32, 64, 2, 0.001, 4) and not choose_stream('auto', 120, 32, 64, 2, 1., 4)


MEM = textwrap.dedent('''
    import sys, json, psutil, torch
    torch.set_num_threads(1)
    from atmodist_nb.data.prepare import check_store, store_stats
    from atmodist_nb.data.stream import StreamPairs
    store, budget = sys.argv[1], float(sys.argv[2])
    src = StreamPairs(store, store_stats(store), patch=32, n_classes=4, memory_gb=budget, seed=0, pairs_per_epoch=3000)
    n, base = 0, None
    while src.epoch == 0:
        src.sample(32); n += 1
        if n == 30: base = psutil.Process().memory_info().rss    # reader threads, arenas and two windows are in place
    src.close()
    # peak RSS of this image (ru_maxrss keeps the parent's from fork)
    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
    print(json.dumps({'base': base, 'peak': int(hwm) * 1024, 'batches': n, 'windows': len(src.spans),
                      'window': src.window}))
''')


def test_memory_stays_bounded(tmp_path):
    """A 210 MB store streamed with a 13 MB budget in 45 windows: once the first windows are in (and zarr's threads and
    the allocator have settled), sweeping the remaining ~30 windows grows the process by less than the budget plus 30 MB
    (measured 3-12 MB); keeping those windows would add about 150 MB."""
    store = _store(tmp_path / 'big.zarr', 800, 128, 256, train=('2000-01-01', '2000-01-05'))
    size, budget = 800 * 2 * 128 * 256 * 4, 0.013e9
    r = subprocess.run([sys.executable, '-c', MEM, str(store), str(budget / 1e9)], env=ENV, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads(r.stdout.strip().splitlines()[-1])
    assert m['windows'] > 30 and m['batches'] > 60
    # bytes of the windows still to come after the base measurement
    left = size * (1 - 30 / m['batches'])
    assert left > 2 * (budget + 30e6)                        # so a sweep that kept its windows could not pass
    grow = m['peak'] - m['base']
    assert grow < budget + 30e6, (grow, m)


TRAIN = textwrap.dedent('''
    import sys, torch
    torch.set_num_threads(1)
    from dataclasses import replace
    from atmodist_nb.train.pretext import train_pretext, PRETEXT_PRESETS
    from atmodist_nb.data.prepare import store_stats
    from atmodist_nb.data.stream import StreamPairs
    store, run = sys.argv[1], sys.argv[2]
    cfg = replace(PRETEXT_PRESETS['smoke'], steps=24, checkpoint_every=4, log_every=2, eval_every=12, batch=8)
    mk = lambda span, seed: StreamPairs(store, store_stats(store), patch=32, n_classes=4, lat_band=90, t_range=span,
                                        window=14, seed=seed, pairs_per_epoch=160)
    train_pretext(cfg, mk((0, 90), 0), None, run, eval_data=mk((95, 120), 7), progress=False)
''')


def test_streamed_training_killed_resumes_identical(small, tmp_path):
    from atmodist_nb.core import read_jsonl
    ref, out = tmp_path / 'ref', tmp_path / 'out'
    r = subprocess.run([sys.executable, '-c', TRAIN, str(small), str(ref)], env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run([sys.executable, '-c', TRAIN, str(small), str(out)],
                       env={**ENV, 'ATMODIST_FAULT': 'stream_window:9'}, capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, r.stderr[-2000:]
    assert not (out / '.done' / 'pretext.json').exists() and list(out.glob('ckpt-*.json'))
    r = subprocess.run([sys.executable, '-c', TRAIN, str(small), str(out)], env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / 'weights.safetensors').read_bytes() == (ref / 'weights.safetensors').read_bytes()
    rows = lambda run: [(x['step'], x['loss'], x.get('eval_loss')) for x in read_jsonl(run / 'metrics.jsonl')]
    assert rows(out) and rows(out) == rows(ref)


RANKS = textwrap.dedent('''
    import os, sys, json, torch, torch.distributed as dist
    torch.set_num_threads(1)
    from dataclasses import replace
    from atmodist_nb.train.pretext import train_pretext, PRETEXT_PRESETS
    from atmodist_nb.data.prepare import store_stats
    from atmodist_nb.data.stream import StreamPairs
    dist.init_process_group('gloo'); rank, world = dist.get_rank(), dist.get_world_size()
    store, run = sys.argv[1], sys.argv[2]
    src = StreamPairs(store, store_stats(store), patch=32, n_classes=4, lat_band=90, t_range=(0, 100), window=14,
                      seed=0, pairs_per_epoch=400, rank=rank, world=world)
    firsts = []
    class Rec:   # records the first step of every pair this rank draws
        def sample(self, b): out = src.sample(b); firsts.append(src.last[0]); return out
        def state_dict(self): return src.state_dict()
        def load_state_dict(self, s): src.load_state_dict(s)
    cfg = replace(PRETEXT_PRESETS['smoke'], steps=50, checkpoint_every=50, log_every=10, batch=8)
    train_pretext(cfg, Rec(), None, run, progress=False)
    starts = torch.as_tensor([s.start for s in src.spans])
    blocks = sorted(set((torch.searchsorted(starts, torch.cat(firsts), right=True) - 1).tolist()))
    out = {'blocks': blocks, 'n': len(src.spans), 'epoch': src.epoch, 'drawn': src.drawn}
    with open(f'{run}.rank{rank}.json', 'w') as f: json.dump(out, f)   # a file per rank: stdout lines can interleave
''')


def test_two_ranks_read_disjoint_blocks_covering_the_span(small, tmp_path):
    script = tmp_path / 'ranks.py'; script.write_text(RANKS)
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', str(script), str(small),
           str(tmp_path / 'run')]
    p = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    got = {r: json.loads(Path(f'{tmp_path / "run"}.rank{r}.json').read_text()) for r in (0, 1)}
    a, b = got[0]['blocks'], got[1]['blocks']
    # each rank drew exactly its epoch (50 steps x 8)
    assert [(g['epoch'], g['drawn']) for g in got.values()] == [(0, 400)] * 2
    assert not set(a) & set(b)                                    # disjoint
    assert sorted(a + b) == list(range(got[0]['n']))              # together: every block of the span


def test_coverage_scales_the_epoch(small):
    "`--data.coverage`: twice the coverage, twice the pairs per sweep (and per window)."
    st = store_stats(small)
    a, b = (StreamPairs(small, st, patch=16, n_classes=4, memory_gb=10., seed=0, coverage=c, prefetch=False)
            for c in (1., 2.))
    ratio = b.pairs_per_epoch / a.pairs_per_epoch
    assert a.pairs_per_epoch > 0 and abs(ratio - 2) < 0.02, (a.pairs_per_epoch, b.pairs_per_epoch)
    a.close(); b.close()
