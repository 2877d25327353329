"Pretext training under torchrun with 2 CPU processes (gloo): it finishes, rank 0 alone writes, each draws its pairs."
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pytest

SCRIPT = textwrap.dedent('''
    import os, sys, torch
    torch.set_num_threads(1)
    from dataclasses import replace
    from atmodist_nb.train.pretext import train_pretext, toy_fields, PRETEXT_PRESETS
    f, lats = toy_fields(48, 64, 64)
    cfg = replace(PRETEXT_PRESETS['smoke'], steps=6, eval_every=6, checkpoint_every=6, log_every=2, keep_checkpoints=1)
    res = train_pretext(cfg, f, lats, sys.argv[1], t_train=(0, 30), t_eval=(34, 48), progress=False)
    assert res['completed'] and res['step'] == 6, res
    # one file per rank: two processes printing to one pipe interleave their bytes
    with open(os.path.join(sys.argv[2], 'rank' + os.environ['RANK'] + '.txt'), 'w') as fh:
        fh.write(f"done {res['step']}")
''')


def test_ddp_two_processes(tmp_path):
    torch = pytest.importorskip('torch')
    from atmodist_nb.core import load_checkpoint, read_jsonl
    script, run = tmp_path / 'train.py', tmp_path / 'run'
    script.write_text(SCRIPT)
    env = {**os.environ, 'ATMODIST_PROGRESS': '0', 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', str(script), str(run),
           str(tmp_path)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert [(tmp_path / f'rank{r}.txt').read_text() for r in (0, 1)] == ['done 6', 'done 6']
    # rank 0 alone wrote: one checkpoint, one metrics row per log step, final weights and the completion marker
    assert sorted(x.name for x in run.glob('ckpt-*')) == ['ckpt-000006.json', 'ckpt-000006.safetensors']
    assert [r['step'] for r in read_jsonl(run / 'metrics.jsonl')] == [2, 4, 6]
    assert (run / 'weights.safetensors').exists() and (run / '.done' / 'pretext.json').exists()
    state, meta = load_checkpoint(run / 'ckpt-000006')
    assert meta['world_size'] == 2 and meta['step'] == 6
    g0, g1 = state['gens']
    assert not torch.equal(g0, g1)          # the two ranks drew different pairs (seed + rank)


def test_pipeline_pretrain_under_torchrun(tmp_path):
    "`torchrun --nproc_per_node=2 atmodist pretrain --preset smoke`: rank 0 makes the data, both train to the end."
    env = {**os.environ, 'ATMODIST_PROGRESS': '0', 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg',
           'ATMODIST_DATA': str(tmp_path / 'data')}
    atmodist = Path(sys.executable).parent / 'atmodist'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', str(atmodist),
           'pretrain',
           '--preset', 'smoke', '--out', str(tmp_path / 'run'), '--device', 'cpu']
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    from atmodist_nb.core import load_checkpoint
    for st in ('data', 'norm', 'pretext',
               'pretext_eval'): assert (tmp_path / 'run' / '.done' / f'{st}.json').exists(), st
    _, meta = load_checkpoint(tmp_path / 'run' / 'pretext' / 'ckpt-000020')
    assert meta['world_size'] == 2
