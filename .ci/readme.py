"""Render README.md from nbs/index.ipynb (nbdev_readme needs quarto, which is not available
offline): markdown cells as they are, code cells as python blocks with their text outputs (figures are
left out), `#| hide` cells dropped, `#| echo: false` cells' code left out and `#|` directives stripped.
`--check` fails if README.md differs."""
import json, sys
from pathlib import Path

def render(nb_path='nbs/index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        lines = src.splitlines()
        directives = [l for l in lines if l.startswith('#|')]
        if any(d.replace(' ', '') in ('#|hide', '#|include:false') for d in directives): continue
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if any(d.replace(' ', '') == '#|echo:false' for d in directives): body = ''  # the output only (e.g. a figure)
        if cell['cell_type'] == 'markdown':
            parts.append(body)
        elif cell['cell_type'] == 'code':
            if body: parts.append(f'```python\n{body}\n```')
            outs = []
            for o in cell.get('outputs', []):
                if o.get('output_type') == 'stream': outs.append(''.join(o['text']))
                elif any(k.startswith('image/') for k in o.get('data', {})): continue  # a figure: no '<Figure ...>'
                elif 'text/markdown' in o.get('data', {}): parts.append(''.join(o['data']['text/markdown']))
                elif 'text/plain' in o.get('data', {}): outs.append(''.join(o['data']['text/plain']))
            if outs: parts.append('```\n' + ''.join(outs).rstrip('\n') + '\n```')
    return '<!-- generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text = render()
    if '--check' in sys.argv:
        if Path('README.md').read_text() != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python .ci/readme.py`')
    else: Path('README.md').write_text(text)
