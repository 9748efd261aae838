"""Build the documentation site from the notebooks into `_docs/` without quarto (called by `.ci/docs`).

nbdev's own notebook processors do the nbdev part: `#| hide` cells dropped, `show_doc` signature cells added after
every exported name, backtick names linked. This script adds what quarto would: each cell's `#|` options honoured
(`echo: false`, `output: false`, `include: false`, `code-fold`), `#| export` code shown folded under its signature,
pages named as nbdev names them (`00_core.ipynb` -> `core.html`), the sidebar of `nbs/sidebar.yml`, links between
chapters made local, figures written beside the pages. It ends with a check line: pages, figures, directives left
in the pages (must be 0) and links that point nowhere."""
import argparse, ast, base64, html, re, shutil, sys, time, warnings
from pathlib import Path

import yaml
from execnb.nbio import dict2nb, _read_json
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbdev.config import get_config
from nbdev.doclinks import _nbpath2html
from fastcore.basics import str2bool
from nbdev.processors import FilterDefaults, exec_show_docs, _do_eval, _show_docs
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_re_directive = re.compile(r'^\s*#\|\s*(.*?)\s*$')
_re_ansi = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

# ---------------------------------------------------------------------------------------------------------------------
# nbdev processing, with two changes: `#| export` code is kept (shown folded, as nbdev does for `#| exports`), and a
# failing cell while executing for `show_doc` is reported and skipped instead of stopping the whole site.

class tolerant_exec_show_docs(exec_show_docs):
    """nbdev's `exec_show_docs` (run what `show_doc` needs), with two differences: of a cell that mixes imports with
    other code (a test) only the imports run, and a cell that fails keeps its stored outputs and is reported"""
    failures = []
    def __call__(self, cell):
        if not self.nb.has_docs_ or not hasattr(self, 'k') or not _do_eval(cell): return
        if str2bool(getattr(self.nb, 'frontmatter_', {}).get('skip_showdoc', False)): return
        trees = cell.parsed_()
        shown = cell.directives_.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or _show_docs(trees)
        outputs = cell.get('outputs')
        if shown: self.k.cell(cell)
        else: self.k.run('\n'.join(ast.unparse(t) for t in trees if isinstance(t, (ast.Import, ast.ImportFrom))))
        if self.k.exc:
            self.failures.append(f'{Path(self.nb.path_).name} cell {cell.idx_}: {self.k.exc!r}'[:200])
            self.k.exc = None
            if outputs is not None: cell.outputs = outputs

class SiteProcs(FilterDefaults):
    def base_procs(self): return [tolerant_exec_show_docs if p is exec_show_docs else p for p in super().base_procs()]

def process(path: Path):
    "The notebook at `path` after nbdev's doc processors (frontmatter in `nb.frontmatter_`)"
    js = _read_json(path, encoding='utf-8')
    for c in js['cells']:  # `#| export` -> `#| exports`: nbdev then shows the code under the signature
        if c['cell_type'] == 'code':
            src = ''.join(c['source'])
            c['source'] = re.sub(r'^#\|\s*export\s*$', '#| exports', src, flags=re.MULTILINE)
    # nbdev's mv_exports looks one cell past every exports cell: a notebook ending in one needs a cell after it
    js['cells'].append(dict(cell_type='markdown', metadata={}, source=' '))  # (an empty cell is dropped)
    nb = dict2nb(js)
    nb['path_'] = str(path)
    SiteProcs()(nb)
    return nb

# ---------------------------------------------------------------------------------------------------------------------
# Rendering

def page_name(nb_path: Path) -> str:
    "The page nbdev (and quarto) would write for a notebook: `00_core.ipynb` -> `core.html`"
    return 'index.html' if nb_path.stem == 'index' else _nbpath2html(Path(nb_path.name)).name

def slug(text: str) -> str:
    "Pandoc's heading identifier: lower case, punctuation dropped, spaces to hyphens"
    s = re.sub(r'<[^>]+>', '', html.unescape(text)).strip().lower()
    s = re.sub(r'[^\w\s.-]', '', s)
    s = re.sub(r'\s+', '-', s)
    return re.sub(r'^[^a-z]+', '', s) or 'section'

