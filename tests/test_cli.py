"""The command line answers help, the preset list and usage errors without loading torch, and documents every option."""
import subprocess, sys
import pytest

PROBE = """
import sys
from atmodist_nb.cli import main
try: rc = main({argv!r})
except SystemExit as e: rc = e.code          # argparse's --help exits 0
print(); print(rc, 'torch' in sys.modules, 'numpy' in sys.modules)
"""

@pytest.mark.parametrize('argv', [['--help'], ['run', '--help'], ['synth', '--help'], ['prepare', '--help'], ['run', '--list-presets'],
                                  ['frobnicate'], ['run', '--out', 'x', '--seed'], ['prepare', 'era5_local']])
def test_answers_without_torch(argv):
    r = subprocess.run([sys.executable, '-c', PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60)
    rc, torch_loaded, numpy_loaded = r.stdout.strip().splitlines()[-1].split()
    assert (torch_loaded, numpy_loaded) == ('False', 'False'), (argv, r.stdout[-500:])
    assert rc == ('2' if argv[0] == 'frobnicate' or argv[-1] in ('--seed', 'era5_local') else '0'), (argv, rc, r.stderr[-500:])

def test_every_option_has_help():
    import argparse
    from atmodist_nb.cli import build_parser
    def actions(p):
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sp in a.choices.values(): yield from actions(sp)
            elif not isinstance(a, argparse._HelpAction): yield p.prog, a
    assert [f'{prog} {a.dest}' for prog, a in actions(build_parser()) if not a.help] == []

ATMODIST = [sys.executable, '-c', 'import sys; from atmodist_nb.cli import main; sys.exit(main(sys.argv[1:]))']

def test_study_command_refuses_bad_input_before_any_work(tmp_path):
    "`atmodist study`: an unknown preset, overrides or a folder of the user's are one line, exit 2, and nothing is written."
    (tmp_path / 'mine').mkdir(); (tmp_path / 'mine' / 'notes.txt').write_text('keep')
    for argv, says in ((['--preset', 'nope', '--out', str(tmp_path / 'a')], "unknown study preset 'nope'"),
                       (['--out', str(tmp_path / 'a'), '--steps', '3'], 'takes no config overrides'),
                       (['--quick'], 'needs --out'),
                       (['--quick', '--out', str(tmp_path / 'mine')], 'nothing was touched')):
        r = subprocess.run([*ATMODIST, 'study', *argv], capture_output=True, text=True, timeout=120)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and says in lines[0], (argv, r.returncode, r.stderr[-300:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mine'] and (tmp_path / 'mine' / 'notes.txt').read_text() == 'keep'
    r = subprocess.run([*ATMODIST, 'study', '--list-presets'], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and [l.split()[0] for l in r.stdout.splitlines()] == ['demo', 'quick'], r.stdout
