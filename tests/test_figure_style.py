"""Every figure-making helper uses the one course style of ``helpers.core.figures``.

Read with ``ast`` over every module of ``helpers`` (the style module itself excepted):

- figures come from ``new_figure`` (no ``pyplot``, no ``Figure(...)`` built by hand), so the style,
  the resolution and the text-alternative wrapper apply to all of them;
- a colour written into the code (a hex or ``tab:`` string anywhere, or any colour given as a
  ``color=``-like keyword) is one of the course's colour-blind-safe colours (``PALETTE``,
  ``CLASS_COLOURS``, the ``C0``... cycle, which is the palette) or a neutral (black, white, greys),
  never red-vs-green and friends;
- a colour map written into the code is perceptually uniform (sequential) or a diverging map
  centred on zero, never ``jet``/``rainbow``/``tab10`` for ordered values;
- no text is set smaller than ``MIN_FONT_PT`` (9 pt).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers.core.figures import CLASS_COLOURS, MIN_FONT_PT, PALETTE

ROOT = Path(__file__).resolve().parent.parent / "helpers"
STYLE_MODULE = ROOT / "core" / "figures.py"
FILES = sorted(p for p in ROOT.rglob("*.py") if p != STYLE_MODULE)

COLOUR_KEYWORDS = {"color", "c", "colors", "facecolor", "facecolors", "edgecolor", "edgecolors",
                   "markerfacecolor", "markeredgecolor", "mfc", "mec", "fc", "ec", "colour", "colours"}
NEUTRALS = {"black", "k", "white", "w", "none", "gray", "grey", "lightgray", "lightgrey", "darkgray",
            "darkgrey", "dimgray", "dimgrey", "silver", "whitesmoke", "gainsboro"}
ALLOWED_HEX = {c.lower() for c in PALETTE + CLASS_COLOURS}
ALLOWED_CMAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "Greys", "Greys_r", "gray", "gray_r",
                 "binary", "binary_r", "RdBu", "RdBu_r", "PuOr", "PuOr_r", "BrBG", "BrBG_r", "viridis_r",
                 "cividis_r", "magma_r"}
SMALL_NAMED = {"small", "x-small", "xx-small", "smaller"}
FONT_KEYWORDS = {"fontsize", "labelsize", "titlesize", "size"}


def _colour_ok(value: str) -> bool:
    v = value.strip()
    if v.lower() in NEUTRALS or re.fullmatch(r"C\d", v):
        return True
    if re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", v):
        hexa = v[:7].lower()
        r, g, b = int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16)
        return hexa in ALLOWED_HEX or (r == g == b)  # the palette, or a grey
    if re.fullmatch(r"0?\.\d+|1(\.0*)?|0", v):  # matplotlib's grey levels as strings: "0.5"
        return True
    return False


def _constants(node: ast.AST) -> list[ast.Constant]:
    if isinstance(node, ast.Constant):
        return [node]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [c for elt in node.elts for c in _constants(elt)]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            mod = getattr(node, "module", None) or ""
            if "matplotlib.pyplot" in names or mod == "matplotlib.pyplot" or (mod == "matplotlib" and "pyplot" in names):
                out.append(f"line {node.lineno}: imports pyplot (figures come from core.figures.new_figure)")
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?|tab:\w+", node.value)
                and not _colour_ok(node.value)):
            out.append(f"line {node.lineno}: colour {node.value!r} is not a course colour "
                       f"(core.figures.PALETTE / CLASS_COLOURS, or a neutral)")
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name == "Figure":
            out.append(f"line {node.lineno}: builds a Figure by hand (use core.figures.new_figure)")
        for kw in node.keywords:
            if kw.arg in COLOUR_KEYWORDS:
                for const in _constants(kw.value):
                    if isinstance(const.value, str) and not _colour_ok(const.value):
                        out.append(f"line {const.lineno}: colour {const.value!r} is not a course colour "
                                   f"(core.figures.PALETTE / CLASS_COLOURS, or a neutral)")
            elif kw.arg == "cmap":
                for const in _constants(kw.value):
                    if isinstance(const.value, str) and const.value not in ALLOWED_CMAPS:
                        out.append(f"line {const.lineno}: colour map {const.value!r} (use a sequential map "
                                   f"such as core.figures.SEQUENTIAL_CMAP, or a diverging one for signed values)")
            elif kw.arg in FONT_KEYWORDS and (name in {"text", "set_title", "set_xlabel", "set_ylabel", "legend",
                                                       "annotate", "suptitle", "tick_params", "set_text",
                                                       "colorbar", "set_label", "table", "clabel"}
                                              or kw.arg != "size"):
                for const in _constants(kw.value):
                    small = (isinstance(const.value, (int, float)) and not isinstance(const.value, bool)
                             and const.value < MIN_FONT_PT) or const.value in SMALL_NAMED
                    if small:
                        out.append(f"line {const.lineno}: text at {const.value!r} (the course minimum is "
                                   f"{MIN_FONT_PT} pt)")
    return list(dict.fromkeys(out))  # a colour both in a keyword and as a hex string is one problem


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_figures_follow_the_course_style(path):
    problems = _problems(path)
    assert not problems, f"{path.relative_to(ROOT.parent)}:\n  " + "\n  ".join(problems)


def test_the_checker_catches_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import matplotlib.pyplot as plt\n'
                   'ax.plot(x, y, color="red")\nax.legend(fontsize=7)\nax.imshow(a, cmap="jet")\n'
                   'ax.scatter(x, y, c=["#d62728", "#0072B2"])\nax.text(0, 0, "a", fontsize="small")\n')
    problems = _problems(bad)
    assert len(problems) == 6, problems
    assert _problems(tmp_path / "bad.py") == problems
    table = tmp_path / "table.py"
    table.write_text('COLOURS = {"sgd": "#d62728", "adam": "tab:green", "ok": "#0072B2"}\n')
    assert len(_problems(table)) == 2
    good = tmp_path / "good.py"
    good.write_text('ax.plot(x, y, color="#0072B2")\nax.legend(fontsize=9)\nax.imshow(a, cmap="viridis")\n'
                    'ax.scatter(x, y, c=["C0", "k", "0.5", "#999999"])\n')
    assert _problems(good) == []
