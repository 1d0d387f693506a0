"""Replay Read the Docs' build of this site here, from .readthedocs.yaml, in a fresh virtualenv.

    nox -s rtd            (or: python tools/rtd_replay.py [--worktree] [--language ko] ...)

Runs the steps Read the Docs runs, in its order and with its commands: the checkout (a commit,
``HEAD`` unless told otherwise), the apt packages (checked, not installed), a new virtualenv with
the pinned Python, the config's ``build.jobs``, Read the Docs' own installs, ``python.install``,
and ``python -m sphinx -T -W --keep-going -b html -d _build/doctrees -D language=<lang> .
$READTHEDOCS_OUTPUT/html`` run from the folder of ``conf.py``, with the ``READTHEDOCS*``
variables set. It reports each step's wall time and the peak memory of its process tree, the
virtualenv's size and the site's size against Read the Docs' limits, and fails on any Sphinx
warning or any limit exceeded.

What this machine cannot do it says loudly: a package index it cannot reach (PyTorch's CPU
index) is dropped from that one command, so pip takes the same pins from this machine's
configured index instead, and the sizes that substitution changes are reported both ways.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from peak import tree_rss_kib

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ".readthedocs.yaml"
GB = 1000**3
MB = 1000**2


@dataclass(frozen=True)
class Limits:
    """Read the Docs' build limits (community site, as this project's docs page gives them)."""

    seconds: float = 15 * 60
    memory_bytes: int = 7 * GB
    disk_bytes: int = 5 * GB


RTD_LIMITS = Limits()

# Read the Docs' build jobs in the order it runs them. For the pre-defined ones it runs its own
# commands (system_dependencies, create_environment, install, build) unless the config gives
# its own; the others run only the config's commands.
JOB_ORDER = (
    "post_checkout",
    "pre_system_dependencies",
    "system_dependencies",
    "post_system_dependencies",
    "pre_create_environment",
    "create_environment",
    "post_create_environment",
    "pre_install",
    "install",
    "post_install",
    "pre_build",
    "build",
    "post_build",
)
# A program that shows an apt package works, beyond dpkg saying it is installed.
APT_PROGRAMS = {"graphviz": ("dot", "-V")}
# Distributions only a CUDA build of torch pulls in; PyTorch's CPU wheels need none of them.
CUDA_ONLY = re.compile(r"^(nvidia-.*|triton|cuda-.*)$")
INDEX_OPTION = re.compile(
    r"""\s(--index-url|--extra-index-url|-i)(?:=|\s+)(['"]?)(\S+?)\2(?=\s|$)"""
)


class ConfigError(Exception):
    """.readthedocs.yaml asks for something Read the Docs (or this replay) does not do."""


@dataclass(frozen=True)
class PythonInstall:
    """One entry of ``python.install``: a requirements file, or a package path with extras."""

    requirements: str | None = None
    path: str | None = None
    method: str = "pip"
    extra_requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class RtdConfig:
    """The parts of a v2 config file that decide a Sphinx build."""

    os: str
    python: str
    apt_packages: tuple[str, ...]
    jobs: dict[str, tuple[str, ...]]
    installs: tuple[PythonInstall, ...]
    sphinx_configuration: str
    fail_on_warning: bool
    builder: str = "html"


def parse_config(text: str) -> RtdConfig:
    """Read a .readthedocs.yaml, rejecting what Read the Docs would reject or we cannot replay."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError("the config file is not a mapping")
    if data.get("version") != 2:
        raise ConfigError(f"version must be 2, not {data.get('version')!r}")
    known = {"version", "build", "python", "sphinx", "formats", "submodules", "search"}
    if unknown := sorted(set(data) - known):
        raise ConfigError(f"keys this replay does not know: {', '.join(unknown)}")

    build = _mapping(data, "build")
    if "commands" in build:
        raise ConfigError("build.commands replaces every pre-defined job; not replayed here")
    tools = _mapping(build, "tools", where="build.")
    if "os" not in build or "python" not in tools:
        raise ConfigError("build.os and build.tools.python are required")
    jobs: dict[str, tuple[str, ...]] = {}
    for name, commands in _mapping(build, "jobs", where="build.").items():
        if name not in JOB_ORDER or name == "system_dependencies":
            raise ConfigError(f"build.jobs.{name} is not a job the config can set")
        if name == "build":
            if not isinstance(commands, dict) or set(commands) - {"html"}:
                raise ConfigError("build.jobs.build: only an html list is replayed")
            commands = commands.get("html", [])
        if not isinstance(commands, list) or not all(isinstance(c, str) for c in commands):
            raise ConfigError(f"build.jobs.{name} must be a list of strings")
        jobs[name] = tuple(commands)

    installs = []
    for entry in _mapping(data, "python").get("install", []):
        if "requirements" in entry:
            installs.append(PythonInstall(requirements=str(entry["requirements"])))
        elif "path" in entry:
            method = entry.get("method", "pip")
            if method != "pip":
                raise ConfigError(f"python.install method {method!r}: only pip is replayed")
            extras = tuple(str(extra) for extra in entry.get("extra_requirements", []))
            installs.append(PythonInstall(path=str(entry["path"]), extra_requirements=extras))
        else:
            raise ConfigError(f"python.install entry without requirements or path: {entry!r}")

    sphinx = _mapping(data, "sphinx")
    if "configuration" not in sphinx:
        raise ConfigError("sphinx.configuration is required")
    return RtdConfig(
        os=str(build["os"]),
        python=str(tools["python"]),
        apt_packages=tuple(str(package) for package in build.get("apt_packages", [])),
        jobs=jobs,
        installs=tuple(installs),
        sphinx_configuration=str(sphinx["configuration"]),
        fail_on_warning=bool(sphinx.get("fail_on_warning", False)),
        builder=str(sphinx.get("builder", "html")),
    )


def _mapping(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}{key} must be a mapping")
    return value


@dataclass(frozen=True)
class Step:
    """One command of the build: a user job (a shell line) or one of Read the Docs' own."""

    job: str
    command: str | tuple[str, ...]
    cwd: Path
    venv_on_path: bool = True

    @property
    def shown(self) -> str:
        """The command as a log shows it (a program by its name, not its path)."""
        if isinstance(self.command, str):
            return self.command
        return " ".join((Path(self.command[0]).name, *self.command[1:]))


@dataclass(frozen=True)
class Layout:
    """Where the replay puts the checkout, the virtualenv and the output (as Read the Docs)."""

    workdir: Path

    @property
    def checkout(self) -> Path:
        return self.workdir / "checkout"

    @property
    def venv(self) -> Path:
        return self.workdir / "envs" / "latest"

    @property
    def output(self) -> Path:
        return self.checkout / "_readthedocs"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def short(self, command: str) -> str:
        """``command`` as the console shows it: the venv's programs by name, $READTHEDOCS_OUTPUT."""
        command = command.replace(f"{self.venv}/bin/", "")
        return command.replace(str(self.output), "$READTHEDOCS_OUTPUT")


def plan(config: RtdConfig, layout: Layout, interpreter: str, language: str) -> list[Step]:
    """Every command Read the Docs would run for ``config``, in order."""
    checkout, python = layout.checkout, str(layout.venv / "bin" / "python")
    defaults: dict[str, list[Step]] = {
        "create_environment": [
            Step(
                "create_environment",
                (interpreter, "-mvirtualenv", str(layout.venv)),
                layout.workdir,
                venv_on_path=False,
            )
        ],
        "install": _default_installs(config, python, checkout),
        "build": [_sphinx_build(config, python, checkout, layout.output, language)],
    }
    steps: list[Step] = []
    if config.apt_packages:
        apt = ("apt-get", "install", "-y", "--no-install-recommends", *config.apt_packages)
        defaults["system_dependencies"] = [Step("system_dependencies", apt, checkout)]
    for job in JOB_ORDER:
        if job in config.jobs:
            venv_on_path = job != "post_checkout"
            steps += [Step(job, line, checkout, venv_on_path) for line in config.jobs[job]]
        else:
            steps += defaults.get(job, [])
    return steps


def _default_installs(config: RtdConfig, python: str, checkout: Path) -> list[Step]:
    pip = (python, "-m", "pip", "install")
    steps = [
        Step("install", (*pip, "--upgrade", "--no-cache-dir", "pip", "setuptools"), checkout),
        Step("install", (*pip, "--upgrade", "--no-cache-dir", "sphinx"), checkout),
    ]
    for entry in config.installs:
        if entry.requirements is not None:
            argv = (*pip, "--exists-action=w", "--no-cache-dir", "-r", entry.requirements)
        else:
            path = entry.path if entry.path == "." else f"./{entry.path}"
            extras = f"[{','.join(entry.extra_requirements)}]" if entry.extra_requirements else ""
            strategy = ("--upgrade", "--upgrade-strategy", "only-if-needed", "--no-cache-dir")
            argv = (*pip, *strategy, f"{path}{extras}")
        steps.append(Step("install", argv, checkout))
    return steps


def _sphinx_build(
    config: RtdConfig, python: str, checkout: Path, output: Path, language: str
) -> Step:
    argv = [python, "-m", "sphinx", "-T"]
    if config.fail_on_warning:
        argv += ["-W", "--keep-going"]
    argv += ["-b", config.builder, "-d", "_build/doctrees", "-D", f"language={language}"]
    argv += [".", str(output / "html")]
    conf_dir = (checkout / config.sphinx_configuration).parent
    return Step("build", tuple(argv), conf_dir)


def rtd_environment(
    layout: Layout, language: str, commit: str, base: dict[str, str]
) -> dict[str, str]:
    """The variables Read the Docs sets for every command, over this machine's environment."""
    env = {key: value for key, value in base.items() if key != "VIRTUAL_ENV"}
    env.update(
        READTHEDOCS="True",
        READTHEDOCS_PROJECT="sphinx-archviz",
        READTHEDOCS_LANGUAGE=language,
        READTHEDOCS_VERSION="latest",
        READTHEDOCS_VERSION_NAME="latest",
        READTHEDOCS_VERSION_TYPE="branch",
        READTHEDOCS_VIRTUALENV_PATH=str(layout.venv),
        READTHEDOCS_OUTPUT=str(layout.output),
        READTHEDOCS_REPOSITORY_PATH=str(layout.checkout),
        READTHEDOCS_CANONICAL_URL=f"https://sphinx-archviz.readthedocs.io/{language}/latest/",
        READTHEDOCS_GIT_IDENTIFIER="main",
        READTHEDOCS_GIT_COMMIT_HASH=commit,
    )
    return env


@dataclass(frozen=True)
class Substitution:
    job: str
    configured: str
    ran: str
    unreachable: tuple[str, ...]


def drop_unreachable_indexes(
    command: str, reachable: Callable[[str], bool]
) -> tuple[str, tuple[str, ...]]:
    """``command`` without the package-index options whose URL cannot be reached here."""
    if not re.search(r"\bpip\b.*\binstall\b", command):
        return command, ()
    dropped = []
    for match in INDEX_OPTION.finditer(f" {command}"):
        if not reachable(match.group(3)):
            dropped.append(match.group(3))
    if not dropped:
        return command, ()

    def keep(match: re.Match[str]) -> str:
        return "" if match.group(3) in dropped else match.group(0)

    return INDEX_OPTION.sub(keep, f" {command}").strip(), tuple(dropped)


def url_reachable(url: str, timeout: float = 10.0) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts; a failed lookup does not)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout)
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


