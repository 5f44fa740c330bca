"""Every subpackage ships: the packages setuptools installs, read from pyproject.toml as
setuptools reads it (an explicit list or ``packages.find``), include every folder of
``cxmodels`` that holds Python code, found on disk, however deep.
"""

import warnings
from pathlib import Path

from setuptools.config.pyprojecttoml import apply_configuration
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cxmodels"


def _code_folders() -> set[Path]:
    """Folders under cxmodels (itself included) with at least one .py file."""
    return {p.parent for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def _shipped() -> tuple[list[str], dict[str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "[tool.setuptools] in pyproject.toml is still beta"
        dist = apply_configuration(Distribution(), ROOT / "pyproject.toml")
    return list(dist.packages or []), dict(dist.package_dir or {})


def test_every_code_folder_is_a_regular_package():
    # a folder of modules without __init__.py would be a namespace package: found by
    # neither an explicit list nor setuptools.find_packages, so silently not installed
    missing = sorted(str(d.relative_to(ROOT)) for d in _code_folders() if not (d / "__init__.py").is_file())
    assert not missing, f"folders with Python modules but no __init__.py: {missing}"


def test_every_subpackage_is_shipped():
    shipped, _ = _shipped()
    found = {".".join(d.relative_to(ROOT).parts) for d in _code_folders()}
    assert "cxmodels" in found and len(found) > 5  # the discovery itself works
    missing = sorted(found - set(shipped))
    assert not missing, f"packages pyproject.toml does not install (add them, or use packages.find): {missing}"


def test_every_shipped_package_exists():
    shipped, package_dir = _shipped()
    for name in shipped:
        folder = ROOT / package_dir[name] if name in package_dir else ROOT.joinpath(*name.split("."))
        assert folder.is_dir(), f"pyproject.toml installs {name}, but {folder} does not exist"
