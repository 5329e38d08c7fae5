"""Dependencies: the site runs on requirements.txt alone, and the test tools (pytest,
Playwright, schemathesis, ...) live in requirements-test.txt, which only `make test`,
`make test-fast` and `make bench` install. Read from the files and `make -n`, without
installing anything."""
import ast
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Never run by `make run`: the tests and the benchmark (which `make bench` sets up with the tests).
NOT_RUNTIME = {"tests", "bench", "node_modules", "instance"}


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): `Flask_Login` -> `flask-login`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of `path`, without comments, options (-c, -r) and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def pins(path: Path) -> dict[str, str]:
    """{canonical name: version} of a pinned file; every line must be `name==version`."""
    found = {}
    for line in requirement_lines(path):
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        found[canonical(match.group(1))] = match.group(2)
    return found


def direct_names(path: Path) -> set[str]:
    """The canonical names a `.in` file asks for (`psycopg[binary]` -> `psycopg`)."""
    return {canonical(re.match(r"[A-Za-z0-9._-]+", line).group(0)) for line in requirement_lines(path)}


def runtime_files() -> list[Path]:
    """Every Python file `make run` may execute: the app, its migrations, gunicorn.conf.py."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")
                         and not (Path(folder) == ROOT and name in NOT_RUNTIME)]
        found.extend(Path(folder) / name for name in files if name.endswith(".py"))
    return sorted(found)


def imported_top_level(path: Path) -> set[str]:
    """The top-level names of every absolute import in `path`, anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def make_dry_run(target: str, tmp_path: Path) -> str:
    """The commands `make <target>` would run for a fresh virtualenv (nothing is run)."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "-n", "-C", str(ROOT), target, f"VENV={tmp_path / 'venv'}"],
                            capture_output=True, text=True, check=True)
    return result.stdout


def test_the_site_installs_none_of_the_test_tools():
    runtime = pins(ROOT / "requirements.txt")
    test_tools = direct_names(ROOT / "requirements-test.in")
    assert {"pytest", "playwright", "schemathesis", "aiosmtpd"} <= test_tools
    assert not test_tools & runtime.keys(), "test tools pinned in requirements.txt"
    assert not {"hypothesis", "pluggy"} & runtime.keys()  # nor what they bring along


def test_the_test_pins_agree_with_the_sites_pins():
    runtime, test = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-test.txt")
    differ = {name: (runtime[name], test[name]) for name in runtime.keys() & test.keys()
              if runtime[name] != test[name]}
    assert not differ, f"pinned differently in requirements.txt and requirements-test.txt: {differ}"


def test_every_direct_requirement_is_pinned():
    assert direct_names(ROOT / "requirements.in") <= pins(ROOT / "requirements.txt").keys()
    assert direct_names(ROOT / "requirements-test.in") <= pins(ROOT / "requirements-test.txt").keys()


def test_the_site_imports_only_what_requirements_txt_installs():
    local = {path.stem for path in ROOT.glob("*.py")} | {path.name for path in ROOT.iterdir() if path.is_dir()}
    installed = packages_distributions()
    runtime = pins(ROOT / "requirements.txt").keys()
    missing = []
    for path in runtime_files():
        for name in imported_top_level(path) - set(sys.stdlib_module_names) - local:
            if not {canonical(dist) for dist in installed.get(name, [])} & runtime:
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, "imported but not pinned in requirements.txt:\n" + "\n".join(sorted(missing))


def test_make_run_installs_only_requirements_txt(tmp_path):
    commands = make_dry_run("run", tmp_path)
    assert "-r requirements.txt" in commands
    assert "requirements-test" not in commands


@pytest.mark.parametrize("target", ["test", "test-fast", "bench"])
def test_make_test_and_bench_install_the_test_tools_too(tmp_path, target):
    commands = make_dry_run(target, tmp_path)
    assert "-r requirements.txt -r requirements-test.txt" in commands


def test_make_test_installs_axe_core_from_the_lock_and_make_run_does_not(tmp_path):
    lock = (ROOT / "package-lock.json").read_text()
    assert '"node_modules/axe-core"' in lock and '"integrity"' in lock
    assert re.search(r'"axe-core": "\d+\.\d+\.\d+"', (ROOT / "package.json").read_text()), "axe-core is not pinned"
    assert "npm" not in make_dry_run("run", tmp_path)  # skips without make
    # -W: as if the lock had just changed, so that make shows its npm step.
    result = subprocess.run(["make", "-n", "-C", str(ROOT), "-W", "package-lock.json", "test",
                             f"VENV={tmp_path / 'venv'}"], capture_output=True, text=True, check=True)
    assert "npm ci" in result.stdout
