"""Draw every architecture in transformers' MODEL_MAPPING from its default configuration, on the
meta device, in one build, and tabulate what each diagram cost.

    nox -s hf-zoo            (or: python benchmarks/hf_zoo.py [--sample N] [--only A,B] [-j N])

Each page is ``transformers:AutoModel`` with ``:config: {"model_type": ...}`` in the modules
view; nothing is downloaded. Writes benchmarks/results/hf-zoo.md (the docs' performance page
includes it). ``--sample N`` draws every N-th architecture only; ``--only bert,detr`` draws
the architectures named (model types, comma-separated) and writes its table to standard output
only, so that a few families can be measured again without touching the committed results.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from zoo import ENV, ROOT, Row, build, report, tabulate

LIST_ARCHITECTURES = (
    "import json; from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES; "
    "print(json.dumps(sorted(MODEL_MAPPING_NAMES)))"
)


def architectures(sample: int, only: str = "") -> list[str]:
    output = subprocess.run(
        [sys.executable, "-c", LIST_ARCHITECTURES],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout
    names: list[str] = json.loads(output.strip().splitlines()[-1])
    if only:
        # As the pages are named (sew_d) or as transformers spells them (sew-d).
        wanted = {as_page(name.strip()) for name in only.split(",") if name.strip()}
        unknown = wanted - {as_page(name) for name in names}
        if unknown:
            sys.exit(f"not in MODEL_MAPPING: {', '.join(sorted(unknown))}")
        names = [name for name in names if as_page(name) in wanted]
    return names[::sample]


def as_page(name: str) -> str:
    """A model type as the zoo's pages spell it: ``sew_d`` for ``sew-d``."""
    return name.replace("-", "_")


def make_zoo(srcdir: Path, names: list[str]) -> dict[str, str]:
    """Write the site; page name → reference."""
    srcdir.mkdir(parents=True)
    (srcdir / "conf.py").write_text("extensions = ['sphinx_archviz']\narchviz_timeout = 60\n")
    pages: dict[str, str] = {}
    for name in names:
        page = f"hf_{as_page(name)}"
        pages[page] = f"transformers:AutoModel ({name})"
        config = json.dumps({"model_type": name})
        (srcdir / f"{page}.rst").write_text(
            f"{name}\n{'=' * len(name)}\n\n.. archviz:: transformers:AutoModel\n"
            f"   :config: {config}\n   :view: modules\n"
        )
    toctree = "".join(f"   {page}\n" for page in pages)
    (srcdir / "index.rst").write_text(f"Zoo\n===\n\n.. toctree::\n   :maxdepth: 1\n\n{toctree}")
    return pages


