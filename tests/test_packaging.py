"""The project's own promises: two commands, CI runs the README's test command, deps agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            have.add(_name(dep))
    have -= {"python", "pip"}
    assert wanted - have == set(), f"in pyproject but not environment.yml: {sorted(wanted - have)}"
    assert have - wanted == set(), f"in environment.yml but not pyproject: {sorted(have - wanted)}"


def test_torch_is_pinned_exactly_so_pip_never_resolves_a_cuda_build():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = [d for d in deps if _name(d) == "torch"]
    assert torch == ["torch==2.13.0"]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, flags=re.S)
    commands = [b.strip() for b in blocks[:2]]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci
    assert "buyerlab run data/sample" in commands[0]


def test_wheel_carries_the_notebooks_and_report_finds_them_there(tmp_path):
    """A pip-installed buyerlab (no checkout) must still have the notebooks report and dashboard run."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("buyerlab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n for n in names if n.startswith("buyerlab/notebooks/") and n.endswith(".ipynb"))
    assert shipped == [f"buyerlab/notebooks/{p.name}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    assert "buyerlab/data/codebook.yaml" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # Run from the unpacked wheel alone: the checkout's notebooks/ must not be what is found.
    code = "from buyerlab.reporting import notebook_paths; print(notebook_paths()[0].parent)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, check=True).stdout.strip()
    assert Path(out) == site / "buyerlab" / "notebooks"