@dataclass
class StepResult:
    step: Step
    seconds: float
    peak_rss: int
    returncode: int
    log: Path
    ran: str


@dataclass
class Report:
    results: list[StepResult] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class TreeMemory(threading.Thread):
    """Samples the summed resident memory of a process and all its descendants, in the
    background while the step's output is streamed (benchmarks/peak.py reads /proc)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, tree_rss_kib(self.pid) * 1024)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def run_step(step: Step, env: dict[str, str], log: Path, ran: str, echo: bool) -> StepResult:
    """Run one command, its output to ``log`` (and the console when ``echo``), timed."""
    if step.venv_on_path:
        env = {**env, "PATH": f"{env['READTHEDOCS_VIRTUALENV_PATH']}/bin:{env['PATH']}"}
    argv: Sequence[str] = ("/bin/sh", "-c", ran) if isinstance(step.command, str) else step.command
    started = time.perf_counter()
    with log.open("w") as out:
        out.write(f"$ {ran}\n")
        out.flush()
        process = subprocess.Popen(
            argv, cwd=step.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        sampler = TreeMemory(process.pid)
        sampler.start()
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            if echo:
                sys.stdout.write(f"    {line}")
        returncode = process.wait()
        peak = sampler.stop()
    return StepResult(step, time.perf_counter() - started, peak, returncode, log, ran)


def checkout(root: Path, target: Path, ref: str | None) -> str:
    """Lay out the files Read the Docs would clone: commit ``ref``, or the work tree if None."""
    target.mkdir(parents=True)
    if ref is not None:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", ref],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        return _git(root, "rev-parse", ref)
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = root / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return _git(root, "rev-parse", "HEAD") + " + work tree"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def check_apt(packages: Sequence[str]) -> list[str]:
    """Problems with the apt packages (Read the Docs installs them; here they must be present)."""
    problems = []
    for package in packages:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status} ${Version}", package],
            capture_output=True,
            text=True,
        )
        if status.returncode != 0 or not status.stdout.startswith("install ok installed"):
            problems.append(f"apt package {package} is not installed (apt-get install {package})")
            continue
        print(f"  {package} {status.stdout.split()[-1]}: installed")
        if program := APT_PROGRAMS.get(package):
            if shutil.which(program[0]) is None:
                problems.append(f"{package} is installed but {program[0]} is not on PATH")
            else:
                shown = subprocess.run(program, capture_output=True, text=True)
                print(f"  {(shown.stderr or shown.stdout).strip()}")
    return problems


def disk_usage(path: Path) -> int:
    """Bytes on disk under ``path``, each hard-linked file counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            stat = Path(folder, name).lstat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


