"""Measure archviz against the raw library calls, in one run on one machine.

    nox -s bench            (or: python benchmarks/bench.py [--output FILE])

Prints, and writes as Markdown (default benchmarks/results/latest.md, which the docs'
performance page includes), the time and peak memory (whole process tree) of:

a. the seed's three scripts run the plain way, one process each;
b. a cold Sphinx build of a site with those three diagrams;
c. a rebuild with nothing changed, next to a plain Sphinx site's no-change rebuild;
d. a rebuild after editing the models file;
e. a build whose one diagram is a 6.7-billion-parameter decoder;
f. -j 1 against -j 2 on a site with eight diagrams;
g. the capture of each seed model against the raw torchviz / model_to_dot call, in one process;
h. docs-live: after a save of models.py, when the CNN and Wide ResNet pages' new diagrams are
   written, counted from the start of the rebuild, with the framework processes kept warm
   (archviz_warm_workers) and without;

and (b) and (f) again with the workers of before (one process per framework and reader that
imports the framework and captures one diagram after another; what macOS still uses), so the
process model's gain and its memory are measured side by side. The machine's load average is
printed at the start and the end: on a shared machine the times move with it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from peak import measure

from sphinx_archviz import warm

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "benchmarks" / "seed"
MODELS = ROOT / "tests" / "models"
DOCS_MODELS = ROOT / "docs" / "models.py"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}

SEED_PAGES = {
    "cnn.md": "# CNN\n\n```{archviz} models:CNNModel\n:input-shape: 1, 1, 64, 64\n```\n",
    "wide_resnet.md": "# Wide ResNet50-2\n\n```{archviz} torchvision.models:wide_resnet50_2\n"
    ":input-shape: 1, 3, 224, 224\n```\n",
    "keras_cnn.md": "# Keras\n\n```{archviz} models:get_model\n:input-shape: 1, 110, 110, 3\n```\n",
}
EIGHT_MODELS = [
    "resnet50",
    "wide_resnet50_2",
    "efficientnet_b0",
    "convnext_tiny",
    "mobilenet_v3_large",
    "regnet_y_1_6gf",
    "vit_b_16",
    "swin_t",
]


#: The docs-live site: the CNN and a Wide ResNet, both from the models file that is saved.
LIVE_PAGES = {
    "cnn.md": SEED_PAGES["cnn.md"],
    "wide_resnet.md": "# Wide ResNet50-2\n\n```{archviz} models:wide_resnet50_2\n"
    ":input-shape: 1, 3, 224, 224\n```\n",
}
LIVE_MODELS = """

def wide_resnet50_2(num_classes=1000):
    import torchvision

    return torchvision.models.wide_resnet50_2(num_classes=num_classes)
"""
#: A build with the workers of before: no framework process forks.
WORKERS_OF_BEFORE = (
    "import sys; from sphinx_archviz import warm; warm.forking_is_possible = lambda: False; "
    "from sphinx.cmd.build import main; sys.exit(main(sys.argv[1:]))"
)
DIAGRAM_KEY = re.compile(r'data-archviz="(archviz-[0-9a-f]+)"')


@dataclass
class Run:
    seconds: float
    peak_mib: float

    def __str__(self) -> str:
        return f"{self.seconds:6.2f} s  {self.peak_mib:6.0f} MiB"


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    seconds, peak, code = measure_quietly(command, cwd, env or ENV)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(command)}")
    return Run(seconds, peak)


def measure_quietly(command: list[str], cwd: Path | None, env: dict[str, str]):
    # peak.measure inherits stdout; run it in this process with output silenced.
    with Path(os.devnull).open("w") as devnull:
        saved_out, saved_err = os.dup(1), os.dup(2)
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        old_cwd, old_env = Path.cwd(), dict(os.environ)
        try:
            if cwd:
                os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            return measure(command)
        finally:
            os.chdir(old_cwd)
            os.environ.clear()
            os.environ.update(old_env)
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)


def make_site(folder: Path, pages: dict[str, str], archviz: bool = True) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(DOCS_MODELS, folder / "models.py")
    extensions = ["sphinx_archviz", "myst_parser"] if archviz else ["myst_parser"]
    (folder / "conf.py").write_text(
        f"extensions = {extensions!r}\nmyst_enable_extensions = ['colon_fence']\n"
        f"archviz_sys_path = ['.', {str(MODELS)!r}]\n"
    )
    toctree = "\n".join(Path(name).stem for name in pages)
    (folder / "index.md").write_text(f"# Site\n\n```{{toctree}}\n{toctree}\n```\n")
    for name, text in pages.items():
        (folder / name).write_text(text)
    return folder


def sphinx(site: Path, *args: str, forking: bool = True) -> Run:
    start = ["-m", "sphinx"] if forking else ["-c", WORKERS_OF_BEFORE]
    return run([sys.executable, *start, "-q", "-b", "html", *args, str(site), str(site / "_build")])


def docs_live(work: Path, kept: bool) -> tuple[Run, dict[str, float]]:
    """A rebuild after a save of models.py that changes both diagrams, as sphinx-autobuild
    runs it; seconds from its start until each page's new diagram is written."""
    site = make_site(work / f"live-{'kept' if kept else 'cold'}", LIVE_PAGES)
    models = site / "models.py"
    models.write_text(models.read_text() + LIVE_MODELS)
    settings = ("-D", "archviz_warm_workers=1") if kept else ()
    sphinx(site, *settings)
    models.write_text(
        models.read_text()
        .replace("nn.Linear(2046, 4)", "nn.Linear(2046, 5)")
        .replace("num_classes=1000", "num_classes=10")
    )
    started = time.time()
    rebuild = sphinx(site, *settings)
    written = {page: diagram_written(site, page) - started for page in ("cnn", "wide_resnet")}
    folder = site / "_build" / ".doctrees" / "archviz-warm"
    for framework in ("torch", "keras"):
        warm.FrameworkProcess(framework, folder, warm.WarmSettings(folder, keep=True)).stop()
    return rebuild, written


