"""Layers point down: a module of xinfang/ imports only modules of its own layer or of the layers below
it, and the plain-Python cores import no Django and nothing of the project outside their own core.

Every import is read from the source with ``ast``: at module level and inside functions and
classes alike, since an import inside a function is as much a dependency as one at the top of the
file. Nothing is imported to run these checks.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = "xinfang"
ROOT = Path(__file__).resolve().parent.parent / PROJECT

# The layers, bottom up. A module belongs to the entry that names the longest part of its dotted
# name. The case kernel (xinfang.cases: the abstract case, the one write engine, scoping, the
# sweeper) knows no case type; petitions is the petition matter on it (models, what each transition
# does, scoping, lists), while its staff pages sit with the feature apps. Feature apps may import
# one another; nothing below them may import any of them.
LAYERS = [
    ("core", ["xinfang.core"]),
    ("org", ["xinfang.org"]),
    ("deadlines", ["xinfang.deadlines"]),
    ("audit", ["xinfang.audit"]),
    ("cases", ["xinfang.cases"]),
    ("petitions", ["xinfang.petitions"]),
    (
        "features",
        [
            "xinfang.petitions.views",
            "xinfang.petitions.screening_views",
            "xinfang.petitions.urls",
            "xinfang.intelligence",
            "xinfang.assist",
            "xinfang.supervision",
            "xinfang.analytics",
            "xinfang.documents",
            "xinfang.portal",
            "xinfang.api",
            "xinfang.ledger",
            "xinfang.administration",
            "xinfang.grid",
            "xinfang.disputes",
            "xinfang.hazards",
            "xinfang.assessments",
        ],
    ),
    ("demo", ["xinfang.demo"]),
    # The project's wiring: settings, the root URL configuration, the WSGI and console entry points.
    ("site", ["xinfang", "xinfang.settings", "xinfang.urls", "xinfang.wsgi", "xinfang.__main__"]),
]

# Plain-Python cores: each group may import its own modules and no other module of the project,
# and no Django (directly or through the project).
PLAIN_CORES = [
    ["xinfang.deadlines.engine", "xinfang.deadlines.policies"],
    ["xinfang.deadlines.schedule_text"],
    ["xinfang.intelligence"],
    ["xinfang.supervision.scorecard"],
    ["xinfang.documents.gongwen"],
    [  # spreadsheets: reading, writing, the 台账 columns and cell values
        "xinfang.core.tables",
        "xinfang.core.xlsx",
        "xinfang.core.workbook",
        "xinfang.core.xlsx_tables",
        "xinfang.core.sheets",
        "xinfang.ledger.values",
        "xinfang.ledger.columns",
    ],
    ["xinfang.analytics.frame"],
    ["xinfang.core.words"],  # words of Chinese text for search
]

# Violations known and being removed, as (importing module, imported module), each with why it is
# still there. An entry that no longer matches a violation fails the test too: delete it when the
# import is gone. Empty: the last ones (the write path calling assist and supervision) are gone.
ALLOWED = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    """(dotted name, path) of every Python module of the project."""
    return sorted((module_name(p), p) for p in ROOT.rglob("*.py"))


def imports(name: str, path: Path):
    """(line, imported dotted name) of every import in the module, wherever it stands.

    ``from a.b import c`` yields ``a.b.c``: c may be a module or a name defined in a.b, and the
    layer table is matched by prefix, so either way it lands in the layer of what is imported.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: one level is the package itself, each further one its parent
                parts = package.split(".")
                module = ".".join(
                    parts[: len(parts) - node.level + 1] + ([node.module] if node.module else [])
                )
            else:
                module = node.module
            for alias in node.names:
                yield node.lineno, module if alias.name == "*" else f"{module}.{alias.name}"


