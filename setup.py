"""Build hook: put the bundled notebooks into the wheel as ``buyerlab/notebooks``.

The notebooks live in ``notebooks/`` at the top of the checkout (where analysts open them);
``buyerlab report`` and ``buyerlab dashboard`` need them in an installed package too.
Everything else is configured in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


class BuildWithNotebooks(build_py):
    """build_py that also copies notebooks/*.ipynb into the built package."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "buyerlab" / "notebooks"
        self.mkpath(str(target))
        for path in sorted(NOTEBOOKS.glob("*.ipynb")) + [NOTEBOOKS / "README.md"]:
            if path.is_file():
                self.copy_file(str(path), str(target / path.name))


setup(cmdclass={"build_py": BuildWithNotebooks})
