"""The code's layout stays as the README describes it: each area (blueprint) is one place,
areas depend on each other one way only, and files stay small. Read from the source with
`ast`, without importing the app."""
import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints"
NOT_APP = {"tests", "bench", "migrations", "node_modules", "instance"}  # top-level folders, not the app
PY_MAX, JS_MAX = 300, 250
# An area's own modules that no other area may import: its pages, their forms, its JSON API.
VIEW_MODULES = {"routes", "forms", "api"}


def app_files(suffix: str) -> list[Path]:
    """The app's files ending in `suffix`, outside tests, bench, migrations and hidden
    folders (.venv is never walked)."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders
                         if not name.startswith(".") and not (Path(folder) == ROOT and name in NOT_APP)]
        found.extend(Path(folder) / name for name in files if name.endswith(suffix))
    return sorted(found)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file, as dotted names (`from a import b`
    counts as both `a` and `a.b`, since b may be a module)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def area_of(module: str) -> str | None:
    """`chat` for `blueprints.chat.services`; None outside the blueprints."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "blueprints" else None


def area_imports() -> dict[str, dict[str, set[str]]]:
    """area -> {other area it imports -> the importing files (relative paths)}."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(BLUEPRINTS.glob("*/**/*.py")):
        area = path.relative_to(BLUEPRINTS).parts[0]
        edges = graph.setdefault(area, {})
        for module in imported_modules(path):
            other = area_of(module)
            if other and other != area:
                edges.setdefault(other, set()).add(str(path.relative_to(ROOT)))
    return graph


def find_cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    """One cycle of areas (["a", "b", "a"]) if the import graph has any, else None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once explored

    def visit(area: str, path: list[str]) -> list[str] | None:
        state[area] = "open"
        for other in sorted(graph.get(area, {})):
            if state.get(other) == "open":
                return path[path.index(other):] + [other]
            if other not in state and (cycle := visit(other, path + [other])):
                return cycle
        state[area] = "done"
        return None

    for area in sorted(graph):
        if area not in state and (cycle := visit(area, [area])):
            return cycle
    return None


def test_the_checks_see_the_blueprints():
    # Guards the checks below against passing vacuously (a moved folder, a broken glob).
    graph = area_imports()
    assert {"chat", "attachments", "favorites", "groups"} <= set(graph)
    assert "chat" in graph["attachments"], "attachments stores its message through chat"
    assert find_cycle({"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": set()}, "b": {}}) is None


def test_no_area_imports_another_areas_pages_forms_or_api():
    offences = []
    for path in sorted(BLUEPRINTS.glob("*/**/*.py")):
        area = path.relative_to(BLUEPRINTS).parts[0]
        views = {".".join(parts[:3]) for parts in (module.split(".") for module in imported_modules(path))
                 if area_of(".".join(parts)) not in (None, area) and len(parts) > 2 and parts[2] in VIEW_MODULES}
        offences.extend(f"{path.relative_to(ROOT)} imports {module}" for module in sorted(views))
    assert not offences, "an area may use another's services, never its views:\n" + "\n".join(offences)


def test_areas_do_not_import_each_other_in_a_cycle():
    graph = area_imports()
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} -> {b} in {', '.join(sorted(graph[a][b]))}" for a, b in zip(cycle, cycle[1:])]
        raise AssertionError("areas import each other in a cycle:\n" + "\n".join(steps))


def test_no_python_file_of_the_app_is_over_300_lines():
    long = [f"{path.relative_to(ROOT)}: {n} lines" for path in app_files(".py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > PY_MAX]
    assert not long, f"split these Python files (at most {PY_MAX} lines):\n" + "\n".join(long)


def test_no_javascript_file_is_over_250_lines():
    long = [f"{path.relative_to(ROOT)}: {n} lines" for path in sorted((ROOT / "static" / "js").rglob("*.js"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > JS_MAX]
    assert not long, f"split these JavaScript files (at most {JS_MAX} lines):\n" + "\n".join(long)
