"""The house rules of ``helpers/``, read from the code with ``ast`` (nothing is imported or run).

* ``helpers/`` holds packages only (and ``__init__.py``): a concept is found from folder names.
* ``core`` imports nothing else from ``helpers``.
* A topic package imports ``core`` and the topic packages of *earlier* chapters only (course order
  below); never ``ui``, ``apps`` or ``exercises``.
* ``ui`` imports ``core`` only; only ``ui`` and ``apps`` import ``ipywidgets``.
* ``apps`` import ``core``, ``ui`` and topics (not each other); ``exercises`` import ``core`` and
  topics; nothing in ``helpers`` imports ``apps`` (``apps/__init__`` discovers its own modules).
* No import circle between modules, lazy (function-level) imports included.

A new package must be placed in ``TOPICS`` (its chapter's position) before it can pass.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "helpers"
TOPICS = ["basics", "autograd", "training", "cnn", "rnn", "transformer", "gan", "compression",
          "distributed", "representation", "generative", "graphs", "selfsupervised", "rl", "interpret"]
LAYERS = {"core", "ui", "apps", "exercises", *TOPICS}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every module a file imports (absolute names), with line numbers; lazy imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    inside = ROOT.parent in path.resolve().parents
    name = module_name(path) if inside else "helpers.scratch.module"
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append((mod, node.lineno))
            # ``from helpers.rnn import cells`` imports the module helpers.rnn.cells
            for alias in node.names:
                if (ROOT.parent / (mod.replace(".", "/") + f"/{alias.name}.py")).exists():
                    found.append((f"{mod}.{alias.name}", node.lineno))
    return found


FILES = sorted(ROOT.rglob("*.py"))
MODULES = {module_name(p): p for p in FILES}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "helpers" and len(parts) > 1 else None


def allowed(src: str, dst: str) -> bool:
    if src == dst or dst == "core":
        return True
    if src == "core":
        return False
    if src in TOPICS:
        return dst in TOPICS and TOPICS.index(dst) < TOPICS.index(src)
    if src == "ui":
        return False
    if src == "apps":
        return dst == "ui" or dst in TOPICS
    if src == "exercises":
        return dst in TOPICS
    return False


def test_helpers_top_level_holds_packages_only():
    loose = sorted(p.name for p in ROOT.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules at the top of helpers/ (move each into its topic package): {loose}"
    unknown = sorted(d.name for d in ROOT.iterdir() if d.is_dir() and (d / "__init__.py").exists()
                     and d.name not in LAYERS)
    assert not unknown, f"packages not placed in the course order (add to TOPICS in {__file__}): {unknown}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_imports_follow_the_layers(path: Path):
    src = layer(module_name(path))
    if src is None:  # helpers/__init__.py re-exports core's plumbing only
        bad = [(m, n) for m, n in imports_of(path) if m.startswith("helpers.") and layer(m) != "core"]
        assert not bad, f"helpers/__init__.py may import core only: {bad}"
        return
    problems = []
    for mod, line in imports_of(path):
        if mod.split(".")[0] == "ipywidgets" and src not in ("ui", "apps"):
            problems.append(f"line {line}: imports ipywidgets (only helpers.ui and helpers.apps may)")
        dst = layer(mod)
        if dst is None:
            continue
        if src == "apps" and dst == "apps" and module_name(path) != "helpers.apps" and mod != "helpers.apps":
            problems.append(f"line {line}: an app imports another app ({mod}); share it through ui or a topic")
        elif not allowed(src, dst):
            problems.append(f"line {line}: {src} may not import {dst} ({mod})")
    assert not problems, f"{path.relative_to(ROOT.parent)}:\n  " + "\n  ".join(problems)


def test_no_import_circles():
    graph = {m: sorted({i for i, _ in imports_of(p) if i in MODULES and i != m}) for m, p in MODULES.items()}
    # a package's __init__ importing its own submodules is not a circle of concepts
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for m in graph:
        if m not in state:
            visit(m, [])
    assert not cycles, "import circles:\n  " + "\n  ".join(" -> ".join(c) for c in cycles)


def test_the_rule_checker_catches_a_forbidden_import(tmp_path: Path):
    """The checker itself: a maths module importing ipywidgets and a later chapter is flagged."""
    bad = tmp_path / "bad.py"
    bad.write_text("import ipywidgets\nfrom helpers.gan.losses import critic_loss\n")
    names = [m for m, _ in imports_of(bad)]
    assert "ipywidgets" in names and "helpers.gan.losses" in names
    assert not allowed("basics", "gan") and not allowed("core", "basics") and allowed("gan", "training")
