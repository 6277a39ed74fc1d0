"""Every stored notebook looks like one clean top-to-bottom run and follows the course skeleton."""
from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHAPTERS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell.get("source", ""))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_as_one_clean_run(path):
    nb = _load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and _src(c).strip()]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts[:12]}… are not 1..{len(code)}"
    for cell in code:
        raises = "NBVAL_RAISES_EXCEPTION" in _src(cell)
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert raises, f"stored error output {out.get('ename')} in a cell not marked NBVAL_RAISES_EXCEPTION"
            text = json.dumps(out)
            assert not re.search(r"(/root/|/home/|/tmp/|/work/|C:\\\\Users)", text), "an output shows a machine path"
    assert path.stat().st_size < 2_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"
    assert "widgets" not in nb.get("metadata", {}), "saved widget state: store with `make notebooks`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_library_code_or_path_hacks(path):
    for cell in _load(path)["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = _src(cell)
        assert "sys.path" not in src, "notebooks import helpers from the installed package, no sys.path edits"
        assert "import *" not in src, "no star imports"
        lines = [ln for ln in src.splitlines() if ln.strip()]
        assert len(lines) <= 20, f"a code cell of {len(lines)} lines (keep cells short; move code to helpers):\n{src[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_skeleton(path):
    nb = _load(path)
    cells = nb["cells"]
    first = _src(cells[0])
    assert first.startswith("# "), "the first cell is the title"
    assert re.search(r"[Pp]rerequisite", first), "the first cell names the prerequisites"
    assert re.search(r"[Rr]un time|[Rr]untime", first), "the first cell gives the estimated run time"
    code = "\n".join(_src(c) for c in cells if c["cell_type"] == "code")
    assert "NBVAL_CHECK_OUTPUT" in code, "teaching claims end in an assert marked # NBVAL_CHECK_OUTPUT"
    checked = [_src(c) for c in cells if c["cell_type"] == "code" and "NBVAL_CHECK_OUTPUT" in _src(c)]
    assert all("assert" in s for s in checked), "every NBVAL_CHECK_OUTPUT cell asserts its claim"
    assert ".panel()" in code, "at least one interactive widget (an App's or a TrainingPlayer's panel)"
    assert "helpers.exercises" in code or "from helpers.exercises" in code, "exercises with self-checks"
    hidden = [c for c in cells if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
    assert hidden, "solutions sit in collapsed cells (metadata.jupyter.source_hidden)"
    last_md = [_src(c) for c in cells if c["cell_type"] == "markdown"][-1]
    assert re.search(r"[Ss]ummary", "\n".join(_src(c) for c in cells[-3:] if c["cell_type"] == "markdown")), \
        "the notebook ends with a summary"
    assert re.search(r"[Nn]ext", last_md), "the last cell points at the next notebook"


def _glossary_anchors() -> set[str]:
    text = (Path(__file__).resolve().parent.parent / "notebooks" / "glossary.md").read_text(encoding="utf-8")
    heads = re.findall(r"^#{2,3} (.+)$", text, flags=re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glossary_links_resolve(path):
    """Every link into the glossary names an entry that exists (an anchor typo is a dead link)."""
    anchors = _glossary_anchors()
    text = "\n".join(_src(c) for c in _load(path)["cells"] if c["cell_type"] == "markdown")
    dead = sorted({a for a in re.findall(r"glossary\.md#([\w-]+)", text) if a not in anchors})
    assert not dead, f"glossary links without an entry: {dead}"


# ------------------------------------------------------------------- the learner's frame (issue 16)
def _solutions_tool():
    spec = importlib.util.spec_from_file_location("solutions_tool", ROOT / "tools" / "solutions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK_CALL = re.compile(r"\bcheck_(\w+)\(\s*([\w.]+)")


def _exercise_cells(cells: list[dict]) -> list[tuple[int, str, str]]:
    """(cell index, check name, argument) of every cell where the learner's answer is checked."""
    out = []
    for i, c in enumerate(cells):
        if c["cell_type"] != "code" or c.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
            continue
        for name, arg in CHECK_CALL.findall(_src(c)):
            if "solution" not in arg:
                out.append((i, name, arg))
    return out


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_exercises_have_folded_solutions(path):
    """Every exercise has, before the next one: a folded ``<details>`` solution whose code is the
    reference solution of ``helpers.exercises.chNN`` (the one the hidden cell checks), and no cell
    prints a solution open."""
    tool = _solutions_tool()
    chapter = importlib.import_module(f"helpers.exercises.ch{path.name[:2]}")
    cells = _load(path)["cells"]
    for c in cells:
        assert not (c["cell_type"] == "code" and re.search(r"show\([^)]*solution", _src(c))), \
            f"a cell prints a solution open (fold it in a <details> block instead):\n{_src(c)[:200]}"
    exercises = _exercise_cells(cells)
    assert len(exercises) >= 2, f"{len(exercises)} checked exercises (at least 2 per notebook)"
    bounds = [i for i, _, _ in exercises] + [len(cells)]
    for (start, name, arg), stop in zip(exercises, bounds[1:]):
        window = cells[start + 1:stop]
        hidden = [CHECK_CALL.search(_src(c)) for c in window
                  if c.get("metadata", {}).get("jupyter", {}).get("source_hidden") and f"check_{name}(" in _src(c)]
        assert hidden, f"exercise check_{name}: no collapsed cell that runs the check on the reference solution"
        solution = getattr(chapter, hidden[0].group(2).rsplit(".", 1)[-1])
        learner = re.search(rf"def ({re.escape(arg)})\(", _src(cells[start]))
        want = tool.solution_code(solution, learner.group(1) if learner else None)
        blocks = [_src(c) for c in window if c["cell_type"] == "markdown" and "<details>" in _src(c)
                  and "Solution" in _src(c)]
        assert blocks, f"exercise check_{name}: no folded <details> solution before the next exercise"
        code = re.search(r"```python\n(.*?)\n```", blocks[0], flags=re.S)
        assert code and code.group(1).strip() == want, (
            f"exercise check_{name}: the folded solution is not the source of {solution.__name__} "
            f"(regenerate it with tools/solutions.py)")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_objectives_prediction_and_next(path):
    """Objectives (3 to 5) at the top, at least one "predict, then run" question, a next link."""
    cells = _load(path)["cells"]
    top = "\n".join(_src(c) for c in cells[:3] if c["cell_type"] == "markdown")
    m = re.search(r"(After this notebook you can|[Ll]earning objectives)[^\n]*\n\s*"
                  r"((?:[ \t]*(?:[-*]|\d+\.) .*\n?(?:[ \t]{2,}\S.*\n?)*)+)", top)
    assert m, "the opening lists the learning objectives ('After this notebook you can:' and a list)"
    n = len(re.findall(r"^[ \t]*(?:[-*]|\d+\.) ", m.group(2), flags=re.M))
    assert 3 <= n <= 5, f"{n} learning objectives (3 to 5)"
    text = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"[Pp]redict,? then run", text), "at least one 'Predict, then run' question"
    if not path.name.startswith("20_"):
        assert re.search(r"\]\(\d\d_[\w-]+\.ipynb\)", _src(cells[-1])), "the last cell links the next notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_image_has_a_text_alternative(path):
    """A stored image carries a sentence as its text/plain (show_figure's "Figure: ...", a widget
    panel's status line, a LivePlot's summary), never matplotlib's "<Figure size ...>"."""
    for c in _load(path)["cells"]:
        for out in c.get("outputs", []):
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            text = "".join(data.get("text/plain", ""))
            assert len(text) >= 20 and not text.startswith("<"), (
                f"an image stored without a text alternative ({text[:60]!r}); wrap the figure in "
                f"helpers.core.figures.show_figure(fig, alt):\n{_src(c)[:200]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_progress_stored_finished(path):
    """No progress bar is stored at its first frame (a code host would show a finished run as 0%)."""
    for c in _load(path)["cells"]:
        for out in c.get("outputs", []):
            text = json.dumps(out)
            assert not re.search(r"\b0%\|", text), f"a progress bar stored at 0%:\n{_src(c)[:200]}"
