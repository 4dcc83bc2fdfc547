"""The apps depend one way, livrables → projects | alertes → evaluations → sessions →
formations (alertes and projects are independent of each other): the
import-linter contract of pyproject.toml (run by `make test`) holds for the project, and it
would catch a lower app importing a higher one. The second part runs the same contract,
read from pyproject.toml, on a throwaway copy of the six apps in a temporary folder."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
LAYERS = ["livrables", "projects | alertes", "evaluations", "sessions", "formations"]
APPS = ["livrables", "projects", "alertes", "evaluations", "sessions", "formations"]


def lint_imports(folder: Path, config: Path) -> subprocess.CompletedProcess:
    assert LINT_IMPORTS, "import-linter is a dev dependency: pip install -e '.[dev]'"
    # The folder is the working directory, so its packages are the ones found: a
    # subprocess, since this one has already imported the real apps under the same names.
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(config), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )


def project_contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_contract_checks_the_six_apps_in_order():
    config = project_contract()
    (contract,) = config["contracts"]

    assert contract["type"] == "layers"
    assert contract["layers"] == LAYERS
    assert sorted(config["root_packages"]) == sorted(APPS)


def test_the_project_keeps_the_contract():
    result = lint_imports(ROOT, ROOT / "pyproject.toml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


@pytest.fixture
def apps_copy(tmp_path):
    """Six empty apps with one module each, and pyproject.toml's contract. Returns a
    function that adds a module to an app and runs lint-imports."""
    config = project_contract()
    (contract,) = config["contracts"]
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
        (tmp_path / app / "models.py").write_text("VALUE = 1\n")
    settings = tmp_path / "importlinter.toml"
    settings.write_text(
        "[tool.importlinter]\n"
        f"root_packages = {_toml_list(config['root_packages'])}\n\n"
        "[[tool.importlinter.contracts]]\n"
        f'name = "{contract["name"]}"\n'
        f'type = "{contract["type"]}"\n'
        f"layers = {_toml_list(contract['layers'])}\n"
    )

    def run(app: str, source: str) -> subprocess.CompletedProcess:
        (tmp_path / app / "added.py").write_text(source)
        return lint_imports(tmp_path, settings)

    return run


@pytest.mark.parametrize(
    ("app", "source"),
    [
        ("formations", "from sessions.models import VALUE\n"),
        ("sessions", "import evaluations.models\n"),
        # An import inside a function counts too (the usual way round a cycle).
        ("evaluations", "def later():\n    from livrables import models\n    return models\n"),
        ("formations", "from livrables.models import VALUE\n"),
        ("evaluations", "import projects.models\n"),
        ("projects", "from livrables.models import VALUE\n"),
        ("alertes", "import projects.models\n"),
        ("projects", "from alertes.models import VALUE\n"),
        ("formations", "import alertes.models\n"),
        ("alertes", "from livrables.models import VALUE\n"),
    ],
    ids=[
        "formations→sessions",
        "sessions→evaluations",
        "evaluations→livrables (lazy)",
        "formations→livrables",
        "evaluations→projects",
        "projects→livrables",
        "alertes→projects",
        "projects→alertes",
        "formations→alertes",
        "alertes→livrables",
    ],
)
def test_a_lower_app_importing_a_higher_one_breaks_the_contract(apps_copy, app, source):
    result = apps_copy(app, source)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    assert f"{app}.added" in result.stdout


def test_a_higher_app_importing_a_lower_one_keeps_it(apps_copy):
    result = apps_copy("livrables", "from formations.models import VALUE\nimport sessions.models\n")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