def covers(prefix: str, name: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(name: str):
    """(rank, layer name) of the table entry with the longest prefix of ``name``, or None. The
    project package itself names only its own ``__init__``, so that an app missing from the table
    has no layer rather than the top one."""
    owners = [
        (len(prefix), rank, layer)
        for rank, (layer, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if name == prefix or (prefix != PROJECT and covers(prefix, name))
    ]
    if not owners:
        return None
    _, rank, layer = max(owners)
    return rank, layer


def upward_imports():
    """(importer, imported, where) of every import of a higher layer by a lower one."""
    found = []
    for name, path in modules():
        below = layer_of(name)
        if below is None:  # reported by test_every_module_has_a_layer
            continue
        for line, target in imports(name, path):
            above = layer_of(target) if covers(PROJECT, target) else None
            if above is not None and above[0] > below[0]:
                where = f"{path.relative_to(ROOT.parent)}:{line} ({below[1]}) imports {target} ({above[1]})"
                found.append((name, target, where))
    return found


def allowed(name, target, entries=ALLOWED):
    return any(importer == name and covers(imported, target) for importer, imported in entries)


def stale(entries, found):
    """The allow-list entries that cover none of the upward imports ``found``."""
    return sorted(
        entry for entry in entries if not any(allowed(name, target, {entry}) for name, target, _ in found)
    )


def test_every_module_has_a_layer():
    unplaced = sorted({name for name, _ in modules() if layer_of(name) is None})
    assert unplaced == [], f"add these to LAYERS in {Path(__file__).name}"


def test_no_layer_imports_a_higher_one():
    new = [where for name, target, where in upward_imports() if not allowed(name, target)]
    assert new == [], "lower layers import higher ones:\n" + "\n".join(new)


def test_the_allow_list_holds_only_live_violations():
    gone = stale(ALLOWED, upward_imports())
    assert gone == [], f"these imports are gone: remove them from ALLOWED in {Path(__file__).name}"


def test_an_allow_list_entry_covers_what_it_names_and_goes_stale_without_it():
    found = [("xinfang.petitions.services", "xinfang.assist.tasks.escalate", "services.py:9")]
    entries = {
        ("xinfang.petitions.services", "xinfang.assist.tasks"),
        ("xinfang.petitions.services", "xinfang.supervision.services"),
    }
    assert allowed("xinfang.petitions.services", "xinfang.assist.tasks.escalate", entries)
    assert not allowed("xinfang.petitions.models", "xinfang.assist.tasks.escalate", entries)
    assert stale(entries, found) == [("xinfang.petitions.services", "xinfang.supervision.services")]


def plain_core_of(name):
    for group in PLAIN_CORES:
        if any(covers(prefix, name) for prefix in group):
            return group
    return None


def test_plain_cores_import_no_django_and_nothing_outside_their_core():
    wrong = []
    for name, path in modules():
        group = plain_core_of(name)
        if group is None:
            continue
        for line, target in imports(name, path):
            outside = covers(PROJECT, target) and not any(covers(prefix, target) for prefix in group)
            if covers("django", target) or outside:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    assert wrong == []


def test_plain_cores_load_without_django():
    """What the source check cannot see: a third-party package, or a package __init__ on the way,
    that loads Django. The cores are imported in a fresh interpreter that has never seen Django."""
    names = [name for name, _ in modules() if plain_core_of(name)]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from xinfang.assist import tasks", "xinfang.assist.tasks"),
        ("import xinfang.demo.content", "xinfang.demo.content"),
        ("from . import suggest", "xinfang.petitions.suggest"),
        ("from ..assist.views import x", "xinfang.assist.views.x"),
        ("def f():\n    from xinfang.supervision import services", "xinfang.supervision.services"),
        ("class A:\n    def f(self):\n        import xinfang.api", "xinfang.api"),
    ],
)
def test_imports_are_found_at_any_depth_and_resolved(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert [target for _, target in imports("xinfang.petitions.module", path)] == [expected]


def test_the_kernel_sits_below_petitions_and_the_staff_pages_with_the_features():
    assert (
        layer_of("xinfang.cases.engine")
        < layer_of("xinfang.petitions.services")
        < layer_of("xinfang.assist.tasks")
    )
    assert layer_of("xinfang.petitions.views") == layer_of("xinfang.assist.views")
    assert layer_of("xinfang.core.tables") < layer_of("xinfang.org.models") < layer_of("xinfang.audit.api")
