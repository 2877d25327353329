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