def diagram_written(site: Path, page: str) -> float:
    [key] = DIAGRAM_KEY.findall((site / "_build" / f"{page}.html").read_text(encoding="utf-8"))
    return (site / "_build" / "_images" / f"{key}.svg").stat().st_mtime


def load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def seed_scripts(work: Path) -> dict[str, Run]:
    models_dir = make_site(work / "seed-models", {})
    env = {**ENV, "PYTHONPATH": str(models_dir)}
    return {
        script: run([sys.executable, str(SEED / script)], cwd=work, env=env)
        for script in ("wide_resnet50_2.py", "cnn_model.py", "plot_model_keras.py")
    }


CAPTURE_VS_RAW = textwrap.dedent(
    """
    import json, sys, time
    sys.path[:0] = [sys.argv[1]]
    from sphinx_archviz.capture import capture
    from sphinx_archviz.request import CaptureRequest, ExampleInput
    framework = sys.argv[2]
    if framework == "torch":
        import torch, torchvision
        from torchviz import make_dot
        import models
        def raw_cnn():
            model = models.CNNModel(); y = model(torch.randn(1, 1, 64, 64))
            return make_dot(y, params=dict(model.named_parameters())).source
        def raw_wrn():
            model = torchvision.models.wide_resnet50_2(weights=None)
            y = model(torch.randn(1, 3, 224, 224))
            return make_dot(y, params=dict(model.named_parameters())).source
        cases = [("CNNModel", raw_cnn, "models:CNNModel", (1, 1, 64, 64)),
                 ("wide_resnet50_2", raw_wrn, "torchvision.models:wide_resnet50_2",
                  (1, 3, 224, 224))]
    else:
        import tensorflow as tf, keras
        import models
        def raw_keras():
            model = models.get_model(); model(tf.random.normal([1, 110, 110, 3]))
            return keras.utils.model_to_dot(model, show_shapes=True,
                                            show_layer_names=True).to_string()
        cases = [("get_model", raw_keras, "models:get_model", (1, 110, 110, 3))]
    results = {}
    for name, raw, reference, shape in cases:
        request = CaptureRequest(reference=reference, framework=framework,
                                 inputs=(ExampleInput(shape),), search_paths=(sys.argv[1],),
                                 workdir=sys.argv[1])
        raw(); capture(request)  # warm up: first calls pay for lazy imports and kernels
        timings = {"raw": [], "archviz": []}
        for _ in range(5):
            started = time.perf_counter(); raw()
            timings["raw"].append(time.perf_counter() - started)
            started = time.perf_counter(); capture(request)
            timings["archviz"].append(time.perf_counter() - started)
        results[name] = {key: sorted(values)[2] for key, values in timings.items()}
    print(json.dumps(results))
    """
)


def capture_versus_raw(work: Path) -> dict[str, dict[str, float]]:
    models_dir = work / "seed-models"
    results = {}
    for framework in ("torch", "keras"):
        output = subprocess.run(
            [sys.executable, "-c", CAPTURE_VS_RAW, str(models_dir), framework],
            capture_output=True,
            text=True,
            check=True,
            env=ENV,
        ).stdout
        results.update(json.loads(output.strip().splitlines()[-1]))
    return results


