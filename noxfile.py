"""Development sessions: ``nox`` runs the tests; ``nox -s docs`` builds the site.

torch, torchvision and TensorFlow make a ~7 GB environment. The ``tests``, ``docs`` and
``docs-live`` sessions share one, kept in nox's cache folder (under ``--envdir``) and updated
only when the project's requirements or ``constraints.txt`` change. ``tests-fast`` runs the
tests that need no framework and no browser in a light environment of its own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tomllib
from pathlib import Path

import nox

# Older nox cannot read this file (Debian 12's nox 2022.11 fails on ``default=``); with this
# line it says which version it needs instead. .ci/run installs the same minimum.
nox.needs_version = ">=2025.2"
nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / "constraints.txt"
PYTHON = "3.11"
DOCS_OUT = ROOT / "docs" / "_build" / "html"


def framework_env(session: nox.Session) -> Path:
    """The ``bin`` folder of the shared environment, installed or updated as needed."""
    venv = session.cache_dir / f"frameworks-py{PYTHON}"
    bin_dir = venv / "bin"
    if not (bin_dir / "python").exists():
        interpreter = shutil.which(f"python{PYTHON}") or sys.executable
        session.run(interpreter, "-m", "venv", str(venv), external=True)
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet"]
    if not _installed(venv):
        session.run(*pip, "-c", str(CONSTRAINTS), "hatchling", "editables", external=True)
        session.run(
            *pip,
            "-c",
            str(CONSTRAINTS),
            "--no-build-isolation",
            "-e",
            ".[docs,test]",
            external=True,
        )
        _mark_installed(venv)
    elif not _editable_here(venv):
        session.run(*pip, "--no-deps", "--no-build-isolation", "-e", ".", external=True)
    return bin_dir


def _installed(venv: Path) -> bool:
    """Whether ``venv`` holds the project's current requirements (pyproject, constraints)."""
    stamp = venv / "archviz-requirements.sha256"
    return stamp.exists() and stamp.read_text() == _requirements_digest()


def _mark_installed(venv: Path) -> None:
    (venv / "archviz-requirements.sha256").write_text(_requirements_digest())


def _editable_here(venv: Path) -> bool:
    """Whether ``venv``'s sphinx-archviz is this clone's code (an environment can be shared)."""
    records = venv.glob("lib/python*/site-packages/sphinx_archviz-*.dist-info/direct_url.json")
    return any(json.loads(record.read_text())["url"] == ROOT.as_uri() for record in records)


