"""Issue 18: nothing of the user's is deleted, every setting is checked before the first stage, an OS error or a broken
lock or checkpoint is one line (exit 2), and the subcommands chain as the README shows them. Each test is a probe."""
import contextlib, io, json, os, shutil, socket, subprocess, sys
from pathlib import Path
import pytest

def _main(*args) -> subprocess.CompletedProcess:
    "`atmodist ARGS` in this process (its entry point, `cli.main`): refusals without a new interpreter's torch import."
    from atmodist_nb.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): code = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def _one_line(r, *frags):
    "Exit 2, one line on stderr (no traceback), holding every fragment."
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith('atmodist: '), \
        (r.returncode, r.stdout[-800:], r.stderr[-2000:])
    for f in frags: assert f in lines[0], (f, lines[0])
    return lines[0]

def _user_folder(path: Path) -> Path:
    "A folder of the user's: a file and a sub-folder that must survive."
    (path / 'sub').mkdir(parents=True); (path / 'a.txt').write_text('keep')
    (path / 'sub' / 'b.txt').write_text('keep too')
    return path

def _intact(path: Path):
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob('*')) == ['a.txt', 'sub', 'sub/b.txt']
    assert (path / 'a.txt').read_text() == 'keep' and (path / 'sub' / 'b.txt').read_text() == 'keep too'

# --- 1. user files are never deleted ----------------------------------------------------------------------

@pytest.mark.parametrize('cmd', ['run', 'superres', 'transfer', 'evaluate'])
def test_a_folder_of_the_users_is_refused_and_kept(smoke_run, tmp_path, cmd):
    u = _user_folder(tmp_path / 'u')
    args = {'run': ['run', '--preset', 'smoke', '--stages', 'pretext', '--out', u],
            'superres': ['superres', '--pretext', smoke_run, '--out', u],
            'transfer': ['transfer', '--pretext', smoke_run, '--out', u],
            'evaluate': ['evaluate', '--run', u]}[cmd]
    r = _main(*args)
    _one_line(r, 'run' if cmd == 'evaluate' else 'is not empty and is not an atmodist run folder')
    _intact(u)

def test_out_dot_never_wipes_the_working_folder(tmp_path, monkeypatch):
    u = _user_folder(tmp_path / 'cwd'); monkeypatch.chdir(u)
    r = _main('run', '--preset', 'smoke', '--stages', 'pretext', '--out', '.')
    _one_line(r, 'is not an atmodist run folder (it holds a.txt, sub)')
    _intact(u)

def test_superres_on_an_unfinished_pretext_run_touches_nothing(tmp_path):
    up = tmp_path / 'up'; up.mkdir(); (up / '.atmodist-run').write_text('{}'); (up / 'config.json').write_text('{}')
    out = tmp_path / 'sr'
    _one_line(_main('superres', '--pretext', up, '--out', out), "has not finished in")
    assert not out.exists()

# --- 6. every setting checked before the first stage, dry run included; the fix works on the same folder

@pytest.mark.parametrize('args,msg', [
    (['--pretext.model.encoder', 'bogus'], "pretext.model.encoder 'bogus' is not known; choose one of resnet, vit"),
    (['--data.memory_gb', '1e-5'], 'raise --data.memory_gb to at least'),
    (['--data.memory_gb', 'inf'], 'data.memory_gb must be positive and finite'),
    (['--data.coverage', '1e30'], 'data.coverage must be positive and at most 100'),
    (['--data.step', 'bogus'], "data.step 'bogus' is not a positive time step"),
    (['--pretext.clip', 'inf'], 'config key pretext.clip is inf'),
])
def test_refused_before_any_work_and_in_the_dry_run(tmp_path, args, msg):
    out = tmp_path / 'run'
    _one_line(_main('run', '--preset', 'smoke', '--out', out, *args), msg)
    assert not out.exists()
    _one_line(_main('run', '--preset', 'smoke', '--dry-run', *args), msg)

def test_a_folder_with_no_finished_stage_takes_the_fixed_config(cli, smoke_run, tmp_path):
    "Killed before its first stage finished, then rerun with other settings: the folder takes them."
    out2 = tmp_path / 'killed'
    r = cli('run', '--preset', 'smoke', '--stages', 'data', '--out', out2, '--pretext.steps', '3', fault='stage_done')
    assert r.returncode == -9 and (out2 / 'config.json').exists() and not (out2 / '.done' / 'data.json').exists()
    r = cli('run', '--preset', 'smoke', '--stages', 'data', '--out', out2)
    assert r.returncode == 0 and 'takes the new config' in r.stdout, r.stderr[-2000:]
    assert json.loads((out2 / 'config.json').read_text())['pretext']['steps'] == 20

# --- 7/8. OS errors, locks and checkpoints: one line -------------------------------------------------------

@pytest.fixture
def tmpfs(tmp_path):
    "Mount a small tmpfs (root only); yields a function mount(options) -> path."
    if os.geteuid() != 0 or shutil.which('mount') is None: pytest.skip('mounting a tmpfs needs root')
    mounted = []
    def mount(opts):
        p = tmp_path / f'fs{len(mounted)}'; p.mkdir()
        if subprocess.run(['mount', '-t', 'tmpfs', '-o', opts, 'tmpfs', str(p)], capture_output=True).returncode:
            pytest.skip('cannot mount a tmpfs here')
        mounted.append(p); return p
    yield mount
    for p in mounted: subprocess.run(['umount', '-l', str(p)])

