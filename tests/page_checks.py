"""What every page of the browser journeys is checked for: no serious or critical accessibility
violation found by axe-core (installed from npm into node_modules by scripts/setup.sh), and no
English word in the visible text outside the allow-list (codes, file names, units of size).

`watch(context)` loads axe-core into every page of a browser context; `check(page, name)` runs both
checks on the page as it is, saves a screenshot when XINFANG_SCREENSHOTS names a folder, and returns
the problems found, each naming the page. The browser's own words count too: a control the browser
draws in its own language (a bare file input, a date input) or a form it checks itself ("Please
fill out this field"); and on a phone, a page wider than the screen."""

import os
import re
from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}

# Words that are not English to a reader: file types, encodings and sizes, the names of the office
# programs the 台账 come from, and things that are codes.
ALLOWED_WORDS = {"PDF", "MB", "KB", "GB", "CSV", "UTF", "BOM", "GBK", "WPS", "IP"}
CODES = [
    re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b"),  # 查询码
    re.compile(
        r"[\w\u4e00-\u9fff（）()·-]*\.(?:pdf|png|jpe?g|docx|xlsx|xls|et|ods|csv)\b", re.I
    ),  # files, types
    re.compile(r"\b[A-Z]{1,4}-?\d[\w-]*\b"),  # numbers such as 督办单 DB-2026-001
]
WORD = re.compile(r"[A-Za-z]{2,}")

VISIBLE_TEXT = """() => [
    document.title,
    document.body.innerText,
    ...[...document.querySelectorAll('input[placeholder], textarea[placeholder]')].map(e => e.placeholder),
    ...[...document.querySelectorAll('input[type=submit], input[type=button]')].map(e => e.value),
].join('\\n')"""

BROWSER_DRAWN = """() => [
    ...[...document.querySelectorAll('input[type=file]')].filter(e => !e.closest('.file-control')).map(e => 'file ' + (e.id || e.name)),
    ...[...document.querySelectorAll('input[type=date], input[type=datetime-local], input[type=month], input[type=week], input[type=time]')].map(e => e.type + ' ' + (e.id || e.name)),
    ...[...document.forms].filter(f => !f.noValidate && f.querySelector('[required], [pattern], input[type=email], input[type=url]')).map(f => 'validated form ' + (f.getAttribute('action') || location.pathname)),
]"""

RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
    }));
}"""


def watch(context):
    """Load axe-core into every page the context opens (an init script, so that the pages' own
    content security policy, which allows only their own scripts, stays as it is)."""
    if not AXE.exists():
        raise AssertionError(f"缺少 {AXE}：请运行 scripts/setup.sh（npm ci 安装 axe-core）")
    context.add_init_script(path=str(AXE))
    return context


def english_words(text: str) -> list[str]:
    for code in CODES:
        text = code.sub(" ", text)
    return sorted(set(WORD.findall(text)) - ALLOWED_WORDS)


def axe_problems(page) -> list[str]:
    found = page.evaluate(RUN_AXE)
    return [f"{v['id']}（{v['impact']}）{v['help']}：{v['nodes']}" for v in found if v["impact"] in BLOCKING]


def check(page, name: str, allow=()) -> list[str]:
    """`allow`: words of the test's own data shown as they are (a user name without a full name)."""
    folder = os.environ.get("XINFANG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        size = page.viewport_size or {"width": 0}
        page.screenshot(path=str(Path(folder) / f"{name}-{size['width']}.png"), full_page=True)
    problems = [f"{name}: {p}" for p in axe_problems(page)]
    words = [w for w in english_words(page.evaluate(VISIBLE_TEXT)) if w not in allow]
    if words:
        problems.append(f"{name}: 页面上有英文 {words}")
    size = page.viewport_size or {"width": 10_000}
    if size["width"] <= 500 and page.evaluate("document.documentElement.scrollWidth") > size["width"] + 1:
        problems.append(f"{name}: 页面比手机屏幕宽，需要左右滚动整页")
    drawn = page.evaluate(BROWSER_DRAWN)
    if drawn:
        problems.append(f"{name}: 浏览器自绘的控件或校验（用浏览器的语言）{drawn}")
    return problems