#: The words of the warning for a model whose code needs a package that is not installed.
NOT_INSTALLED = "is not installed"
#: The words of the warning for a model whose configuration could not be built.
NOT_BUILT = "building the model from its configuration"
#: What transformers alone raises building each model type given (on the meta device, no
#: archviz code): {model type: error}; the ones it builds are left out.
BUILD_PLAINLY = """
import json, sys, torch, transformers
failed = {}
for name in sys.argv[1:]:
    try:
        config = transformers.AutoConfig.for_model(name)
        with torch.device("meta"):
            transformers.AutoModel.from_config(config)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""
#: The problem column of an architecture transformers itself cannot build.
UNBUILDABLE = "transformers cannot build this default config"


def mark_unbuildable(rows: list[Row]) -> None:
    """Say so where transformers itself cannot build the default configuration archviz could
    not build: the same ``from_config`` fails outside archviz."""
    names = {row.reference.partition("(")[2].rstrip(")"): row for row in rows}
    tried = [name for name, row in names.items() if NOT_BUILT in row.problem]
    if not tried:
        return
    output = subprocess.run(
        [sys.executable, "-c", BUILD_PLAINLY, *tried],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout
    for name, error in json.loads(output.strip().splitlines()[-1]).items():
        names[name].problem = f"{UNBUILDABLE} (plain from_config raises {error})"[:160]


def outcome(rows: list[Row]) -> str:
    """The share drawn with no warning, over all architectures and over those transformers
    can build from their default configuration with the packages installed here, and the
    diagrams over 30 s."""
    drawn = [row for row in rows if row.kib and not row.problem]
    missing = [row for row in rows if NOT_INSTALLED in row.problem]
    unbuildable = [row for row in rows if row.problem.startswith(UNBUILDABLE)]
    buildable = len(rows) - len(missing) - len(unbuildable)
    slow = [row for row in rows if row.capture + row.layout > 30]
    packages = sorted({row.problem.split(" needs the ")[-1].split()[0] for row in missing})
    return (
        f"**{len(drawn)}/{len(rows)} = {len(drawn) / len(rows):.1%}** of all architectures "
        f"drawn with no warning; **{len(drawn)}/{buildable} = {len(drawn) / buildable:.1%}** "
        "of those transformers can build from their default configuration with the packages "
        f"installed here ({len(unbuildable)} fail in transformers' own from_config, outside "
        f"archviz; {len(missing)} need a package not installed here: "
        f"{', '.join(packages) or 'none'}). Diagrams over 30 s: {len(slow)}.\n"
    )


#: The warning a page shows in place of its diagram, or the banner of a partial one.
PROBLEM = re.compile(
    r"<p><strong>Diagram unavailable: [^<]*</strong></p>\s*<p>(.*?)</p>|"
    r'class="archviz-partial-banner"><strong>(Partial diagram: .*?)</p>',
    re.S,
)


def tabulate_report(pages: dict[str, str], outdir: Path) -> list[Row]:
    """The rows from a finished build's ``archviz-report.json`` and pages, for a build whose
    log was lost (``--tabulate``)."""
    diagrams = json.loads((outdir / "archviz-report.json").read_text())["diagrams"]
    rows = {page: Row(page, reference) for page, reference in pages.items()}
    for diagram in diagrams:
        row = rows[diagram["docname"]]
        row.capture = diagram.get("capture_seconds") or 0.0
        row.layout = diagram.get("layout_seconds") or 0.0
        page = (outdir / f"{row.page}.html").read_text()
        image = re.search(r'data-archviz="(archviz-[0-9a-f]+)"', page)
        svg = outdir / "_images" / f"{image[1]}.svg" if image else None
        if svg and svg.exists():
            # Only an explorable diagram's DOT file is written; the SVG's edges are the same.
            row.edges = svg.read_text().count('class="edge"')
            row.kib = svg.stat().st_size / 1024
        if diagram["outcome"] == "ok":
            continue
        found = PROBLEM.search(page)
        text = next((group for group in found.groups() if group), "") if found else ""
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
        row.problem = f"{diagram['result']}: {' '.join(text.split())}"[:160]
    return list(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/hf-zoo.md")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=1, help="draw every N-th architecture")
    parser.add_argument(
        "--only",
        default="",
        metavar="A,B",
        help="draw only these model types; print the table without writing --output",
    )
    parser.add_argument(
        "--tabulate",
        type=Path,
        metavar="SITE",
        help="only write the table of a site this script built before (its zoo/ folder)",
    )
    parser.add_argument("--cold", type=float, default=0.0, help="with --tabulate: its build time")
    args = parser.parse_args()
    if args.tabulate:
        pages = {
            path.stem: f"transformers:AutoModel ({path.stem[3:]})"
            for path in sorted(args.tabulate.glob("hf_*.rst"))
        }
        rows = tabulate_report(pages, args.tabulate / "_build")
        mark_unbuildable(rows)
        text = outcome(rows) + "\n" + report(rows, args.cold, 0.0, args.jobs)
        text = text.replace(", no-change rebuild 0.0 s", "")
        print(text)
        args.output.write_text(text)
        return
    with tempfile.TemporaryDirectory(prefix="archviz-hf-zoo-") as temporary:
        srcdir = Path(temporary) / "zoo"
        pages = make_zoo(srcdir, architectures(args.sample, args.only))
        cold, log = build(srcdir, args.jobs)
        rebuild, _ = build(srcdir, args.jobs)
        rows = tabulate(pages, log, srcdir / "_build")
    mark_unbuildable(rows)
    text = outcome(rows) + "\n" + report(rows, cold, rebuild, args.jobs)
    print(text)
    if args.only:
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
