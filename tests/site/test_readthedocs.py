""".readthedocs.yaml builds the site as the docs promise, and the replay reads it as RTD does."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _load_replay():
    spec = importlib.util.spec_from_file_location("rtd_replay", ROOT / "tools" / "rtd_replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rtd_replay"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


rtd_replay = _load_replay()
CONFIG = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())


def _jobs_before_install() -> list[str]:
    jobs = CONFIG["build"].get("jobs", {})
    order = ("post_create_environment", "pre_install")
    return [command for job in order for command in jobs.get(job, [])]


def test_config_is_version_2_on_a_pinned_ubuntu_and_python() -> None:
    assert CONFIG["version"] == 2
    assert CONFIG["build"]["os"] == "ubuntu-24.04"
    python = CONFIG["build"]["tools"]["python"]
    assert isinstance(python, str)  # 3.10 written unquoted would be read as 3.1
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"Programming Language :: Python :: {python}" in project["classifiers"]


def test_config_installs_graphviz_with_apt() -> None:
    assert "graphviz" in CONFIG["build"]["apt_packages"]


def test_config_installs_the_project_with_its_docs_extra() -> None:
    installs = CONFIG["python"]["install"]
    assert {"method": "pip", "path": ".", "extra_requirements": ["docs"]} in installs
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "docs" in extras


def test_config_takes_torch_and_torchvision_from_the_cpu_index_before_the_docs_extra() -> None:
    torch_lines = [line for line in _jobs_before_install() if re.search(r"\btorch\b", line)]
    assert len(torch_lines) == 1
    words = torch_lines[0].split()
    assert words[words.index("--index-url") + 1] == CPU_INDEX  # the only index: no CUDA builds
    assert {"torch", "torchvision"} <= set(words)


def test_config_pins_every_pip_install_to_constraints_txt() -> None:
    site_config = [line for line in _jobs_before_install() if "pip config --site" in line]
    assert site_config == [
        'python -m pip config --site set global.constraint "$PWD/constraints.txt"'
    ]
    constraints = (ROOT / "constraints.txt").read_text()
    # The CPU wheels (2.14.1+cpu) satisfy these pins, which are the pair that imports together.
    assert re.search(r"^torch==\d", constraints, re.MULTILINE)
    assert re.search(r"^torchvision==\d", constraints, re.MULTILINE)


def test_config_fails_on_warnings_and_names_the_existing_conf_py() -> None:
    sphinx = CONFIG["sphinx"]
    assert sphinx["fail_on_warning"] is True
    assert (ROOT / sphinx["configuration"]).is_file()


def test_replay_plans_rtd_steps_in_rtd_order(tmp_path: Path) -> None:
    config = rtd_replay.parse_config((ROOT / ".readthedocs.yaml").read_text())
    layout = rtd_replay.Layout(tmp_path)
    steps = rtd_replay.plan(config, layout, "python3.11", "ko")
    jobs = [step.job for step in steps]
    assert jobs == [
        "system_dependencies",
        "create_environment",
        "post_create_environment",
        "pre_install",
        "install",
        "install",
        "install",
        "build",
    ]
    python = str(layout.venv / "bin" / "python")
    assert steps[0].command[-1] == "graphviz"
    assert steps[1].command == ("python3.11", "-mvirtualenv", str(layout.venv))
    assert steps[-2].command == (
        *(python, "-m", "pip", "install", "--upgrade", "--upgrade-strategy", "only-if-needed"),
        *("--no-cache-dir", ".[docs]"),
    )
    build = steps[-1]
    assert build.cwd == layout.checkout / "docs"
    assert build.command == (
        *(python, "-m", "sphinx", "-T", "-W", "--keep-going", "-b", "html"),
        *("-d", "_build/doctrees", "-D", "language=ko", ".", str(layout.output / "html")),
    )


def test_replay_runs_user_jobs_as_shell_lines_with_the_venv_first_on_path(tmp_path: Path) -> None:
    config = rtd_replay.parse_config(
        "version: 2\n"
        "build:\n  os: ubuntu-24.04\n  tools: {python: '3.12'}\n"
        "  jobs:\n    post_checkout: [git fetch --unshallow]\n    pre_build: [echo $READTHEDOCS]\n"
        "python:\n  install:\n    - requirements: docs/requirements.txt\n"
        "sphinx: {configuration: conf.py, builder: dirhtml}\n"
    )
    steps = rtd_replay.plan(config, rtd_replay.Layout(tmp_path), "python3.12", "en")
    by_job = {step.job: step for step in steps}
    assert by_job["post_checkout"].command == "git fetch --unshallow"
    assert not by_job["post_checkout"].venv_on_path
    assert by_job["pre_build"].venv_on_path
    assert "system_dependencies" not in by_job  # no apt packages
    assert steps[-3].command[-4:] == (
        "--exists-action=w",
        "--no-cache-dir",
        "-r",
        "docs/requirements.txt",
    )
    build = by_job["build"].command
    assert "-W" not in build and build[build.index("-b") + 1] == "dirhtml"
    assert "language=en" in build and by_job["build"].cwd == tmp_path / "checkout"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\n", "version must be 2"),
        (
            "version: 2\nbuild: {os: ubuntu-24.04, tools: {}}\nsphinx: {configuration: c}\n",
            "required",
        ),
        (
            "version: 2\nbuild: {os: ubuntu-24.04, tools: {python: '3.11'}, commands: [make]}\n",
            "build.commands",
        ),
        (
            "version: 2\nbuild: {os: x, tools: {python: '3'}, jobs: {pre_biuld: [ls]}}\n"
            "sphinx: {configuration: c}\n",
            "pre_biuld",
        ),
        ("version: 2\nbuild: {os: x, tools: {python: '3'}}\nmkdocs: {}\n", "mkdocs"),
        (
            "version: 2\nbuild: {os: x, tools: {python: '3'}, jobs: {system_dependencies: [ls]}}\n"
            "sphinx: {configuration: c}\n",
            "system_dependencies",
        ),
    ],
)
def test_replay_rejects_configs_it_cannot_replay(text: str, message: str) -> None:
    with pytest.raises(rtd_replay.ConfigError, match=message):
        rtd_replay.parse_config(text)


def test_replay_drops_only_unreachable_indexes_from_pip_installs() -> None:
    command = f"python -m pip install --no-deps --index-url {CPU_INDEX} torch torchvision"

    def nothing_reachable(url: str) -> bool:
        return False

    assert rtd_replay.drop_unreachable_indexes(command, lambda url: True) == (command, ())
    assert rtd_replay.drop_unreachable_indexes(command, nothing_reachable) == (
        "python -m pip install --no-deps torch torchvision",
        (CPU_INDEX,),
    )
    quoted = f"pip install -i '{CPU_INDEX}' --extra-index-url=https://pypi.org/simple torch"
    assert rtd_replay.drop_unreachable_indexes(quoted, lambda url: "pypi" in url) == (
        "pip install --extra-index-url=https://pypi.org/simple torch",
        (CPU_INDEX,),
    )
    echo = f"echo --index-url {CPU_INDEX}"
    assert rtd_replay.drop_unreachable_indexes(echo, nothing_reachable) == (echo, ())


def test_replay_sets_the_variables_rtd_sets(tmp_path: Path) -> None:
    layout = rtd_replay.Layout(tmp_path)
    base = {"PATH": "/usr/bin", "VIRTUAL_ENV": "/elsewhere"}
    env = rtd_replay.rtd_environment(layout, "ko", "abc123", base)
    assert env["READTHEDOCS"] == "True"
    assert env["READTHEDOCS_LANGUAGE"] == "ko"
    assert env["READTHEDOCS_OUTPUT"] == str(tmp_path / "checkout" / "_readthedocs")
    assert env["READTHEDOCS_VIRTUALENV_PATH"] == str(tmp_path / "envs" / "latest")
    assert env["READTHEDOCS_CANONICAL_URL"].endswith("/ko/latest/")
    assert "VIRTUAL_ENV" not in env  # Read the Docs does not activate the environment
