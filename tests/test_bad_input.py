"""The bad-input matrix: each case exits with code 2, prints one line naming the problem and the fix, and leaves no
output behind.

| case | how | message contains |
|---|---|---|
(the table is in CASES below and in the docs of 90_cli)
"""
import shutil
import numpy as np, pytest
from atmodist_nb.testing import noise_fields
from pathlib import Path

def _ds(n=120, step='3h', vars=('vo', 'd'), nan=False, level=None, drop=None):
    "Noise on a 24 x 48 grid, 3-hourly (`atmodist_nb.testing.noise_fields`), broken as asked."
    assert step in ('3h', 'irregular'), step
    ds = noise_fields(n, 24, 48, variables=vars, lat=np.linspace(88.125, -88.125, 24))
    if step == 'irregular': ds = ds.assign_coords(time=[*ds.time.values[:-1], np.datetime64('2001-01-01', 'ns')])
    if level is not None: ds = ds.expand_dims(level=level, axis=1)
    if nan: ds['vo'][5, 3, 4] = np.nan
    if drop: ds = ds.drop_vars(drop)
    return ds

def _nc(tmp, name, ds):
    p = tmp / f'{name}.nc'; ds.to_netcdf(p, engine='h5netcdf'); return p

@pytest.fixture(scope='module')
def fx(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('bad')
    bad_yaml = tmp / 'bad.yaml'; bad_yaml.write_text('sources: [unclosed\n')
    a_file = tmp / 'a_file'; a_file.write_text('x')
    return {'tmp': tmp, 'novars': _nc(tmp, 'novars', _ds(vars=('t',))), 'notime': _nc(tmp, 'notime', _ds(drop='time')),
            'nolat': _nc(tmp, 'nolat', _ds(drop='lat')), 'nolon': _nc(tmp, 'nolon', _ds(drop='lon')),
            'irregular': _nc(tmp, 'irregular', _ds(step='irregular')), 'nan': _nc(tmp, 'nan', _ds(nan=True)),
            'short': _nc(tmp, 'short', _ds(n=12)), 'levels': _nc(tmp, 'levels', _ds(level=[500., 850.])),
            'bad_yaml': bad_yaml, 'a_file': a_file}

S = ['run', '--preset', 'smoke']
CASES = {  # name: (arguments after S (or whole, if starting with a subcommand), message fragment)
    'unknown preset': (['run', '--preset', 'nope'], "unknown preset 'nope'"),
    'unknown config key': (['--pretext.stepz', '3'], "unknown config key"),
    'bad value type': (['--pretext.steps', 'many'], 'expected int'),
    'negative lag count': (['--pretext.model.n_classes', '-1'], 'n_classes'),
    'patch larger than grid': (['--pretext.model.patch', '400'], 'larger than the grid'),
    'patch band outside latitudes': (['--pretext.lat_band', '-1'], 'pretext.lat_band -1 must be at least 0'),
    'catalog file missing': (['--data.source', 'era5_local', '--data.catalog', '{tmp}/none.yaml'], 'does not exist'),
    'catalog malformed': (['--data.source', 'era5_local', '--data.catalog', '{bad_yaml}'], 'YAML'),
    'unknown catalog entry': (['--data.source', 'era6_nowhere'], 'era6_nowhere'),
    'no vo/d and no u/v': (['--data.source', '{novars}'],
                           '(variables: t) and no u and v to derive them from; rename your variables'),
    'missing time coordinate': (['--data.source', '{notime}'], 'the data has no time coordinate (looked for time'),
    'missing latitude coordinate': (['--data.source', '{nolat}'],
                                    'the data has no latitude coordinate (looked for lat'),
    'missing longitude coordinate': (['--data.source', '{nolon}'],
                                     'the data has no longitude coordinate (looked for lon'),
    'irregular time step': (['--data.source', '{irregular}'], 'irregular'),
    'NaN in the data': (['--data.source', '{nan}'], 'NaN'),
    'too few time steps': (['--data.source', '{short}'], 'too few'),
    'level not present': (['--data.source', '{levels}', '--data.level', '300'], '300'),
    'no CUDA': (['--device', 'cuda:7'], 'CUDA is not available'),
    'output folder not writable': (['--out', '{a_file}/run'], 'cannot create output folder'),
    'unknown subcommand': (['frobnicate'], 'invalid choice'),
    'override without value': (['--seed'], 'needs a value'),
}

@pytest.mark.parametrize('case', list(CASES))
def test_bad_input(cli, fx, case):
    args, msg = CASES[case]
    args = [a.format(**fx) for a in args]
    out = fx['tmp'] / f"out-{case.replace(' ', '_').replace('/', '_')}"
    full = args if args[0] in ('run', 'frobnicate') else [*S, *args]
    if '--out' not in full and full[0] == 'run': full += ['--out', out]
    r = cli(*full)
    assert r.returncode == 2, (case, r.returncode, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('atmodist: '), (case, r.stderr)
    assert msg.lower() in lines[0].lower(), (case, lines[0])
    assert 'Traceback' not in r.stderr
    assert not out.exists(), f'{case}: left {sorted(p.name for p in out.rglob("*"))}'

def test_checkpoint_missing_truncated_or_foreign(cli, smoke_run, tmp_path):
    "superres on a pretext run whose weights are missing, truncated, or from another configuration."
    for kind, msg in (('missing', 'has not finished'), ('truncated', 'truncated'),
                      ('foreign', 'another configuration')):
        up = tmp_path / f'up-{kind}'; shutil.copytree(smoke_run, up)
        w = up / 'pretext' / 'weights.safetensors'
        if kind == 'missing': shutil.rmtree(up / 'pretext'); (up / '.done' / 'pretext.json').unlink()
        if kind == 'truncated': w.write_bytes(w.read_bytes()[:100])
        if kind == 'foreign':
            import json
            c = json.loads((up / 'pretext' / 'config.json').read_text()); c['lr'] = 0.5
            (up / 'pretext' / 'config.json').write_text(json.dumps(c))
        r = cli('superres', '--pretext', up, '--content', 'atmodist', '--out', tmp_path / f'sr-{kind}')
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and msg in r.stderr, (kind,
                                                                                                   r.stderr[-1500:])

def test_output_folder_with_another_runs_config(cli, smoke_run):
    before = (smoke_run / 'config.json').read_bytes()
    r = cli('run', '--preset', 'smoke', '--pretext.steps', '5', '--out', smoke_run)
    assert (r.returncode == 2 and "different run's config" in r.stderr
            and len(r.stderr.strip().splitlines()) == 1), r.stderr
    assert (smoke_run / 'config.json').read_bytes() == before