SIZES_BY_DISTRIBUTION = """
import json, os
from importlib import metadata
sizes = {}
for dist in metadata.distributions():
    total = 0
    for file in dist.files or []:
        try:
            total += os.lstat(file.locate()).st_blocks * 512
        except OSError:
            pass
    sizes[dist.metadata["Name"].lower().replace("_", "-")] = total
print(json.dumps(sizes))
"""
TORCH_BUILD = (
    "import torch, torchvision; "
    "print(torch.__version__, torchvision.__version__, torch.version.cuda)"
)


def replay(args: argparse.Namespace) -> int:
    layout = Layout(args.workdir.resolve())
    if layout.workdir.exists():
        if any(layout.workdir.iterdir()) and not layout.logs.is_dir():
            print(f"{layout.workdir} is not empty and not an earlier replay's: not deleting it")
            return 2
        shutil.rmtree(layout.workdir)
    layout.logs.mkdir(parents=True)
    started = time.perf_counter()
    commit = checkout(ROOT, layout.checkout, None if args.worktree else args.ref)
    print(f"[checkout] {commit} into {layout.checkout}")
    try:
        config = parse_config((layout.checkout / CONFIG_FILE).read_text())
    except (OSError, ConfigError, yaml.YAMLError) as error:
        print(f"{CONFIG_FILE}: {error}", file=sys.stderr)
        return 2
    interpreter = shutil.which(f"python{config.python}")
    if interpreter is None:
        print(f"build.tools.python is {config.python}, but python{config.python} is not on PATH")
        return 2

    report = Report()
    version = subprocess.run([interpreter, "--version"], capture_output=True, text=True)
    print(f"  build.os {config.os}: this machine runs {_os_name()} (no container)")
    print(f"  build.tools.python {config.python}: {version.stdout.strip()} ({interpreter})")
    print(f"  dashboard language (passed as -D language=): {args.language}")

    env = rtd_environment(layout, args.language, commit, dict(os.environ))
    steps = plan(config, layout, interpreter, args.language)

    for index, step in enumerate(steps):
        if step.job == "system_dependencies":
            print(f"\n[system_dependencies] Read the Docs runs: {step.shown}; here checked:")
            if problems := check_apt(config.apt_packages):
                report.failures += problems
                break
            continue
        ran = step.shown
        if isinstance(step.command, str):
            ran, dropped = drop_unreachable_indexes(step.command, url_reachable)
            if dropped:
                substitution = Substitution(step.job, step.command, ran, dropped)
                report.substitutions.append(substitution)
                _shout(substitution)
        print(f"\n[{step.job}] {layout.short(ran)}")
        log = layout.logs / f"{index:02d}-{step.job}.log"
        echo = args.verbose or step.job == "build"
        result = run_step(step, env, log, ran, echo)
        report.results.append(result)
        peak = result.peak_rss / GB
        print(f"  {result.seconds:.1f} s, peak {peak:.2f} GB, exit {result.returncode}")
        if result.returncode != 0:
            shown = layout.short(ran)
            report.failures.append(f"{step.job}: `{shown}` exited {result.returncode} (log: {log})")
            if not echo:
                print("".join(log.read_text().splitlines(keepends=True)[-40:]))
            break
    total = time.perf_counter() - started

    summary = _measure(layout, report, total, args.keep_venv)
    (layout.workdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _print_summary(report, summary, layout)
    return 1 if report.failures else 0


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return sys.platform


def _shout(substitution: Substitution) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n! SUBSTITUTED in {substitution.job}: this machine cannot reach")
    for url in substitution.unreachable:
        print(f"!   {url}")
    print("! so this command runs without that index, and pip takes the same pins from this")
    print("! machine's configured package index instead. Read the Docs runs:")
    print(f"!   {substitution.configured}")
    print(f"! here runs:\n!   {substitution.ran}\n{bar}")


def _measure(layout: Layout, report: Report, total: float, keep_venv: bool) -> dict[str, Any]:
    build = [result for result in report.results if result.step.job == "build"]
    installs = [r for r in report.results if r.step.job != "build"]
    summary: dict[str, Any] = {
        "steps": [
            {
                "job": r.step.job,
                "command": layout.short(r.ran),
                "seconds": round(r.seconds, 1),
                "peak_rss_bytes": r.peak_rss,
                "exit": r.returncode,
            }
            for r in report.results
        ],
        "substitutions": [vars(s) for s in report.substitutions],
        "total_seconds": round(total, 1),
        "install_seconds": round(sum(r.seconds for r in installs), 1),
        "build_seconds": round(sum(r.seconds for r in build), 1),
        "peak_rss_bytes": max((r.peak_rss for r in report.results), default=0),
        "build_peak_rss_bytes": max((r.peak_rss for r in build), default=0),
        "largest_process_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }
    python = layout.venv / "bin" / "python"
    if python.exists():
        summary["venv_bytes"] = disk_usage(layout.venv)
        sizes = json.loads(_venv_output(python, SIZES_BY_DISTRIBUTION) or "{}")
        cuda = {name: size for name, size in sizes.items() if CUDA_ONLY.match(name)}
        summary["cuda_only_bytes"] = sum(cuda.values())
        largest = sorted(sizes.items(), key=lambda item: item[1], reverse=True)[:6]
        summary["largest_distributions"] = dict(largest)
        summary["torch"] = _venv_output(python, TORCH_BUILD)
    html = layout.output / "html"
    if html.exists():
        summary["site_bytes"] = disk_usage(html)
    _check_limits(report, summary)
    if python.exists() and not keep_venv:
        shutil.rmtree(layout.venv)
    return summary


def _venv_output(python: Path, code: str) -> str:
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _check_limits(report: Report, summary: dict[str, Any]) -> None:
    limits, substituted = RTD_LIMITS, bool(report.substitutions)
    if summary["total_seconds"] > limits.seconds:
        report.failures.append(
            f"build took {summary['total_seconds']:.0f} s > {limits.seconds:.0f} s"
        )
    if summary["peak_rss_bytes"] > limits.memory_bytes:
        peak, limit = summary["peak_rss_bytes"] / GB, limits.memory_bytes / GB
        report.failures.append(f"peak memory {peak:.2f} GB > {limit:.0f} GB")
    venv = summary.get("venv_bytes", 0)
    if substituted:
        # Read the Docs' CPU torch brings none of the CUDA-only packages; torch's own CUDA
        # build still counts in full, so this estimate is on the high side.
        venv -= summary.get("cuda_only_bytes", 0)
    summary["venv_bytes_as_on_rtd"] = venv
    if venv > limits.disk_bytes:
        report.failures.append(f"virtualenv {venv / GB:.2f} GB > {limits.disk_bytes / GB:.0f} GB")
    torch = summary.get("torch", "")
    if torch and not substituted and not torch.endswith("None"):
        report.failures.append(f"torch is a CUDA build ({torch}): the CPU index step did not hold")
    build_log = next((r.log for r in report.results if r.step.job == "build"), None)
    if build_log is not None:
        lines = build_log.read_text().splitlines()
        warnings = [line for line in lines if re.search(r"(^|: )WARNING: ", line)]
        summary["sphinx_warnings"] = warnings
        if warnings:
            report.failures.append(f"{len(warnings)} Sphinx warning(s): see {build_log}")


def _print_summary(report: Report, summary: dict[str, Any], layout: Layout) -> None:
    print("\n" + "=" * 78)
    print(f"{'step':<26}{'seconds':>9}{'peak RSS':>12}  command")
    for result in report.results:
        print(
            f"{result.step.job:<26}{result.seconds:>9.1f}{result.peak_rss / GB:>9.2f} GB  "
            f"{layout.short(result.ran)[:66]}"
        )
    limits = RTD_LIMITS
    print(f"\ninstall (all steps before build): {summary['install_seconds']:.0f} s")
    print(f"build (sphinx):                   {summary['build_seconds']:.0f} s")
    print(f"total: {summary['total_seconds']:.0f} s of {limits.seconds:.0f} s")
    print(
        f"peak memory of a step's process tree: {summary['peak_rss_bytes'] / GB:.2f} GB of "
        f"{limits.memory_bytes / GB:.0f} GB (build: {summary['build_peak_rss_bytes'] / GB:.2f} GB;"
        f" largest single process: {summary['largest_process_rss_bytes'] / GB:.2f} GB)"
    )
    if "venv_bytes" in summary:
        line = f"virtualenv: {summary['venv_bytes'] / GB:.2f} GB"
        if report.substitutions:
            line += (
                f", of which {summary['cuda_only_bytes'] / GB:.2f} GB CUDA-only packages the"
                f" substitution brought; as on Read the Docs at most "
                f"{summary['venv_bytes_as_on_rtd'] / GB:.2f} GB"
            )
        print(f"{line} (limit {limits.disk_bytes / GB:.0f} GB)")
        largest = ", ".join(
            f"{name} {size / GB:.2f}" for name, size in summary["largest_distributions"].items()
        )
        print(f"largest distributions (GB): {largest}")
        print(f"torch, torchvision, CUDA: {summary.get('torch') or 'not importable'}")
    if "site_bytes" in summary:
        print(f"site ($READTHEDOCS_OUTPUT/html): {summary['site_bytes'] / MB:.1f} MB")
    for substitution in report.substitutions:
        print(
            f"SUBSTITUTED ({substitution.job}): {', '.join(substitution.unreachable)} unreachable"
        )
    for failure in report.failures:
        print(f"FAILED: {failure}")
    print("OK: the config builds within Read the Docs' limits" if not report.failures else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sphinx-archviz-rtd-replay"))
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--ref", default="HEAD", help="commit to build, as Read the Docs does")
    source.add_argument("--worktree", action="store_true", help="build uncommitted files too")
    parser.add_argument("--language", default="ko", help="the project's dashboard language")
    parser.add_argument("--keep-venv", action="store_true", help="keep the ~GB virtualenv")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every step's output")
    parser.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    args = parser.parse_args(argv)
    if args.dry_run:
        config = parse_config((ROOT / CONFIG_FILE).read_text())
        layout = Layout(args.workdir.resolve())
        for step in plan(config, layout, f"python{config.python}", args.language):
            where = step.cwd.relative_to(layout.workdir)
            print(f"[{step.job}] (in {where}) {layout.short(step.shown)}")
        return 0
    return replay(args)


if __name__ == "__main__":
    sys.exit(main())
