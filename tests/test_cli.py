"""The command line answers help, the preset list and usage errors without loading torch, and documents every option."""
import re, subprocess, sys
import pytest

PROBE = """
import sys
from atmodist_nb.cli import main
try: rc = main({argv!r})
except SystemExit as e: rc = e.code          # argparse's --help exits 0
print(); print(rc, 'torch' in sys.modules, 'numpy' in sys.modules)
"""

@pytest.mark.parametrize('argv',
                         [['--help'], ['run', '--help'], ['synth', '--help'], ['prepare', '--help'],
                          ['run', '--list-presets'],
                                  ['frobnicate'], ['run', '--out', 'x', '--seed'], ['prepare', 'era5_local']])
def test_answers_without_torch(argv):
    r = subprocess.run([sys.executable, '-c', PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60)
    rc, torch_loaded, numpy_loaded = r.stdout.strip().splitlines()[-1].split()
    assert (torch_loaded, numpy_loaded) == ('False', 'False'), (argv, r.stdout[-500:])
    assert rc == ('2' if argv[0] == 'frobnicate' or argv[-1] in ('--seed', 'era5_local') else '0'), (argv, rc,
                                                                                                     r.stderr[-500:])

def _undocumented(help_text: str) -> list[str]:
    "Arguments of an argparse help text without help: an entry line with nothing after it and no continuation line."
    body = help_text.split('\n\n', 1)[1].splitlines()          # after the usage block
    out = []
    for k, line in enumerate(body):
        if not re.match(r'  \S', line): continue                 # entries sit at two spaces; their help wraps deeper
        said = len(re.split(r'\s{2,}', line.strip(), maxsplit=1)) == 2
        more = k + 1 < len(body) and re.match(r'\s{3,}\S', body[k + 1])
        if not (said or more): out.append(line.strip())
    return out

def test_every_option_has_help(cli):
    "`atmodist --help` and `atmodist COMMAND --help` give every argument of every command a help text."
    top = cli('--help')
    commands = re.findall(r'^    (\w+)  ', top.stdout, flags=re.M)
    assert top.returncode == 0 and {'synth', 'prepare', 'run', 'evaluate', 'study',
                                    'bench'} <= set(commands), top.stdout
    assert _undocumented(top.stdout) == []
    missing = []
    for c in commands:
        r = cli(c, '--help')
        assert r.returncode == 0 and r.stdout.startswith(f'usage: atmodist {c}'), (c, r.stderr[-300:])
        missing += [f'{c} {m}' for m in _undocumented(r.stdout)]
    assert missing == []

def test_undocumented_finds_a_bare_option():
    "The parser of help texts sees an option without help (the check above can fail)."
    import argparse
    p = argparse.ArgumentParser(prog='x'); p.add_argument('--said', help='a help text'); p.add_argument('--bare')
    p.add_argument('--long-option-name-that-wraps', help='help on the next line')
    assert _undocumented(p.format_help()) == ['--bare BARE']

ATMODIST = [sys.executable, '-c', 'import sys; from atmodist_nb.cli import main; sys.exit(main(sys.argv[1:]))']

def test_study_command_refuses_bad_input_before_any_work(tmp_path):
    "`atmodist study`: an unknown preset, overrides or a user's folder are one line, exit 2, and nothing is written."
    (tmp_path / 'mine').mkdir(); (tmp_path / 'mine' / 'notes.txt').write_text('keep')
    for argv, says in ((['--preset', 'nope', '--out', str(tmp_path / 'a')], "unknown study preset 'nope'"),
                       (['--out', str(tmp_path / 'a'), '--steps', '3'], 'takes no config overrides'),
                       (['--quick'], 'needs --out'),
                       (['--quick', '--out', str(tmp_path / 'mine')], 'nothing was touched')):
        r = subprocess.run([*ATMODIST, 'study', *argv], capture_output=True, text=True, timeout=120)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and says in lines[0], (argv, r.returncode, r.stderr[-300:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mine']
    assert (tmp_path / 'mine' / 'notes.txt').read_text() == 'keep'
    r = subprocess.run([*ATMODIST, 'study', '--list-presets'], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and [l.split()[0] for l in r.stdout.splitlines()] == ['demo', 'quick'], r.stdout
