"""Authoring aid: turn a percent-format script into an (unexecuted) notebook.

    python tools/py2nb.py draft.py notebooks/05_activations.ipynb
    python tools/run_notebooks.py notebooks/05_activations.ipynb   # then execute and store

Cells start with ``# %%`` (code) or ``# %% [markdown]`` (markdown lines are written as ``# text``).
Options after the marker: ``hidden`` (collapsed solution cell: source hidden), and
``tags=a,b`` (e.g. ``tags=raises-exception`` for a cell showing a deliberate error).
The .ipynb is the source of truth afterwards; the draft is not kept in the repository.
"""
from __future__ import annotations

import re
import sys

import nbformat


def convert(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    blocks = re.split(r"^# %%(.*)$", text, flags=re.M)
    for header, body in zip(blocks[1::2], blocks[2::2]):
        body = body.strip("\n")
        if "[markdown]" in header:
            lines = [re.sub(r"^# ?", "", ln) for ln in body.splitlines()]
            cell = nbformat.v4.new_markdown_cell("\n".join(lines).strip("\n"))
        else:
            cell = nbformat.v4.new_code_cell(body)
        if "hidden" in header.split():
            cell.metadata["jupyter"] = {"source_hidden": True}
        m = re.search(r"tags=([\w,-]+)", header)
        if m:
            cell.metadata["tags"] = m.group(1).split(",")
        nb.cells.append(cell)
    return nb


if __name__ == "__main__":
    src, dst = sys.argv[1:3]
    nbformat.write(convert(open(src, encoding="utf-8").read()), dst)
    print(f"wrote {dst}")
