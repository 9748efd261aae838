"""The README's test command, counted: nbdev_test over every notebook (2 workers; one count per
notebook), then pytest over tests/ if there is any (one count per test); ends with 'N passed, N failed'.
Exit code is non-zero on any failure."""
import re, subprocess, sys
from pathlib import Path

def run(cmd):
    print('$', ' '.join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(p.stdout, flush=True)
    return p.returncode, p.stdout

def notebooks():
    # the notebooks nbdev_test runs: all under nbs/, not starting with '_' or '.'
    return sorted(p for p in Path('nbs').rglob('*.ipynb')
                  if not any(part.startswith(('_', '.')) for part in p.relative_to('nbs').parts))

passed = failed = 0
nbs = notebooks()
rc, out = run(['nbdev_test', '--n_workers', '2', '--timing'])
m = re.search(r'nbdev Tests Failed On The Following Notebooks:\s*(.*)', out, re.S)
failed_nbs = re.findall(r'[\w./-]+\.ipynb', m.group(1)) if m else []
if rc != 0 and not failed_nbs:  # crashed before naming notebooks: count every notebook as failed
    failed_nbs = [str(p) for p in nbs] or ['<nbdev_test>']
# a notebook counts as passed only if nbdev_test ran it (its --timing line names it): one that it
# skipped (a .notest file, a skip_file_re match) would otherwise pass without running
timed = set(re.findall(r'^([\w.-]+\.ipynb): \d+ secs$', out, re.M))
failed_names = {Path(f).name for f in failed_nbs}
not_run = [str(p) for p in nbs if p.name not in timed and p.name not in failed_names]
if not_run: print('notebooks nbdev_test did not run (counted as failed):', ', '.join(not_run), flush=True)
if not nbs: print('no notebooks found under nbs/ (counted as failed)', flush=True)
nb_failed = len(failed_nbs) + len(not_run) + (0 if nbs else 1); nb_passed = max(len(nbs) - len(failed_nbs) - len(not_run), 0)
passed += nb_passed; failed += nb_failed
print(f'notebooks: {nb_passed} passed, {nb_failed} failed', flush=True)

if Path('tests').is_dir() and any(Path('tests').rglob('test_*.py')):
    rc, out = run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'])
    p = re.search(r'(\d+) passed', out); f = re.search(r'(\d+) failed', out); e = re.search(r'(\d+) error', out)
    passed += int(p.group(1)) if p else 0
    failed += (int(f.group(1)) if f else 0) + (int(e.group(1)) if e else 0)
    if rc not in (0, 5) and not (f or e): failed += 1

print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