def test_read_only_and_full_disk_are_one_line(tmpfs):
    ro = tmpfs('size=1m,ro')
    _one_line(_main('run', '--preset', 'smoke', '--stages', 'data', '--out', ro / 'run'), 'cannot create output folder',
              'Read-only')
    _one_line(_main('run', '--preset', 'smoke', '--stages', 'data', '--out', ro), 'Read-only')
    full = tmpfs('size=64k')
    (full / 'run').mkdir()
    fd = os.open(full / 'filler', os.O_CREAT | os.O_WRONLY)   # fill the disk, leaving nothing for the run
    try:
        while True: os.write(fd, b'x' * 4096)
    except OSError: pass
    finally: os.close(fd)
    _one_line(_main('run', '--preset', 'smoke', '--stages', 'data', '--out', full / 'run'), 'No space left on device')
    assert not (full / 'run' / 'config.json').exists() and not (full / 'run' / '.lock').exists()

@pytest.mark.parametrize('pid', [10**20])   # 0 and -1 too, in 00_core and tests/test_lock.py
def test_a_lock_naming_no_possible_process_is_taken_over(cli, smoke_run, tmp_path, pid):
    out = tmp_path / 'run'; out.mkdir()
    (out / '.lock').write_text(json.dumps({'pid': pid, 'host': socket.gethostname(), 'started': 'earlier'}))
    r = cli('run', '--preset', 'smoke', '--stages', 'data', '--out', out)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / '.done' / 'data.json').exists() and not (out / '.lock').exists()

def test_a_lock_of_a_live_stranger_or_a_folder_says_how_to_fix(tmp_path):
    out = tmp_path / 'run'; out.mkdir()
    (out / '.lock').write_text(json.dumps({'pid': 1, 'host': socket.gethostname(), 'started': 'earlier'}))
    _one_line(_main('run', '--preset', 'smoke', '--stages', 'data', '--out', out), 'being written by process 1',
              f"delete {out / '.lock'} if that process is not an atmodist run); wait for it or use another --out")
    (out / '.lock').unlink(); (out / '.lock').mkdir()
    _one_line(_main('run', '--preset', 'smoke', '--stages', 'data', '--out', out),
              "is a folder, not atmodist's lock file; remove it")
    assert (out / '.lock').is_dir()

def test_evaluate_takes_the_lock_before_dropping_markers(smoke_run, tmp_path):
    run = tmp_path / 'run'; shutil.copytree(smoke_run, run)
    (run / '.lock').write_text(json.dumps({'pid': os.getpid(), 'host': socket.gethostname(), 'started': 'now'}))
    _one_line(_main('evaluate', '--run', run), f'is being written by process {os.getpid()}')
    assert (run / '.done' / 'sr_eval.json').exists() and (run / '.done' / 'report.json').exists()

def _rewrite_generator(stage_dir: Path, how: str):
    "Break sr_pretrain's generator checkpoint: drop its sha256, or give a tensor the wrong shape (and a matching hash)."
    import hashlib, torch
    from safetensors.torch import load, save
    js, st = stage_dir / 'generator.json', stage_dir / 'generator.safetensors'
    info = json.loads(js.read_text())
    if how == 'no sha256': info.pop('sha256')
    else:
        t = load(st.read_bytes()); k = next(k for k, v in t.items() if v.ndim == 4)
        t[k] = torch.zeros(*t[k].shape[:-1], t[k].shape[-1] + 2); blob = save(t)
        st.write_bytes(blob); info['sha256'] = hashlib.sha256(blob).hexdigest()
    js.write_text(json.dumps(info))

@pytest.mark.parametrize('how,msg', [('no sha256', 'has no sha256 of its tensors'),
                                     ('wrong shape', 'does not fit its network (size mismatch')])
def test_a_broken_checkpoint_is_one_line(env, smoke_run, tmp_path, monkeypatch, how, msg):
    monkeypatch.setenv('ATMODIST_DATA', env['ATMODIST_DATA'])
    run = tmp_path / 'run'; shutil.copytree(smoke_run, run)
    _rewrite_generator(run / 'sr_pretrain', how)
    _one_line(_main('evaluate', '--run', run, '--no-progress'), msg)

def test_prepare_workers_and_step(tmp_path):
    for args, msg in ((['--workers', '-2'], '--workers -2 is not a number of workers'),
                      (['--workers', '0'], '--workers 0'),
                      (['--step', 'bogus'], "--step 'bogus' is not a positive time step")):
        _one_line(_main('prepare', 'swe_default', '--out', tmp_path / 's.zarr', *args), msg)
    assert not (tmp_path / 's.zarr').exists()

# --- 9. the parts chain as the README shows them ----------------------------------------------------------

def test_the_parts_chain(cli, smoke_run, tmp_path):
    "superres --pretext RUN -> evaluate --run (its folder) -> transfer --pretext RUN; evaluate --run on a whole run."
    def ok(*args):
        r = cli(*args); assert r.returncode == 0, (args, r.stdout[-1500:], r.stderr[-2500:]); return r
    x, t = tmp_path / 'sr', tmp_path / 'tr'
    ok('superres', '--pretext', smoke_run, '--out', x)
    assert (x / 'report.md').exists()
    assert json.loads((x / 'upstream.json').read_text())['upstream'] == str(smoke_run.resolve())
    before = (x / '.done' / 'sr_eval.json').read_text()
    ok('evaluate', '--run', x)
    assert (x / '.done' / 'sr_eval.json').read_text() != before and (x / 'report.md').exists()   # evaluated again
    ok('transfer', '--pretext', smoke_run, '--out', t)
    assert (t / '.done' / 'transfer.json').exists()
    whole = tmp_path / 'whole'; shutil.copytree(smoke_run, whole)
    ok('evaluate', '--run', whole)
