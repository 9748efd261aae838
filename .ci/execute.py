"""Execute notebooks in place so the chapters keep their outputs (nbdev_clean keeps them), skipping the cells nbdev_test
skips: those flagged `#| slow`, `#| gpu`, `#| notest` (settings.ini's tst_flags) or `#| eval: false`. Skipped cells
keep whatever output they stored. Stops at the first failing cell and writes nothing for that notebook.
Usage: python .ci/execute.py nbs/05_moe.ipynb [nbs/06_losses.ipynb ...]"""
import os, re, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

_re_dir = re.compile(r'^\s*#\|\s*(.*?)\s*$')

def skipped(src: str, flags: set) -> bool:
    "Does a cell's `#|` header flag it to be skipped (a test flag or `eval: false`)?"
    for line in src.splitlines():
        m = _re_dir.match(line)
        if not m: break
        d = m.group(1).replace(' ', '').lower()
        if d in flags or d == 'eval:false': return True
    return False

def execute(path: Path, flags: set) -> int:
    "Run the notebook at `path` top to bottom in a fresh shell and write its outputs back; returns the cells run."
    path = path.resolve()
    nb, t0, n = read_nb(path), time.time(), 0
    sh = CaptureShell(path, mpl_format='png')  # plain PNGs: retina doubles every figure's bytes
    os.environ['IN_TEST'] = '1'  # as under nbdev_test: nbdev_export() in the last cell does nothing
    with working_directory(path.parent):
        for cell in nb.cells:
            if cell.cell_type != 'code' or skipped(cell.source, flags): continue
            sh.cell(cell)
            if sh.exc: raise RuntimeError(f'{path} cell {cell.idx_} failed:\n{cell.source[:400]}') from sh.exc
            n += 1
    write_nb(nb, path)
    print(f'{path}: {n} cells run in {time.time() - t0:.0f} s', flush=True)
    return n

if __name__ == '__main__':
    from nbdev.config import get_config
    flags = set(get_config().get('tst_flags', '').split()) | {'slow', 'gpu'}
    for p in sys.argv[1:]: execute(Path(p), flags)
