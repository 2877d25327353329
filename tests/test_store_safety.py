"""Issue 18, items 3-5 and the store parts of 8: a broken, changed or foreign store is refused in one line where it is
used; `prepare` holds a lock, resumes only onto the source it began with, never writes NaN into a store, ends a full or
read-only disk in one line, and refuses a `--scheduler` port that answers but is not dask. Each test runs the `atmodist`
command as a user would."""
import json, os, shutil, socket, subprocess, sys, threading, time
from pathlib import Path
import numpy as np, pytest
from atmodist_nb.data.prepare import prepare_store
from atmodist_nb.testing import noise_fields

SMOKE = ('run', '--preset', 'smoke', '--data.check_finite', 'false')   # as the ERA5 presets: no NaN scan to hide behind


def _source(path: Path, seed: int = 0, nan_at: int | None = None, T: int = 48) -> Path:
    "A netCDF source of random vo, d on a 17 x 32 global grid, 3-hourly from 2000-01-01 (a NaN in d at step `nan_at`)."
    ds = noise_fields(T, 17, 32, seed=seed)
    if nan_at is not None: ds['d'][nan_at, 3, 4] = np.nan
    ds.to_netcdf(path); return path


@pytest.fixture(scope='module')
def good(tmp_path_factory) -> Path:
    "A complete prepared store: 48 steps of 16 x 32, one chunk per step and variable."
    d = tmp_path_factory.mktemp('good')
    prepare_store(str(_source(d / 'src.nc')), d / 'good.zarr', scheduler='threads', workers=1, progress=False)
    return d / 'good.zarr'


def _copy(good: Path, dst: Path) -> Path:
    shutil.copytree(good, dst); return dst        # copy2: sizes and modification times kept


def _one_line(r) -> str:
    "The single stderr line of a refused command (exit 2)."
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, (r.returncode, r.stdout[-1500:], r.stderr[-3000:])
    return lines[0]


def _complete(store: Path):
    "The `complete` attribute of a store's root (None when there is no root attribute file)."
    f = store / '.zattrs'
    return json.loads(f.read_text()).get('complete') if f.exists() else None


# ---- stores are checked where they are used (item 3)

def _incomplete(s: Path):
    a = json.loads((s / '.zattrs').read_text()); a['complete'] = False; (s / '.zattrs').write_text(json.dumps(a))

def _missing(s: Path): (s / 'd' / '7.0.0').unlink()

def _truncated(s: Path):
    f = s / 'vo' / '5.0.0'; f.write_bytes(f.read_bytes()[:1000])

@pytest.mark.parametrize('damage, says', [(_incomplete, 'is incomplete'),
                                          (_missing, 'missing 1 chunk(s) of d, the first at time index 7 (d/7.0.0)'),
                                          (_truncated, 'chunk vo/5.0.0 (time index 5) is 1000 bytes, not the')])
def test_broken_store_refused_before_training(good, tmp_path, cli, damage, says):
    "Before, the data stage accepted all three (training ran to a NaN loss); now the run refuses, naming the chunk."
    store = _copy(good, tmp_path / 'bad.zarr'); damage(store)
    line = _one_line(cli(*SMOKE, '--data.source', store, '--stages', 'data', '--out', tmp_path / 'run', timeout=300))
    assert f'store {store}' in line and says in line, line
    assert not (tmp_path / 'run' / '.done' / 'data.json').exists()


def test_undecodable_chunk_is_one_line(good, tmp_path, cli):
    "A chunk of the right size with a garbage blosc header (held out: norm skips it) gives one line, no traceback."
    store = _copy(good, tmp_path / 'dmg.zarr')
    f = store / 'vo' / '45.0.0'; b = bytearray(f.read_bytes())
    b[8:12] = (10 ** 6).to_bytes(4, 'little'); f.write_bytes(b)           # blosc's block size: garbage
    r = cli(*SMOKE, '--data.source', store, '--stages', 'data,norm,pretext', '--out', tmp_path / 'run', timeout=300)
    line = _one_line(r)
    assert f'store {store.resolve()}: chunk vo/45.0.0 cannot be decompressed' in line, line


