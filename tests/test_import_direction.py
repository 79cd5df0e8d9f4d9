"""The apps' imports point one way (issue 15): core ← applications ← loans ← review, subsidy, compensation ← programs
← reports, the bank API and the site's pages, and no import cycle among them.

Every `import` in the project's modules (at module level or inside a function, migrations, demo loaders and tests
aside) is checked against the layers below: a module imports its own app and lower layers only, and the apps of
one layer do not import each other. The kinds' packages (`programs/`) wire the apps together through the
registry; the shared apps ask `kedaitong.programs` and never import a kind's package.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "kedaitong": 0,
    "applications": 1,
    "loans": 2,
    "review": 3,
    "subsidy": 3,
    "compensation": 3,
    "programs": 4,
    "reports": 5,
    # The bank API (issue 21): another door onto the same services and selectors, at the top like the pages.
    "api": 5,
}
# The site: the home page, the URL map and the demo loader read every app (the top of the stack); so do the
# administration site's spreadsheet imports, which read every list with the bank importer's reader.
SITE = (
    "kedaitong/views.py",
    "kedaitong/urls.py",
    "kedaitong/demo.py",
    "kedaitong/management/",
    "kedaitong/reference_io.py",
)
# Known and named: loan registration reads the LPR table, which the subsidy app keeps (四(一) reads it most);
# bank records an audited subsidy run was computed from are frozen (subsidy.guards), on the form and the upload.
ALLOWED = {("loans/services.py", "subsidy"), ("loans/importer/kinds.py", "subsidy")}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
    return found & set(LAYERS)


def modules() -> list[tuple[str, str]]:
    rows = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.endswith("/demo.py"):
                continue
            rows.append((app, relative))
    return rows


def test_every_import_points_down():
    wrong = []
    for app, relative in modules():
        if relative.startswith(SITE):
            continue
        for target in imports(ROOT / relative) - {app}:
            if (relative, target) in ALLOWED:
                continue
            if LAYERS[target] >= LAYERS[app]:
                wrong.append(f"{relative} imports {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_shared_apps_never_import_a_kinds_package():
    wrong = [
        relative
        for app, relative in modules()
        if app != "programs"
        and not relative.startswith(SITE)
        and "programs" in imports(ROOT / relative)
    ]
    assert not wrong, wrong


def test_no_import_cycle_among_the_apps():
    graph: dict[str, set[str]] = {app: set() for app in LAYERS}
    for app, relative in modules():
        if relative.startswith(SITE):
            continue
        for target in imports(ROOT / relative) - {app}:
            if (relative, target) not in ALLOWED:
                graph[app].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in graph[start]
        )

    cycles = [app for app in graph if reaches(app, app, {app})]
    assert not cycles, cycles
