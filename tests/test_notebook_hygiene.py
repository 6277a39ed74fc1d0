"""Every stored notebook looks like one clean top-to-bottom run and follows the course skeleton."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
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