def _requirements_digest() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [project["dependencies"], project["optional-dependencies"]]
    payload = json.dumps(requirements, sort_keys=True).encode() + CONSTRAINTS.read_bytes()
    return hashlib.sha256(payload).hexdigest()


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Run the test suite (real torch, TensorFlow and Graphviz)."""
    bin_dir = framework_env(session)
    session.run(str(bin_dir / "pytest"), *session.posargs, external=True)


#: The tests that start no framework worker and no browser: tests-fast runs them.
FAST_TIER = "not framework and not browser and not slow"


@nox.session(name="tests-fast", python=PYTHON, default=False)
def tests_fast(session: nox.Session) -> None:
    """The fast tier in a light environment (Sphinx, no torch or TensorFlow): pure code and
    builds that start no framework worker; conftest.py fails a test that imports a framework."""
    venv = Path(session.virtualenv.location)
    if not _installed(venv):
        session.install("-c", str(CONSTRAINTS), "hatchling", "editables")
        session.install("-c", str(CONSTRAINTS), "--no-build-isolation", "-e", ".[test-fast]")
        _mark_installed(venv)
    elif not _editable_here(venv):
        session.install("--no-deps", "--no-build-isolation", "-e", ".")
    session.run("pytest", "-m", FAST_TIER, *session.posargs)


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    """Build the documentation site into docs/_build/html, failing on any warning."""
    bin_dir = framework_env(session)
    session.run(
        str(bin_dir / "sphinx-build"),
        "-W",
        "--keep-going",
        "-n",
        "-b",
        "html",
        "docs",
        str(DOCS_OUT),
        *session.posargs,
        external=True,
    )


@nox.session(name="docs-live", venv_backend="none", default=False)
def docs_live(session: nox.Session) -> None:
    """Serve the site and rebuild it on every change (sphinx-autobuild); the framework
    processes stay warm between rebuilds, so a saved model is drawn again in about a second."""
    bin_dir = framework_env(session)
    session.run(
        str(bin_dir / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "sphinx-autobuild",
        external=True,
    )
    session.run(
        str(bin_dir / "sphinx-autobuild"),
        "docs",
        str(DOCS_OUT),
        "--watch",
        "sphinx_archviz",
        "-D",
        "archviz_warm_workers=1",
        *session.posargs,
        external=True,
    )


@nox.session(venv_backend="none", default=False)
def bench(session: nox.Session) -> None:
    """Time archviz against the raw library calls; writes benchmarks/results/latest.md."""
    bin_dir = framework_env(session)
    session.run(str(bin_dir / "python"), "benchmarks/bench.py", *session.posargs, external=True)


@nox.session(venv_backend="none", default=False)
def zoo(session: nox.Session) -> None:
    """Draw every torchvision and keras.applications classifier (benchmarks/results/zoo.md)."""
    bin_dir = framework_env(session)
    session.run(str(bin_dir / "python"), "benchmarks/zoo.py", *session.posargs, external=True)


@nox.session(name="hf-zoo", venv_backend="none", default=False)
def hf_zoo(session: nox.Session) -> None:
    """Draw every transformers architecture from its default config (results/hf-zoo.md)."""
    bin_dir = framework_env(session)
    session.run(str(bin_dir / "python"), "benchmarks/hf_zoo.py", *session.posargs, external=True)


@nox.session(python=PYTHON, default=False)
def rtd(session: nox.Session) -> None:
    """Replay Read the Docs' build (.readthedocs.yaml) in a fresh virtualenv, against its limits."""
    session.install("-c", str(CONSTRAINTS), "pyyaml", "virtualenv")
    workdir = session.cache_dir / "rtd-replay"
    session.run("python", "tools/rtd_replay.py", "--workdir", str(workdir), *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff for Python; Prettier and ESLint (from package-lock.json) for sphinx_archviz/static/
    and js/; the committed Graphviz for the browser was built from js/graphviz-wasm/ as it is."""
    session.install("-c", str(CONSTRAINTS), "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    installed = ROOT / "node_modules" / ".package-lock.json"
    lockfile = ROOT / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lockfile.stat().st_mtime:
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.run("npm", "run", "--silent", "lint", external=True)
    built_from = _graphviz_wasm_inputs()
    if f"inputs sha256 {built_from})" not in GRAPHVIZ_WASM.read_text(encoding="utf-8")[:200]:
        session.error(
            f"{GRAPHVIZ_WASM} was not built from js/graphviz-wasm/ as it is: "
            "run `nox -s graphviz-wasm` and commit"
        )


GRAPHVIZ_WASM = ROOT / "sphinx_archviz" / "static" / "archviz-graphviz.js"


def _graphviz_wasm_inputs() -> str:
    """The digest js/graphviz-wasm/package.mjs writes in the script: every file of the folder,
    by name."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "js" / "graphviz-wasm").iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@nox.session(name="graphviz-wasm", venv_backend="none", default=False)
def graphviz_wasm(session: nox.Session) -> None:
    """Rebuild sphinx_archviz/static/archviz-graphviz.js: Graphviz's dot and SVG output compiled
    to WebAssembly from Debian's sources with Debian's emscripten (js/graphviz-wasm/build.sh;
    Debian 12, as root, a few minutes)."""
    session.run("bash", "js/graphviz-wasm/build.sh", external=True)
