"""`atmodist run` end to end on the smoke preset: the report, every metrics key, a rerun that does nothing; the ViT
encoder end to end; the offline plan of the paper's run."""
import json
from pathlib import Path
import numpy as np
from atmodist_nb.config import STAGES
from atmodist_nb.testing import noise_fields

REQUIRED = ['pretext.top1', 'pretext.top3', 'pretext.chance', 'distance.spearman', 'distance.separability',
            'l2.separability',
            'ssim.separability', 'explain.trained.spearman_enstrophy', 'explain.shuffled.peak_dist',
            'data.train_dates', 'data.grid_rule',
            *[f'{m}.{k}' for m in ('bicubic', 'mse_cnn', 'mse_gan', 'atmodist_gan')
              for k in ('rmse', 'spectrum_error_high', 'spectrum_excess', 'wasserstein_median', 'rmse_in_band',
                        'rmse_out_band')],
            *[f'{m}.{k}' for m in ('bicubic', 'mse_cnn', 'mse_gan', 'atmodist_gan')
              for k in ('zonal_error_high.ke', 'zonal_excess_high.vo', 'unresolved_fraction.d',
                        'laplacian_ratio_all.vo')],
            'sr_eval.truth_unresolved_fraction.vo', 'sr_eval.wavenumbers',
            'cities.populous.comparisons.atmodist_gan_vs_mse_gan.vo_1x1.not_significant', 'cities.spread.block',
            'transfer.n_tracks_test', 'transfer.eval_span_dates', *[f'timing.{s}' for s in STAGES if s != 'report']]

def _get(d, dotted):
    for k in dotted.split('.'): d = d[k]
    return d

def test_smoke_report_and_every_metric(smoke_run):
    m = json.loads((smoke_run / 'metrics.json').read_text())
    missing = [k for k in REQUIRED if _get_safe(m, k) is None]
    assert not missing, f'metrics.json lacks {missing}'
    assert abs(m['pretext']['chance'] - 1 / 4) < 1e-9
    _pretext_scores_match_confusion(smoke_run, m)
    report = (smoke_run / 'report.md').read_text()
    for section in ('## Data', 'Pretext task', 'What the encoder looks at', 'AtmoDist distance', 'Super-resolution',
                    'Few-label transfer',
                    'Timing per stage', 'All metrics', 'better / n.s. / worse', 'Every scale the grid holds'):
        assert section in report, section
    for img in ('pretext/confusion.png', 'pretext/acc_per_lag.png', 'distance/distance_vs_lag.png',
                'sr_eval/spectra.png', 'explain/explain.png',
                'sr_eval/crops.png', 'sr_eval/histograms.png', 'transfer/learning_curve.png'):
        assert f']({img})' in report and (smoke_run / img).stat().st_size > 1000, img
    assert (smoke_run / 'report.html').read_text().count('<img') >= 8

def _pretext_scores_match_confusion(run: Path, m: dict):
    "metrics.json's and the report's top-1 are the held-out confusion matrix's diagonal share (rows: true Δt)."
    ev = json.loads((run / 'pretext' / 'eval.json').read_text())
    cm = np.array(ev['confusion'])
    assert cm.shape == (4, 4) and cm.sum() == ev['n'] > 0, (cm, ev['n'])
    top1 = np.trace(cm) / cm.sum()
    assert abs(m['pretext']['top1'] - top1) < 1e-12 and top1 <= m['pretext']['top3'], (m['pretext'], cm)
    per_lag = [a for a in ev['acc_per_lag'] if a is not None]
    assert np.allclose(per_lag, [cm[i, i] / cm[i].sum() for i in range(4) if cm[i].sum()]), (per_lag, cm)
    assert f'Held-out top-1 accuracy **{top1:.3f}**' in (run / 'report.md').read_text()

def _get_safe(m, k):
    try: return _get(m, k)
    except (KeyError, TypeError): return None

def test_rerun_does_nothing(cli, smoke_run):
    before = {p: p.stat().st_mtime_ns for p in smoke_run.rglob('*') if p.is_file()}
    r = cli('run', '--preset', 'smoke', '--out', smoke_run)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count('done already, skipped') == len(STAGES)
    after = {p: p.stat().st_mtime_ns for p in smoke_run.rglob('*') if p.is_file()}
    assert before == after

def test_help_and_presets(cli):
    r = cli('--help')
    assert r.returncode == 0 and all(c in r.stdout for c in ('synth', 'pretrain', 'superres', 'evaluate', 'run',
                                                             'bench', 'transfer'))
    r = cli('run', '--list-presets')
    names = [l.split()[0] for l in r.stdout.splitlines()]
    assert r.returncode == 0 and names == ['smoke', 'demo', 'gpu', 'era5-arco', 'era5-wb2']