def cell_options(src: str) -> tuple[dict, str]:
    "The `#|` options at the top of a code cell and the source without them"
    opts, lines = {}, src.splitlines()
    while lines and (m := _re_directive.match(lines[0])):
        k, _, v = m.group(1).partition(':')
        opts[k.strip()] = v.strip().strip('"\'')
        lines.pop(0)
    return opts, '\n'.join(l for l in lines if not _re_directive.match(l)).strip('\n')

def markdown(text: str) -> str:
    text = re.sub(r'\{target="_blank"[^}]*\}', '', text)  # quarto link attributes in show_doc's source link
    return markdown2html_mistune(text)

class Page:
    "One notebook rendered to HTML body; figures go to `out/figs/`"
    def __init__(self, nb, name: str, out: Path):
        self.nb, self.name, self.out, self.n_figs = nb, name, out, 0

    def figure(self, data: str, ext: str) -> str:
        self.n_figs += 1
        p = self.out/'figs'/f'{Path(self.name).stem}-{self.n_figs}.{ext}'
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(base64.b64decode(data))
        return f'<img class="figure" src="figs/{p.name}" alt="figure {self.n_figs}">'

    def output(self, o) -> str:
        t = o.get('output_type')
        if t == 'stream':
            text = _re_ansi.sub('', ''.join(o.get('text', '')))
            return f'<pre class="out">{html.escape(text)}</pre>' if text.strip() else ''
        if t == 'error':
            return f'<pre class="out err">{html.escape(o.get("ename", ""))}: {html.escape(o.get("evalue", ""))}</pre>'
        d = o.get('data', {})
        if 'image/svg+xml' in d: self.n_figs += 1; return f'<div class="figure">{"".join(d["image/svg+xml"])}</div>'
        for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg')):
            if mime in d: return self.figure(''.join(d[mime]).replace('\n', ''), ext)
        if 'text/html' in d: return f'<div class="out-html">{"".join(d["text/html"])}</div>'
        if 'text/markdown' in d: return f'<div class="out-md">{markdown("".join(d["text/markdown"]))}</div>'
        if 'text/plain' in d:
            return f'<pre class="out">{html.escape(_re_ansi.sub("", "".join(d["text/plain"])))}</pre>'
        return ''

    def cell(self, c) -> str:
        src = c.get('source')
        if src is None: return ''  # hidden by nbdev
        src = ''.join(src) if isinstance(src, list) else src
        if c.cell_type == 'markdown': return f'<div class="md">{markdown(src)}</div>' if src.strip() else ''
        if c.cell_type != 'code': return ''
        opts, code = cell_options(src)
        if opts.get('include') == 'false': return ''
        parts = []
        if code and opts.get('echo') != 'false':
            block = highlight(code, PythonLexer(), HtmlFormatter(cssclass='highlight code'))
            fold = opts.get('code-fold')
            if fold in ('show', 'true'):
                summary = html.escape(opts.get('code-summary', 'Code'))
                block = f'<details{" open" if fold == "show" else ""}><summary>{summary}</summary>{block}</details>'
            parts.append(block)
        if opts.get('output') != 'false': parts += [self.output(o) for o in c.get('outputs', [])]
        body = ''.join(parts)
        return f'<div class="cell">{body}</div>' if body else ''

    def render(self) -> str:
        return '\n'.join(self.cell(c) for c in self.nb.cells)

# ---------------------------------------------------------------------------------------------------------------------
# The site

