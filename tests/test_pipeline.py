"`atmodist run` end to end on the smoke preset: the report, every metrics key, a rerun that does nothing."
import json
from pathlib import Path
from atmodist_nb.pipeline import STAGES

REQUIRED = ['pretext.top1', 'pretext.top3', 'pretext.chance', 'distance.spearman', 'distance.separability', 'l2.separability',
            *[f'{m}.{k}' for m in ('bicubic', 'mse_gan', 'atmodist_gan') for k in ('rmse', 'spectrum_error_high', 'wasserstein_median')],
            *[f'timing.{s}' for s in STAGES if s != 'report']]

def _get(d, dotted):
    for k in dotted.split('.'): d = d[k]
    return d

def test_smoke_report_and_every_metric(smoke_run):
    m = json.loads((smoke_run / 'metrics.json').read_text())
    missing = [k for k in REQUIRED if _get_safe(m, k) is None]
    assert not missing, f'metrics.json lacks {missing}'
    assert 0 <= m['pretext']['top1'] <= 1 and abs(m['pretext']['chance'] - 1 / 4) < 1e-9
    report = (smoke_run / 'report.md').read_text()
    for section in ('Pretext task', 'AtmoDist distance', 'Super-resolution', 'Few-label transfer', 'Timing per stage', 'All metrics'):
        assert section in report, section
    for img in ('pretext/confusion.png', 'pretext/acc_per_lag.png', 'distance/distance_vs_lag.png', 'sr_eval/spectra.png',
                'sr_eval/crops.png', 'sr_eval/histograms.png', 'transfer/learning_curve.png'):
        assert f']({img})' in report and (smoke_run / img).stat().st_size > 1000, img
    assert (smoke_run / 'report.html').read_text().count('<img') >= 7

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
    assert r.returncode == 0 and all(c in r.stdout for c in ('synth', 'pretrain', 'superres', 'evaluate', 'run', 'bench', 'transfer'))
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