def test_synth_output_opens_through_the_catalog(cli, tmp_path):
    "`atmodist synth` writes the store that catalogs/atmodist.yaml serves as `swe_default`."
    out = tmp_path / 'swe.zarr'
    r = cli('synth', '--preset', 'ci', '--out', out)
    assert r.returncode == 0 and 'dataset complete' in r.stdout, r.stderr[-1500:]
    from atmodist_nb.data.catalog import open_source
    ds = open_source('swe_default', path=str(out))
    assert {'vo', 'd'} <= set(ds.data_vars) and ds.vo.dims == ('time', 'lat', 'lon')
    assert float(ds.lat[0]) > float(ds.lat[-1]) and ds.vo.attrs['units'] == 's**-1'

def test_vit_encoder_end_to_end(cli, tmp_path):
    "The attention encoder through every stage: distance, both GANs (content loss from the ViT), evaluation, transfer."
    out = tmp_path / 'vit'
    r = cli('run', '--preset', 'smoke', '--pretext.model.encoder', 'vit', '--out', out)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    m = json.loads((out / 'metrics.json').read_text())
    assert json.loads((out / 'config.json').read_text())['pretext']['model']['encoder'] == 'vit'
    assert np.isfinite(m['distance']['alpha']) and 'atmodist_gan' in m and m['transfer']['n_tracks_test'] > 0
    assert m['explain']['method'] == 'rollout' and (out / 'explain' / 'explain.png').exists()

def _arco_fixture(tmp_path: Path) -> Path:
    "A local store laid out like ARCO-ERA5 (hourly, both poles, `hybrid` levels, long names), and a catalog to it."
    ds = noise_fields(24 * 40, 33, 64, variables=('vorticity', 'divergence'), step_hours=1, units=None, era5_names=True)
    ds = ds.rename(valid_time='time').expand_dims(hybrid=[119, 120], axis=1)   # (time, hybrid, latitude, longitude)
    ds.to_zarr(tmp_path / 'arco.zarr', zarr_format=2)
    from atmodist_nb.data.catalog import default_catalog
    import yaml
    spec = yaml.safe_load(default_catalog().read_text())
    spec['sources']['era5_arco']['args'] = {'urlpath': str(tmp_path / 'arco.zarr')}
    (tmp_path / 'cat.yaml').write_text(yaml.safe_dump(spec))
    return tmp_path / 'cat.yaml'

def test_dry_run_of_the_papers_run_offline(cli, tmp_path):
    "`atmodist run --preset era5-arco --dry-run`: the plan from the catalog alone, then on a local copy."
    r = cli('run', '--preset', 'era5-arco', '--dry-run')
    assert r.returncode == 0, r.stderr
    for bit in ('not contacted', '721 x 1440 -> 720 x 1440', 'train 1979-01-01..1998-12-31',
                'eval 2000-01-01..2005-12-31',
                'streamed in windows', 'atmodist prepare era5_arco', 'pairs/s'):
        assert bit in r.stdout, (bit, r.stdout)
    cat = _arco_fixture(tmp_path)
    r = cli('run', '--preset', 'era5-arco', '--dry-run', '--data.catalog', cat, '--data.time',
            '["2000-01-01", "2000-02-09"]',
            '--data.train_time', '["2000-01-01", "2000-01-25"]', '--data.eval_time', '["2000-01-29", "2000-02-09"]',
            '--pretext.model.patch', '16',
            '--superres.patch', '16', '--transfer.patch', '16')
    assert r.returncode == 0, r.stderr
    for bit in ('opened lazily', '33 x 64 -> 32 x 64', '320 steps', 'held in memory'): assert bit in r.stdout, r.stdout
    assert not (tmp_path / 'runs').exists()
    r = cli('run', '--preset', 'era5-arco', '--dry-run', '--data.catalog', cat, '--data.time',
            '["2000-01-01", "2000-02-09"]',
            '--data.train_time', '["2000-01-01", "2000-01-25"]', '--data.eval_time', '["2000-01-26", "2000-02-09"]',
            '--pretext.model.patch', '16',
            '--superres.patch', '16', '--transfer.patch', '16')
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert 'leave at least 23 steps' in r.stderr, r.stderr

def test_streamed_run_end_to_end(cli, tmp_path):
    "`--data.stream on`: pretext, distance, both GANs and the float32 evaluation run on windows streamed off the store."
    out = tmp_path / 'stream'
    stages = 'data,norm,pretext,pretext_eval,sr_pretrain,sr_mse,sr_atmodist,sr_eval,report'
    r = cli('run', '--preset', 'smoke', '--data.stream', 'on', '--data.memory_gb', '0.002', '--stages', stages,
            '--out', out)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    m = json.loads((out / 'metrics.json').read_text())
    assert m['data']['streaming'] is True and 'atmodist_gan' in m
    _pretext_scores_match_confusion(out, m)
    # the evaluation read its steps in chunks within the budget
    assert m['sr_eval']['n_time'] == 8 and m['sr_eval']['chunk'] == 4
    r = cli('run', '--preset', 'smoke', '--data.stream', 'on', '--data.memory_gb', '0.00001', '--stages',
            'data,norm,pretext', '--out', tmp_path / 'tiny')
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert 'raise --data.memory_gb to at least' in r.stderr, r.stderr
