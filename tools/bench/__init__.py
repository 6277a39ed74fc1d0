"""``make bench``: notebook run times, widget latencies and ours-vs-reference speed ratios.

One module per chapter group, named after the topic package it measures (``basics``,
``autograd``, ``training``, ``cnn``, ...), plus ``notebooks`` (run times), ``ui`` (slider and
player latencies, kernel side) and ``browser`` (what the learner sees: key→repaint and frames per
second in JupyterLab + Chromium; only on demand, ``--only browser``). Each module has a
``SECTION`` title and ``run(report)``; the runner finds them.

    python -m tools.bench                    # everything
    python -m tools.bench --only training    # one module
    python -m tools.bench --list             # the modules
    python -m tools.bench --only browser --notebooks 01 07   # the browser, for two notebooks

Ratios against a reference run in the same process (ours vs PyTorch, diffusers, ...) are what we
report: absolute times on a shared 2-core machine are noisy.
"""
