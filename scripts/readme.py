#!/usr/bin/env python
"""README.md is generated from nbs/index.ipynb (Quarto, which nbdev_readme needs, is not available).

  python scripts/readme.py          # write README.md
  python scripts/readme.py --check  # exit 1 if README.md differs from what index.ipynb gives
"""
import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def render() -> str:
    "README text: the markdown of nbs/index.ipynb (code cells as fenced blocks), image paths made relative to the root."
    import nbformat
    from nbconvert import MarkdownExporter
    nb = nbformat.read(ROOT / 'nbs' / 'index.ipynb', as_version=4)
    nb.cells = [c for c in nb.cells if not c.source.lstrip().startswith('#| hide')]
    body, _ = MarkdownExporter().from_notebook_node(nb)
    body = re.sub(r'\]\((?!https?:|/|#)([^)]+)\)', lambda m: f'](nbs/{m.group(1)})', body)
    body = re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'
    return '<!-- generated from nbs/index.ipynb by `make readme`; do not edit -->\n\n' + body

if __name__ == '__main__':
    text, path = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        ok = path.exists() and path.read_text(encoding='utf-8') == text
        print('README.md is in sync with nbs/index.ipynb' if ok else 'README.md differs from nbs/index.ipynb: run `make readme`')
        sys.exit(0 if ok else 1)
    path.write_text(text, encoding='utf-8'); print(f'wrote {path.name}')
