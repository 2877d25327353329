"""One writer per run folder: a second `atmodist run` on a folder another process holds exits 2 naming that process,
a lock left by a dead process is taken over, and the lock goes when its holder ends (normally or by an exception)."""
import json, socket, subprocess, sys
from pathlib import Path
import pytest

HOLD = """
import sys
from atmodist_nb.core import run_lock
with run_lock(sys.argv[1]):
    print('held', flush=True)
    if sys.stdin.readline().strip() == 'raise': raise RuntimeError('the writer failed')
"""

def _holder(folder: Path) -> subprocess.Popen:
    "A real process holding `folder` until a line arrives on its stdin."
    p = subprocess.Popen([sys.executable, '-c', HOLD, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == 'held', p.stderr.read()
    return p

def _release(p: subprocess.Popen, how: str = '') -> int:
    p.stdin.write(how + '\n'); p.stdin.flush()
    return p.wait(timeout=60)

def _holder_pid(folder: Path) -> int: return json.loads((folder / '.lock').read_text())['pid']

def test_second_writer_exits_2_naming_the_holder(tmp_path, cli):
    run = tmp_path / 'run'
    first = _holder(run)
    try:
        r = cli('run', '--preset', 'smoke', '--out', run, timeout=300)
        assert r.returncode == 2, r.stdout[-1000:] + r.stderr[-2000:]
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert f'run folder {run} is being written by process {first.pid} (started ' in lines[0], lines
        assert lines[0].endswith('wait for it or use another --out'), lines[0]
        assert _holder_pid(run) == first.pid          # the holder's folder and lock are left alone
    finally:
        code = _release(first)
    assert code == 0 and not (run / '.lock').exists()  # released when the holder ends

def test_released_on_exception(tmp_path):
    p = _holder(tmp_path)
    assert _release(p, 'raise') == 1 and 'the writer failed' in p.stderr.read()
    assert not (tmp_path / '.lock').exists()

def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass']); dead.wait()
    (tmp_path / '.lock').write_text(json.dumps({'pid': dead.pid, 'host': socket.gethostname(), 'started': 'earlier'}))
    p = _holder(tmp_path)
    assert _holder_pid(tmp_path) == p.pid
    assert _release(p) == 0 and not (tmp_path / '.lock').exists()

def test_lock_of_a_killed_writer_is_taken_over(tmp_path):
    killed = _holder(tmp_path); killed.kill(); killed.wait()          # SIGKILL: no clean-up ran
    assert _holder_pid(tmp_path) == killed.pid
    p = _holder(tmp_path)
    assert _holder_pid(tmp_path) == p.pid
    assert _release(p) == 0

@pytest.mark.parametrize('pid', [0, -1, 10**20])
def test_a_lock_naming_no_possible_process_is_stale(tmp_path, pid):
    "pid 0 and -1 would signal a process group or every process, 10**20 overflows: no holder, the lock is taken over."
    (tmp_path / '.lock').write_text(json.dumps({'pid': pid, 'host': socket.gethostname(), 'started': 'earlier'}))
    p = _holder(tmp_path)
    assert _holder_pid(tmp_path) == p.pid
    assert _release(p) == 0 and not (tmp_path / '.lock').exists()

def test_a_reused_pid_is_stale(tmp_path):
    "The holder's pid alive again but started at another time (a later process got the id): taken over."
    info = {'pid': 1, 'host': socket.gethostname(), 'started': 'earlier', 'ticks': '-1'}
    (tmp_path / '.lock').write_text(json.dumps(info))
    p = _holder(tmp_path)
    assert _holder_pid(tmp_path) == p.pid and _release(p) == 0

def test_a_live_strangers_lock_or_a_lock_folder_names_the_fix(tmp_path):
    from atmodist_nb.core import run_lock, AtmoError
    lock = tmp_path / '.lock'
    lock.write_text(json.dumps({'pid': 1, 'host': socket.gethostname(), 'started': 'earlier'}))
    fix = r'being written by process 1 .*; delete .*\.lock if that process is not an atmodist run\); wait'
    with pytest.raises(AtmoError, match=fix):
        with run_lock(tmp_path): pass
    lock.unlink(); lock.mkdir(); (lock / 'x').write_text('mine')
    with pytest.raises(AtmoError, match=r"\.lock is a folder, not atmodist's lock file; remove it"):
        with run_lock(tmp_path): pass
    assert (lock / 'x').read_text() == 'mine'
