"""Kill -9 and resume: each long command is killed with SIGKILL at a fault point (inside a checkpoint write, between
chunks, between stages), rerun with the same arguments, and must end with outputs identical to an uninterrupted run."""
import json, shutil
from pathlib import Path
import numpy as np, pytest

def _killed(r):
    assert r.returncode == -9, f'expected SIGKILL, got {r.returncode}: {r.stderr[-1500:]}'

def _same_bytes(a: Path, b: Path):
    assert a.read_bytes() == b.read_bytes(), f'{a} differs from {b}'

def _losses(p: Path):
    return [{k: v for k,
             v in json.loads(l).items() if 'loss' in k or k in ('step', 'acc')} for l in p.read_text().splitlines()]

@pytest.mark.parametrize('fault', ['checkpoint:1', 'checkpoint:2'])
def test_pretrain_killed_in_checkpoint_write(cli, smoke_run, tmp_path, fault):
    out = tmp_path / 'p'
    _killed(cli('pretrain', '--preset', 'smoke', '--out', out, fault=fault))
    assert not (out / '.done' / 'pretext.json').exists()
    r = cli('pretrain', '--preset', 'smoke', '--out', out)
    assert r.returncode == 0, r.stderr[-2000:]
    _same_bytes(out / 'pretext' / 'weights.safetensors', smoke_run / 'pretext' / 'weights.safetensors')
    assert _losses(out / 'pretext' / 'metrics.jsonl') == _losses(smoke_run / 'pretext' / 'metrics.jsonl')

def test_superres_killed_mid_training(cli, smoke_run, tmp_path):
    up = tmp_path / 'up'; shutil.copytree(smoke_run, up)
    out = tmp_path / 's'
    _killed(cli('superres', '--pretext', up, '--out', out,
                fault='checkpoint:3'))   # during the MSE-GAN's first checkpoint
    r = cli('superres', '--pretext', up, '--out', out)
    assert r.returncode == 0, r.stderr[-2000:]
    for st in ('sr_pretrain', 'sr_mse', 'sr_atmodist'):
        _same_bytes(out / st / 'generator.safetensors', smoke_run / st / 'generator.safetensors')

def test_run_killed_between_stages(cli, smoke_run, tmp_path):
    out = tmp_path / 'r'
    _killed(cli('run', '--preset', 'smoke', '--out', out,
                fault='stage_done:6'))   # sr_mse finished, its marker not yet written
    assert not (out / 'report.md').exists()
    r = cli('run', '--preset', 'smoke', '--out', out)
    assert r.returncode == 0, r.stderr[-2000:]
    a, b = (json.loads((p / 'metrics.json').read_text()) for p in (out, smoke_run))
    a.pop('timing'); b.pop('timing')
    assert a == b

@pytest.mark.parametrize('fault', ['swe_chunk:3', 'checkpoint:4'])
def test_synth_killed_mid_chunk_or_checkpoint(cli, tmp_path, fault):
    "`atmodist synth` killed while writing a data chunk or its state checkpoint resumes to the identical store."
    import xarray as xr
    ref, out = tmp_path / 'ref.zarr', tmp_path / 'out.zarr'
    assert cli('synth', '--preset', 'ci', '--out', ref).returncode == 0
    _killed(cli('synth', '--preset', 'ci', '--out', out, fault=fault))
    from atmodist_nb.data.synthetic import is_complete
    assert not is_complete(out)
    r = cli('synth', '--preset', 'ci', '--out', out)
    assert r.returncode == 0, r.stderr[-2000:]
    a, b = xr.open_zarr(ref), xr.open_zarr(out)
    for v in ('vo', 'd'): np.testing.assert_array_equal(a[v].values, b[v].values)