def sidebar_entries(nbs: Path) -> list:
    "`nbs/sidebar.yml` as (section or None, [notebook paths]), then any notebook it does not list"
    doc = yaml.safe_load((nbs/'sidebar.yml').read_text()) if (nbs/'sidebar.yml').exists() else {}
    contents = (((doc or {}).get('website') or {}).get('sidebar') or {}).get('contents') or []
    groups, listed = [], set()
    def walk(items, section):
        files = []
        for it in items:
            if isinstance(it, str): files.append(nbs/it)
            elif isinstance(it, dict) and 'section' in it: walk(it.get('contents', []), it['section'])
            elif isinstance(it, dict) and 'href' in it: files.append(nbs/it['href'])
        files = [f for f in files if f.suffix == '.ipynb' and f.exists()]
        listed.update(files)
        if files: groups.insert(0 if section is None else len(groups), (section, files))
    walk(contents, None)
    rest = sorted(p for p in nbs.glob('*.ipynb') if p not in listed)
    if rest: groups.append(('More chapters', rest))
    return groups

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529}
header{position:fixed;top:0;left:0;right:0;height:48px;background:#2780e3;color:#fff;display:flex;align-items:center;
 padding:0 18px;z-index:2} header a{color:#fff;text-decoration:none;font-weight:600;font-size:18px}
header .desc{margin-left:16px;opacity:.85;font-size:14px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
nav.side{position:fixed;top:48px;bottom:0;left:0;width:250px;overflow-y:auto;padding:14px 10px 30px 16px;
 border-right:1px solid #e5e5e5;background:#fafafa;font-size:14px}
nav.side .sec{margin:12px 0 4px;font-weight:600;color:#555} nav.side a{display:block;padding:3px 8px;color:#343a40;
 text-decoration:none;border-radius:4px} nav.side a:hover{background:#eef4fc}
nav.side a.here{background:#2780e3;color:#fff}
nav.toc{position:fixed;top:64px;right:12px;width:210px;font-size:13px;max-height:85vh;overflow-y:auto}
nav.toc a{display:block;color:#6c757d;text-decoration:none;padding:2px 0} nav.toc a:hover{color:#2780e3}
nav.toc .t{font-weight:600;color:#555;margin-bottom:4px}
main{margin:48px 240px 0 270px;padding:10px 28px 60px;max-width:980px}
@media (max-width:1300px){nav.toc{display:none} main{margin-right:0}}
h1.title{margin-bottom:4px} p.subtitle{color:#6c757d;font-size:18px;margin-top:0}
a{color:#2780e3} a.anchor-link{display:none}
.highlight{background:#f6f8fa;border-radius:5px;padding:1px 12px;margin:10px 0;overflow-x:auto}
.highlight pre{margin:8px 0;font-size:13.5px;line-height:1.45}
pre.out{margin:4px 0 12px;padding:6px 12px;font-size:13px;overflow-x:auto;border-left:3px solid #dee2e6;color:#333}
pre.out.err{border-left-color:#e74c3c;color:#a94442}
img.figure,.figure svg{max-width:100%;height:auto;display:block;margin:8px 0 14px}
details>summary{cursor:pointer;color:#6c757d;font-size:13px;margin-top:6px}
table{border-collapse:collapse;margin:10px 0;font-size:14px;display:block;overflow-x:auto}
th,td{border-bottom:1px solid #dee2e6;padding:4px 10px;text-align:left;vertical-align:top} th{border-bottom-width:2px}
.out-md h3,.out-md h4{margin:22px 0 6px;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.out-md hr{border:0;border-top:1px solid #dee2e6;margin-top:26px}
.out-md a[href*="github.com"]{float:right;font-size:smaller}
code{font-size:88%;background:#f3f3f3;padding:1px 4px;border-radius:3px} pre code{background:none;padding:0}
footer{margin-top:40px;color:#999;font-size:13px}
"""

def inline_code(text: str) -> str:
    "A title with `code` spans, as HTML"
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(text))

def page_html(title, desc, body, sidebar, toc, site) -> str:
    toc_html = ''.join(f'<a href="#{i}">{html.escape(t)}</a>' for i, t in toc)
    sub = f'<p class="subtitle">{inline_code(desc)}</p>' if desc else ''
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title.replace("`", ""))} – {html.escape(site["title"])}</title>'
            f'<link rel="stylesheet" href="site.css"><link rel="stylesheet" href="pygments.css"></head><body>\n'
            f'<header><a href="index.html">{html.escape(site["title"])}</a>'
            f'<span class="desc">{html.escape(site["description"])}</span></header>\n'
            f'<nav class="side">{sidebar}</nav>\n'
            + (f'<nav class="toc"><div class="t">On this page</div>{toc_html}</nav>\n' if toc else '')
            + f'<main><h1 class="title">{inline_code(title)}</h1>{sub}\n{body}\n'
            f'<footer>Built from the notebooks by <code>.ci/docs</code> (no quarto on this machine).</footer>'
            f'</main></body></html>\n')

def fix_links(body: str, names: dict, site_url: str) -> str:
    "Links to the doc host or to other notebooks point at the local pages"
    def href(m):
        url = html.unescape(m.group(1))
        if site_url and url.startswith(site_url): url = url[len(site_url):].lstrip('/') or 'index.html'
        path, hash_, frag = url.partition('#')
        if path.endswith('.ipynb'): path = names.get(Path(path).name, page_name(Path(path)))
        if hash_ and not re.match(r'\w+://', path): frag = slug(frag) if path.endswith('.html') or not path else frag
        return f'href="{html.escape(path + hash_ + frag)}"'
    body = re.sub(r'href="([^"]*)"', href, body)
    # a chapter named in the prose (`07_model`) links to its page
    def chapter(m):
        page = names.get(m.group(1) + '.ipynb')
        return f'<a href="{page}">{m.group(0)}</a>' if page else m.group(0)
    return re.sub(r'(?<!">)<code>(\d\w*)</code>', chapter, body)

def fix_headings(body: str) -> tuple[str, list]:
    "Pandoc-style heading ids (so `07_model.ipynb#table-3-parameters-and-flops` works) and the h2 table of contents"
    toc, seen = [], set()
    def heading(m):
        level, inner = m.group(1), m.group(3)
        text = re.sub(r'<a class="anchor-link".*?</a>', '', inner)
        i = base = slug(text)
        n = 1
        while i in seen: i, n = f'{base}-{n}', n + 1
        seen.add(i)
        if level == '2': toc.append((i, html.unescape(re.sub(r'<[^>]+>', '', text)).strip()))
        return f'<h{level} id="{i}">{text}</h{level}>'
    return re.sub(r'<h([1-6])( id="[^"]*")?>(.*?)</h\1>', heading, body, flags=re.S), toc

def fix_anchors(body: str, here: str, ids: dict) -> str:
    """A link to a name the target page documents no heading for (a method defined inside its class, a private
    helper) goes to its class's heading (`medmoe.from_config` -> `medmoe`), else to the page"""
    def href(m):
        url = html.unescape(m.group(1))
        path, _, frag = url.partition('#')
        page = path or here
        if not frag or re.match(r'\w+:', path) or page not in ids or frag in ids[page]: return m.group(0)
        while '.' in frag and frag not in ids[page]: frag = frag.rsplit('.', 1)[0]
        return f'href="{html.escape(path + ("#" + frag if frag in ids[page] else "") or here)}"'
    return re.sub(r'href="([^"]*)"', href, body)

def check(out: Path) -> dict:
    "Pages, figures, `#|` directives left in the code cells shown and local links that point nowhere"
    pages = {p.name: p.read_text() for p in out.glob('*.html')}
    ids = {n: set(re.findall(r'id="([^"]+)"', t)) for n, t in pages.items()}
    broken = []
    for n, t in pages.items():
        for url in re.findall(r'href="([^"]*)"', t):
            url = html.unescape(url)
            if re.match(r'\w+:', url) or url.endswith('.css'): continue
            path, _, frag = url.partition('#')
            target = path or n
            if target not in pages or (frag and frag not in ids[target]): broken.append(f'{n} -> {url}')
    code = re.findall(r'<div class="highlight code"><pre>(.*?)</pre>', ' '.join(pages.values()), flags=re.S)
    text = '\n'.join(html.unescape(re.sub(r'<[^>]+>', '', c)) for c in code)  # the code cells as shown
    figures = sum(t.count('<img') + t.count('<div class="figure">') for t in pages.values())
    return dict(pages=len(pages), figures=figures,
                directives=len(re.findall(r'(?m)^\s*#\|', text)), broken=broken)

def build(out: Path, only: list | None = None) -> dict:
    cfg = get_config()
    nbs, root = cfg.nbs_path, cfg.config_path
    site = dict(title=cfg.get('title', cfg.lib_name), description=cfg.get('description', ''))
    site_url = cfg.get('doc_host', '').rstrip('/') + cfg.get('doc_baseurl', '')
    groups = sidebar_entries(nbs)
    nb_paths = [p for _, ps in groups for p in ps]
    names = {p.name: page_name(p) for p in nb_paths}
    if only is None and out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out/'site.css').write_text(CSS)
    (out/'pygments.css').write_text(HtmlFormatter().get_style_defs('.highlight'))
    titles, bodies = {}, {}
    for p in nb_paths:
        if only and p.stem not in only: continue
        t0 = time.time()
        for f in out.glob(f'figs/{Path(names[p.name]).stem}-*'): f.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            nb = process(p)
        fm = getattr(nb, 'frontmatter_', {}) or {}
        pg = Page(nb, names[p.name], out)
        body, toc = fix_headings(fix_links(pg.render(), names, site_url))
        for src in re.findall(r'<img[^>]*src="([^"]+)"', body):  # images a markdown cell links from nbs/
            if not re.match(r'\w+:|figs/', src) and (nbs/src).exists():
                (out/src).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(nbs/src, out/src)
        titles[p.name] = fm.get('title', p.stem)
        bodies[p.name] = (fm.get('title', p.stem), fm.get('description', ''), body, toc)
        print(f'{p.relative_to(root)} -> {out.name}/{names[p.name]}: {pg.n_figs} figures, {time.time() - t0:.0f} s',
              flush=True)
    for p in nb_paths:  # sidebar titles need every notebook's title, also those not rebuilt
        if p.name not in titles: titles[p.name] = process_title(p)
    ids = {names[n]: set(re.findall(r'id="([^"]+)"', b[2])) for n, b in bodies.items()}
    for f in out.glob('*.html'):  # pages not rebuilt this time (--only)
        if f.name not in ids: ids[f.name] = set(re.findall(r'id="([^"]+)"', f.read_text()))
    for name, (title, desc, body, toc) in bodies.items():
        body = fix_anchors(body, names[name], ids)
        side = []
        for section, ps in groups:
            if section: side.append(f'<div class="sec">{html.escape(section)}</div>')
            for p in ps:
                here = ' class="here"' if p.name == name else ''
                side.append(f'<a href="{names[p.name]}"{here}>{inline_code(titles[p.name])}</a>')
        (out/names[name]).write_text(page_html(title, desc, body, ''.join(side), toc, site))
    res = check(out)
    res['failures'] = tolerant_exec_show_docs.failures
    return res

def process_title(p: Path) -> str:
    "A notebook's title from its first `# heading` (cheap: no execution)"
    js = _read_json(p, encoding='utf-8')
    for c in js['cells']:
        m = re.match(r'#\s+(.+)', ''.join(c['source'])) if c['cell_type'] == 'markdown' else None
        if m: return m.group(1).strip()
    return p.stem

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=None, help='output folder (default: doc_path of settings.ini, i.e. _docs)')
    ap.add_argument('--only', nargs='*', help='rebuild only these notebooks (stems), e.g. 05_moe index')
    a = ap.parse_args()
    cfg = get_config()
    out = Path(a.out) if a.out else cfg.config_path/cfg.get('doc_path', '_docs')
    t0 = time.time()
    r = build(out, a.only)
    for f in r['failures']: print(f'  note: a cell run for show_doc failed and kept its stored output: {f}')
    for b in r['broken'][:20]: print(f'  broken link: {b}')
    print(f"docs: {r['pages']} pages, {r['figures']} figures, {r['directives']} '#|' directives shown, "
          f"{len(r['broken'])} broken links -> {out} ({time.time() - t0:.0f} s)")
    if r['directives'] or r['broken']: sys.exit(1)
