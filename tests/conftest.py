"Shared fixtures: the `atmodist` command run as a user would, a private data cache, and one finished smoke run."
import os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent / 'atmodist'

@pytest.fixture(scope='session')
def env(tmp_path_factory):
    "Environment for CLI subprocesses: a private data cache, no progress bars, a non-interactive matplotlib."
    return {**os.environ, 'ATMODIST_DATA': str(tmp_path_factory.mktemp('data')), 'ATMODIST_PROGRESS': '0',
            'MPLBACKEND': 'Agg'}

@pytest.fixture(scope='session')
def cli(env):
    "Run `atmodist ARGS...`; returns the CompletedProcess (text)."
    def run(*args, fault=None, timeout=900):
        e = dict(env)
        if fault: e['ATMODIST_FAULT'] = fault
        return subprocess.run([str(BIN), *map(str, args)], env=e, capture_output=True, text=True, timeout=timeout)
    return run

@pytest.fixture(scope='session')
def smoke_run(cli, tmp_path_factory):
    "One uninterrupted `atmodist run --preset smoke`: the reference for the end-to-end and resume tests."
    out = tmp_path_factory.mktemp('ref') / 'smoke'
    r = cli('run', '--preset', 'smoke', '--out', out)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return out
