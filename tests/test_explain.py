"The ViT encoder in training (resumes exactly) and the maps of `atmodist_nb.explain` on trained tiny networks."
from dataclasses import replace
import numpy as np, pytest, torch
from atmodist_nb.core import read_jsonl
from atmodist_nb.models.atmodist import AtmoDistConfig
from atmodist_nb.train.pretext import PRETEXT_PRESETS, toy_fields, train_pretext, load_pretext
from atmodist_nb.distance import AtmoDistLoss
from atmodist_nb.explain import explain, map_validity

torch.set_num_threads(1)
VIT = AtmoDistConfig(encoder='vit', patch=16, vit_dim=16, vit_depth=2, vit_heads=2, n_classes=4, head_width=8)
CFG = replace(PRETEXT_PRESETS['smoke'], model=VIT, steps=8, eval_every=4, checkpoint_every=4, log_every=1,
              eval_batches=2, batch=8)


@pytest.fixture(scope='module')
def data():
    return toy_fields(48, 24, 48, generator=torch.Generator().manual_seed(0))


def test_vit_trains_and_resumes_exactly(data, tmp_path):
    "Training the ViT in two calls (max_steps, then resume) gives the metrics and weights of one uninterrupted call."
    f, lats = data
    train_pretext(CFG, f, lats, tmp_path / 'full', t_train=(0, 30), t_eval=(34, 48), progress=False)
    assert train_pretext(CFG, f, lats, tmp_path / 'half', t_train=(0, 30), t_eval=(34, 48), progress=False,
                         max_steps=4)['completed'] is False
    train_pretext(CFG, f, lats, tmp_path / 'half', t_train=(0, 30), t_eval=(34, 48), progress=False)
    rows = lambda run: [(r['step'], r['loss'],
                         r.get('eval_loss')) for r in read_jsonl(tmp_path / run / 'metrics.jsonl')]
    assert rows('half') == rows('full') and len(rows('full')) == 8
    assert all(np.isfinite(r[1]) for r in rows('full'))
    wa, wb = load_pretext(tmp_path / 'full')[0].state_dict(), load_pretext(tmp_path / 'half')[0].state_dict()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    model = load_pretext(tmp_path / 'full')[0]
    x = f[:2, :, :16, :16]
    for tap in ('encoder', 'block1'):                  # the distance / SR content loss through the ViT's taps
        d = AtmoDistLoss(model, 1.0, tap)(x, x.flip(0))
        assert d.ndim == 0 and torch.isfinite(d) and d > 0
    ma, mb = explain(model, x, x.flip(0))
    assert ma.shape == (2, 16, 16) and torch.isfinite(ma).all() and ma.amax((1, 2)).tolist() == [1., 1.]
    v = map_validity(model, (f[:4, :, :16, :16], f[4:8, :, :16, :16]), 4, generator=torch.Generator().manual_seed(0))
    assert v['method'] == 'rollout' and all(np.isfinite(v[k]['spearman_enstrophy']) for k in ('trained', 'random',
                                                                                              'shuffled'))
