"""Build hook: a wheel carries the seed pages, seed labels, taxonomy and default model as package data.

They live at the top of the checkout (seeds/, labels/, models/), where the project keeps them;
an installed package has no checkout, so the build copies them into ``classifier/_bundled/``
(see ``classifier/locations.py``). Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "classifier" / "_bundled"
        shutil.rmtree(target, ignore_errors=True)
        (target / "labels").mkdir(parents=True)
        for name in ("seed_labels.jsonl", "taxonomy.toml"):
            shutil.copy2(ROOT / "labels" / name, target / "labels" / name)
        shutil.copytree(ROOT / "seeds", target / "seeds")
        version = (ROOT / "models" / "default").read_text(encoding="utf-8").strip()
        shutil.copytree(ROOT / "models" / version, target / "models" / version)


setup(cmdclass={"build_py": BuildPyWithData})
