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
g. the capture of each seed model against the raw torchviz / model_to_dot call, in one process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from peak import measure

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


def sphinx(site: Path, *args: str) -> Run:
    return run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", *args, str(site), str(site / "_build")]
    )


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

    report(f"Measured {time.strftime('%Y-%m-%d')} on {machine_description()}.")
    report()
    report("| what | time | peak RSS (process tree) | ratio | target |")
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
        f"{cold.seconds / seed_total:.2f} × (a) | ≤ 0.8 |"
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
    for name, timing in per_diagram.items():
        report(
            f"| (g) capture of `{name}` | {timing['archviz']:.3f} s | | "
            f"{timing['archviz'] / timing['raw']:.2f} × raw call ({timing['raw']:.3f} s) "
            "| ≤ 1.1 |"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
