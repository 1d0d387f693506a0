"""``archviz render models:CNNModel --input-shape 1,1,64,64 -o cnn.svg``: the command line.

Every directive option is a flag (``--input-shape``, ``--view``, ``--fold``/``--no-fold`` …),
made from the one declaration in :mod:`.options`; the output file's suffix chooses the format.
A diagram that cannot be drawn prints the message a Sphinx build would warn with, and the
command exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from sphinx_archviz import __version__
from sphinx_archviz.api import OUTPUT_SUFFIXES, Settings, default_cache_folder, render_options
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.frameworks import FRAMEWORKS
from sphinx_archviz.options import DIAGRAM_OPTIONS

PROGRAM = "archviz"
_GROUPS = {
    "capture": "what the diagram shows (the directive's options)",
    "display": "how the HTML page shows it (the directive's display options)",
}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Architecture diagrams of PyTorch and Keras models, drawn from the code.",
        epilog=f"Run '{PROGRAM} render --help' for every option.",
    )
    main.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    render = commands.add_parser(
        "render",
        help="draw one model into a file",
        description="Draw the model that REFERENCE (module.path:attribute) names, as the "
        "archviz directive would, into OUTPUT.",
    )
    render.add_argument("reference", metavar="REFERENCE", help="module.path:attribute")
    render.add_argument(
        "-o",
        "--output",
        metavar="OUTPUT",
        help=f"the file to write; its suffix chooses the format: {', '.join(OUTPUT_SUFFIXES)} "
        "(.html: one self-contained interactive page) (default: ATTRIBUTE.svg)",
    )
    render.add_argument(
        "--print",
        dest="for_print",
        action="store_true",
        help="the variant for papers and slides: white paper, no controls or links, SVG text "
        "outlined, fonts embedded in the vector PDF, PNG at 300 dpi",
    )
    _add_diagram_options(render)
    where = render.add_argument_group("where models and programs are found")
    where.add_argument(
        "--sys-path",
        action="append",
        metavar="FOLDER",
        help="folder searched for model modules, may be repeated (default: .)",
    )
    where.add_argument(
        "--dot",
        default="dot",
        metavar="PROGRAM",
        help="Graphviz's dot program (default: %(default)s)",
    )
    where.add_argument(
        "--cache-dir",
        type=Path,
        default=default_cache_folder(),
        metavar="FOLDER",
        help="where captures and images are kept between runs (default: %(default)s)",
    )
    where.add_argument("--no-cache", action="store_true", help="capture afresh, keep nothing")
    where.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    return main


def _add_diagram_options(command: argparse.ArgumentParser) -> None:
    groups = {role: command.add_argument_group(title) for role, title in _GROUPS.items()}
    for option in DIAGRAM_OPTIONS:
        text = option.help + (f"; one of {', '.join(option.choices)}" if option.choices else "")
        text = text.replace("%", "%%")  # argparse formats help with %
        kind = (
            {"action": argparse.BooleanOptionalAction}
            if option.flag
            else {"metavar": option.metavar}
        )
        groups[option.role].add_argument(
            f"--{option.name}", dest=option.name, default=argparse.SUPPRESS, help=text, **kind
        )


def option_texts(arguments: argparse.Namespace) -> dict[str, str]:
    """The options given, as the directive's texts (``--no-fold`` → ``{"fold": "false"}``)."""
    given = vars(arguments)
    texts = {}
    for option in DIAGRAM_OPTIONS:
        if option.name in given:
            value = given[option.name]
            texts[option.name] = ("true" if value else "false") if option.flag else value
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    inform = (lambda _message: None) if arguments.quiet else _say
    output = arguments.output or f"{arguments.reference.rpartition(':')[2] or 'diagram'}.svg"
    settings = Settings(
        sys_path=arguments.sys_path or (".",),
        dot=arguments.dot,
        cache_folder=None if arguments.no_cache else arguments.cache_dir,
    )
    texts = option_texts(arguments)
    start_worker(arguments.reference, texts.get("framework", "auto"), settings)
    try:
        diagram = render_options(
            arguments.reference,
            texts,
            output,
            arguments.for_print,
            settings,
            inform,
        )
    except ArchvizError as error:
        print(
            f"{PROGRAM}: {arguments.reference.strip()}: {error.message} [archviz.{error.subtype}]",
            file=sys.stderr,
        )
        return 1
    inform(f"wrote {diagram.path}")
    return 0


def start_worker(reference: str, framework: str, settings: Settings) -> None:
    """Start the model's framework worker now, so that it imports the framework while this
    process imports the rest of archviz (as a Sphinx build starts its workers before reading).
    Whatever goes wrong here is found and reported again by the capture itself."""
    from sphinx_archviz.detect import detect_framework, is_framework_package
    from sphinx_archviz.pool import prestart
    from sphinx_archviz.reference import parse_reference

    with contextlib.suppress(ArchvizError, OSError, SyntaxError, ValueError):
        parsed = parse_reference(reference)
        if framework == "auto":
            search_paths = tuple(settings.config()["archviz_sys_path"])
            framework = detect_framework(parsed, search_paths)
        if framework in FRAMEWORKS:
            installed = (parsed.module,) if is_framework_package(parsed.module) else ()
            prestart(framework, 1, installed)  # type: ignore[arg-type]


def _say(message: str) -> None:
    print(f"{PROGRAM}: {message}", file=sys.stderr)


def run() -> None:
    """The ``archviz`` console script (and ``python -m sphinx_archviz``): one diagram per
    process, so its capture goes to a worker rather than a warm process."""
    from sphinx_archviz.pool import for_one_capture

    for_one_capture()
    sys.exit(main())
