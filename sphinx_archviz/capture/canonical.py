"""Stable node names for DOT produced by torchviz and Keras, which name nodes by ``id()``."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\w.]+|\S', re.DOTALL)
_NUMBER = re.compile(r"\d+")


def canonical_node_ids(dot: str) -> str:
    """Rename numeric node IDs to ``n0``, ``n1``, … in order of first appearance.

    Only IDs in statement position are renamed: quoted strings, HTML labels and attribute lists
    (``[label=..., fontsize=10]``) are left exactly as they are, so the same graph gives the same
    text in every process.
    """
    names: dict[str, str] = {}
    pieces: list[str] = []
    position = 0
    bracket_depth = 0
    previous = ""
    while position < len(dot):
        if dot[position].isspace():
            end = position + 1
            while end < len(dot) and dot[end].isspace():
                end += 1
            pieces.append(dot[position:end])
            position = end
            continue
        if dot[position] == "<":
            end = _end_of_html_string(dot, position)
            pieces.append(dot[position:end])
            position, previous = end, "<>"
            continue
        match = _TOKEN.match(dot, position)
        assert match is not None  # \S matches any non-space character
        token = match.group()
        bracket_depth += {"[": 1, "]": -1}.get(token, 0)
        if (
            bracket_depth == 0
            and previous != "="
            and _NUMBER.fullmatch(token)
            and _next_significant(dot, match.end()) != "="
        ):
            token = names.setdefault(token, f"n{len(names)}")
        pieces.append(token)
        position, previous = match.end(), token
    return "".join(pieces)


def _end_of_html_string(dot: str, start: int) -> int:
    depth = 0
    for index in range(start, len(dot)):
        if dot[index] == "<":
            depth += 1
        elif dot[index] == ">":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(dot)


def _next_significant(dot: str, start: int) -> str:
    rest = dot[start:].lstrip()
    return rest[:1]
