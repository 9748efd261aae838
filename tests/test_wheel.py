"""`pip install medmoe` as a user gets it: build the wheel and the sdist, install the wheel into a
fresh venv without the dev extras, and use the package and the `medmoe` command from there."""
import os, subprocess, sys, venv, zipfile, tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def run(*cmd, **kw):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-4000:]}"
    return p.stdout

def test_wheel_installs_into_clean_venv(tmp_path):
    dist = tmp_path / 'dist'
    out = run(sys.executable, '-m', 'build', '--no-isolation', '--outdir', dist, ROOT)
    assert 'would be ignored' not in out and 'is absent from the `packages`' not in out, out[-3000:]
    whl, = dist.glob('medmoe-*.whl'); sdist, = dist.glob('medmoe-*.tar.gz')
    names = zipfile.ZipFile(whl).namelist()
    prompts = {Path(n).name for n in names if n.startswith('medmoe/prompts/')}
    assert {p.name for p in (ROOT / 'medmoe/prompts').glob('*.json')} == prompts
    assert any(n.endswith('licenses/LICENSE') for n in names)
    assert any(n.endswith('medmoe/prompts/chexpert_5x200.json') for n in tarfile.open(sdist).getnames())

    env_dir = tmp_path / 'venv'; venv.create(env_dir, with_pip=True)
    py, medmoe = env_dir / 'bin/python', env_dir / 'bin/medmoe'
    pip = [py, '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    # torch first, the way the README's install does (a CUDA build that also runs on CPU)
    run(*pip, 'torch==2.14.1', 'torchvision==0.29.1')
    run(*pip, whl)
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1'}
    version = run(py, '-c', 'import medmoe; print(medmoe.__version__)', cwd=tmp_path, env=env).strip()
    assert version == next(l.split('=')[1].strip() for l in (ROOT / 'settings.ini').read_text().splitlines() if l.startswith('version'))
    assert 'synth' in run(medmoe, '--help', cwd=tmp_path, env=env)
    # a runtime install has no dev tools, and the package must not need them
    assert run(py, '-c', 'import importlib.util as u; print(u.find_spec("nbdev") is None)', env=env).strip() == 'True'
    run(py, '-c', 'from medmoe.zeroshot import list_prompt_sets, load_prompts; assert len(list_prompt_sets()) == 10; load_prompts("rsna_pneumonia")',
        cwd=tmp_path, env=env)
    run(medmoe, 'synth', '--out', tmp_path / 'synth', '--n', '12', cwd=tmp_path, env=env)
    assert len(list((tmp_path / 'synth/images').glob('*.png'))) == 12