def test_store_changed_between_runs_refused(good, tmp_path, cli):
    "The run records the store's fingerprint; values rewritten before a resume (same sizes) are refused, not mixed in."
    store, run = _copy(good, tmp_path / 's.zarr'), tmp_path / 'run'
    r = cli(*SMOKE, '--data.source', store, '--stages', 'data', '--out', run, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((run / 'store.json').read_text())['n_chunks'] == 99   # 2 x 48 steps + time, lat, lon
    import zarr
    g = zarr.open_group(str(store), mode='r+', zarr_format=2); g['vo'][3] = -g['vo'][3]
    sizes = json.loads((store / 'chunks.json').read_text())['sizes']['vo']
    assert (store / 'vo' / '3.0.0').stat().st_size == sizes[3]           # the size check alone would pass it
    line = _one_line(cli(*SMOKE, '--data.source', store, '--stages', 'data,norm', '--out', run, timeout=300))
    assert f'the store {store.resolve()} changed since this run began' in line, line
    assert not (run / '.done' / 'norm.json').exists()


def test_folder_that_is_not_a_store(tmp_path, cli):
    "A folder of other files given as the store is named as such (today: 'does not exist'), and left as it was."
    folder = tmp_path / 'mine.zarr'; (folder / 'sub').mkdir(parents=True); (folder / 'notes.txt').write_text('keep')
    line = _one_line(cli(*SMOKE, '--data.source', folder, '--stages', 'data', '--out', tmp_path / 'run', timeout=300))
    assert 'is a folder but not a zarr store' in line and 'not a prepared store' in line, line
    assert sorted(p.name for p in folder.iterdir()) == ['notes.txt', 'sub']
    assert (folder / 'notes.txt').read_text() == 'keep'


def test_dry_run_does_not_ask_to_prepare_a_prepared_store(good, cli):
    r = cli(*SMOKE, '--data.source', good, '--data.stream', 'on', '--dry-run', timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'streamed in windows' in r.stdout and f'store: {good} is prepared' in r.stdout, r.stdout
    assert 'prepare once' not in r.stdout, r.stdout


# ---- prepare: one writer, the same source, no NaN, nothing of the user's (items 4, 7, 8)

HOLD = ("import sys\nfrom atmodist_nb.core import run_lock\n"
        "with run_lock(sys.argv[1]):\n    print('held', flush=True); sys.stdin.readline()\n")

def test_second_writer_exits_2_naming_the_first(tmp_path, cli):
    src, out = _source(tmp_path / 'src.nc'), tmp_path / 'o.zarr'
    first = subprocess.Popen([sys.executable, '-c', HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == 'held', first.stderr.read()
        line = _one_line(cli('prepare', src, '--out', out, '--scheduler', 'threads', timeout=300))
        assert f'store {out} is being written by process {first.pid} (started ' in line, line
        assert sorted(p.name for p in out.iterdir()) == ['.lock']       # the first writer's folder untouched
    finally:
        first.stdin.write('\n'); first.stdin.flush(); first.wait(timeout=60)


def test_resume_onto_a_replaced_source_refused(tmp_path, cli):
    "Killed mid-block (its lock left behind), then the source replaced by another of the same shape: resume refused."
    src, out = _source(tmp_path / 'src.nc'), tmp_path / 'o.zarr'
    r = cli('prepare', src, '--out', out, '--scheduler', 'threads', fault='prepare_block:1', timeout=300)
    assert r.returncode == -9, r.stderr[-2000:]
    assert json.loads((out / '.lock').read_text())['pid'] > 0              # prepare held the store's lock
    time.sleep(0.01); _source(src, seed=1)                                  # same path, shape and start; other values
    line = _one_line(cli('prepare', src, '--out', out, '--scheduler', 'threads', timeout=300))
    assert f'the source of {out} changed since its preparation began ({src} was modified' in line, line
    assert _complete(out) is False


def test_nan_outside_the_training_span_is_refused_with_its_place(tmp_path, cli):
    src, out = _source(tmp_path / 'nan.nc', nan_at=40), tmp_path / 'o.zarr'
    r = cli('prepare', src, '--out', out, '--train', '2000-01-01', '2000-01-03', '--scheduler', 'threads', timeout=300)
    line = _one_line(r)
    assert 'the source has 1 NaN/inf values of d' in line, line
    assert 'the first at time index 40 (2000-01-06T00:00)' in line, line
    assert _complete(out) is False


def test_foreign_out_refused_before_any_work(tmp_path, cli):
    "A non-empty folder that prepare did not write is refused first (before the source is opened) and left as it was."
    out = tmp_path / 'home'; (out / 'sub').mkdir(parents=True); (out / 'a.txt').write_text('keep')
    line = _one_line(cli('prepare', tmp_path / 'no-such.nc', '--out', out, '--scheduler', 'threads', timeout=300))
    assert f'{out} exists, is not empty and is not an atmodist store' in line, line
    assert sorted(p.name for p in out.iterdir()) == ['a.txt', 'sub'] and (out / 'a.txt').read_text() == 'keep'


# ---- --scheduler at a port that answers but is not dask (item 5)

class _Server:
    "A TCP server on 127.0.0.1 that accepts connections and sends `reply` to each (None: silent); stops after `life` s."
    def __init__(self, reply: bytes | None, life: float = 60.0):
        self.sock = socket.socket(); self.sock.bind(('127.0.0.1', 0)); self.sock.listen(4); self.sock.settimeout(0.5)
        self.reply, self.end, self.conns = reply, time.monotonic() + life, []
        self.thread = threading.Thread(target=self._serve, daemon=True); self.thread.start()
        self.address = f'tcp://127.0.0.1:{self.sock.getsockname()[1]}'
    def _serve(self):
        while time.monotonic() < self.end:
            try: c, _ = self.sock.accept()
            except OSError: continue
            self.conns.append(c)
            if self.reply: c.sendall(self.reply)
        for c in self.conns: c.close()
        self.sock.close()
    def stop(self): self.end = 0; self.thread.join(timeout=5)


@pytest.mark.parametrize('reply', [b'\xff' * 64, None], ids=['garbage', 'silent'])
def test_scheduler_port_that_is_not_dask(tmp_path, cli, reply):
    "Garbage (today: a 3 EiB allocation) is refused at once; silence (today: a hang) after the 10 s handshake timeout."
    server = _Server(reply)
    try:
        src = _source(tmp_path / 'src.nc')
        r = cli('prepare', src, '--out', tmp_path / 'o.zarr', '--scheduler', server.address, timeout=120)
    finally: server.stop()
    line = _one_line(r)
    assert f'{server.address} ' in line and 'not a dask scheduler' in line, line
    assert 'no dask handshake within 10 s' in line if reply is None else 'first message is not a dask handshake' in line
    assert _complete(tmp_path / 'o.zarr') is False


# ---- a full disk and a read-only folder (item 7, for prepare)

@pytest.fixture
def tiny_mount(tmp_path):
    "A 100 kB tmpfs (root only) and a read-only one; both unmounted afterwards."
    if os.geteuid() != 0: pytest.skip('needs root to mount a tiny tmpfs for the disk-full and read-only probes')
    full, ro = tmp_path / 'full', tmp_path / 'ro'; full.mkdir(); ro.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=100k', 'tmpfs', str(full)], capture_output=True).returncode:
        pytest.skip('mount -t tmpfs is not allowed here (container without CAP_SYS_ADMIN)')
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'ro,size=100k', 'tmpfs', str(ro)], check=True, capture_output=True)
    try: yield full, ro
    finally:
        for m in (full, ro): subprocess.run(['umount', str(m)], capture_output=True)


def test_disk_full_and_read_only_are_one_line(tmp_path, cli, tiny_mount):
    full, ro = tiny_mount
    src = _source(tmp_path / 'src.nc')                      # its store takes about 200 kB
    line = _one_line(cli('prepare', src, '--out', full / 'x.zarr', '--scheduler', 'threads', timeout=300))
    assert f'cannot write the store {full / "x.zarr"} (No space left on device' in line, line
    assert 'rerun the same command to resume' in line, line
    assert _complete(full / 'x.zarr') is False and not (full / 'x.zarr' / '.lock').exists()
    line = _one_line(cli('prepare', src, '--out', ro / 'x.zarr', '--scheduler', 'threads', timeout=300))
    assert 'Read-only file system' in line, line