def machine_description() -> str:
    cpu, memory = platform.machine(), ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB of memory"
    return f"{os.cpu_count()} cores ({cpu}){memory}, Linux, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/latest.md")
    args = parser.parse_args()
    lines: list[str] = []

    def report(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    load_before = load()
    with tempfile.TemporaryDirectory(prefix="archviz-bench-") as temporary:
        work = Path(temporary)
        seeds = seed_scripts(work)
        seed_total = sum(r.seconds for r in seeds.values())

        site = make_site(work / "site", SEED_PAGES)
        cold = sphinx(site)
        unchanged = sphinx(site)
        plain = make_site(
            work / "plain", {n: t.split("```")[0] for n, t in SEED_PAGES.items()}, archviz=False
        )
        sphinx(plain)
        plain_unchanged = sphinx(plain)
        models = site / "models.py"
        models.write_text(models.read_text() + "\n# edited\n")
        edited = sphinx(site)

        big = make_site(
            work / "big",
            {
                "decoder.md": "# 7B\n\n```{archviz} big_models:decoder_7b\n"
                ":input-shape: 1, 16\n:input-dtype: int64\n```\n"
            },
        )
        decoder = sphinx(big)

        eight = {
            f"m{i}.md": f"# {name}\n\n```{{archviz}} torchvision.models:{name}\n"
            ":input-shape: 1, 3, 224, 224\n```\n"
            for i, name in enumerate(EIGHT_MODELS)
        }
        serial = sphinx(make_site(work / "eight-j1", eight), "-j", "1")
        parallel = sphinx(make_site(work / "eight-j2", eight), "-j", "2")

        per_diagram = capture_versus_raw(work)

        live_kept, written_kept = docs_live(work, kept=True)
        live_cold, written_cold = docs_live(work, kept=False)

        cold_before = sphinx(make_site(work / "site-before", SEED_PAGES), forking=False)
        parallel_before = sphinx(make_site(work / "eight-before", eight), "-j", "2", forking=False)

    report(f"Measured {time.strftime('%Y-%m-%d')} on {machine_description()}.")
    report(f"Load average (1, 5, 15 min): {load_before} at the start, {load()} at the end.")
    report()
    report("| what | time | peak memory (process tree, PSS) | ratio | target |")
    report("|---|---|---|---|---|")
    for script, result in seeds.items():
        report(
            f"| (a) seed script `{script}` | {result.seconds:.2f} s | "
            f"{result.peak_mib:.0f} MiB | | |"
        )
    report(
        f"| (a) the three seed scripts | {seed_total:.2f} s | "
        f"{max(r.peak_mib for r in seeds.values()):.0f} MiB (largest) | 1.00 | |"
    )
    report(
        f"| (b) cold build, 3 diagrams | {cold.seconds:.2f} s | {cold.peak_mib:.0f} MiB | "
        f"{cold.seconds / seed_total:.2f} × (a) | ≤ 0.3 |"
    )
    report(
        f"| (b) the same, workers of before | {cold_before.seconds:.2f} s | "
        f"{cold_before.peak_mib:.0f} MiB | {cold_before.seconds / seed_total:.2f} × (a); memory "
        f"{cold.peak_mib / cold_before.peak_mib:.2f} × before | memory ≤ 1.5 × |"
    )
    report(
        f"| (c) no-change rebuild | {unchanged.seconds:.2f} s | {unchanged.peak_mib:.0f} MiB | "
        f"+{unchanged.seconds - plain_unchanged.seconds:.2f} s over plain Sphinx "
        f"({plain_unchanged.seconds:.2f} s) | ≤ +0.5 s |"
    )
    report(
        f"| (d) rebuild after editing models.py | {edited.seconds:.2f} s | "
        f"{edited.peak_mib:.0f} MiB | {edited.seconds / cold.seconds:.2f} × (b) | |"
    )
    report(
        f"| (e) 6.7B-parameter decoder | {decoder.seconds:.2f} s | {decoder.peak_mib:.0f} MiB "
        "| | ≤ 10 s, ≤ 1536 MiB |"
    )
    report(
        f"| (f) 8 diagrams, -j 1 | {serial.seconds:.2f} s | {serial.peak_mib:.0f} MiB | 1.00 | |"
    )
    report(
        f"| (f) 8 diagrams, -j 2 | {parallel.seconds:.2f} s | {parallel.peak_mib:.0f} MiB | "
        f"{parallel.seconds / serial.seconds:.2f} × -j 1 | ≤ 0.65 |"
    )
    report(
        f"| (f) 8 diagrams, -j 2, workers of before | {parallel_before.seconds:.2f} s | "
        f"{parallel_before.peak_mib:.0f} MiB | {parallel_before.seconds / serial.seconds:.2f} × "
        f"-j 1; memory {parallel.peak_mib / parallel_before.peak_mib:.2f} × before "
        "| memory ≤ 1.5 × |"
    )
    for name, timing in per_diagram.items():
        report(
            f"| (g) capture of `{name}` | {timing['archviz']:.3f} s | | "
            f"{timing['archviz'] / timing['raw']:.2f} × raw call ({timing['raw']:.3f} s) "
            "| ≤ 1.1 |"
        )
    for kept, rebuild, written in (
        (True, live_kept, written_kept),
        (False, live_cold, written_cold),
    ):
        how = "kept warm" if kept else "not kept (a fresh process per build)"
        report(
            f"| (h) docs-live rebuild after saving models.py, framework processes {how} "
            f"| {rebuild.seconds:.2f} s | {rebuild.peak_mib:.0f} MiB | new diagram written "
            f"{written['cnn']:.2f} s (CNN), {written['wide_resnet']:.2f} s (Wide ResNet) after "
            f"the rebuild started | {'≤ 1.0 s' if kept else ''} |"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
