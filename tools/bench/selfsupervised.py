"""Notebook 18: NT-Xent by hand vs PyTorch, and the time to each asserted result, one thread.

    python -m tools.bench --only selfsupervised

* the NumPy NT-Xent forward (and forward + hand-written backward) vs the cross-entropy
  formulation in PyTorch (and autograd), float64, batch of 64 pairs;
* wall time (and process CPU time, which a busy machine inflates less) of each of the notebook's
  experiments whose result it asserts, run once with the notebook's settings;
* the apps' update + render latency.
"""
from __future__ import annotations

import time

import numpy as np

SECTION = "Notebook 18: self-supervised learning (1 thread)"


def _once(report, name: str, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    report.add(SECTION, name, f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU (once)")
    return out


def run(report) -> None:
    import torch

    from helpers.apps import ch18_self_supervised as apps
    from helpers.core.figures import render_png
    from helpers.representation.transfer import few_shot_subset
    from helpers.selfsupervised import clip, contrastive, mlm, simclr

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng = np.random.default_rng(0)
        z1, z2 = rng.normal(size=(64, 32)), rng.normal(size=(64, 32))
        t1, t2 = torch.tensor(z1), torch.tensor(z2)
        report.ratio(SECTION, "NT-Xent forward, N=64, D=32 (vs F.cross_entropy formulation)",
                     lambda: contrastive.nt_xent_forward(z1, z2, 0.5), lambda: contrastive.nt_xent_torch(t1, t2, 0.5),
                     repeat=50)
        g1, g2 = t1.clone().requires_grad_(True), t2.clone().requires_grad_(True)

        def torch_fwd_bwd():
            g1.grad = g2.grad = None
            contrastive.nt_xent_torch(g1, g2, 0.5).backward()

        report.ratio(SECTION, "NT-Xent forward + backward (vs autograd)",
                     lambda: contrastive.nt_xent_backward(1.0, contrastive.nt_xent_forward(z1, z2, 0.5)[1]),
                     torch_fwd_bwd, repeat=50)

        probes = _once(report, "SimCLR, 5 seeds x 150 steps + 3 probes each (probe claim)",
                       lambda: simclr.compare_probes(seeds=range(5), steps=150, batch_size=64))
        report.add(SECTION, "  probe accuracy contrastive / pixels / random (per seed)",
                   "; ".join(f"{c:.3f}/{p:.3f}/{r:.3f}" for c, p, r in zip(*probes.values())))
        grid = _once(report, "SimCLR sweep, 3 temperatures x 3 strengths x 100 steps (strength claim)",
                     lambda: simclr.sweep((0.1, 0.5, 1.0), (0.0, 0.5, 1.0), steps=100, batch_size=64))
        corpus = mlm.load_module_corpus()
        encoder, _ = _once(report, "MLM pre-training, 800 steps", lambda: mlm.pretrain_mlm(corpus, steps=800))
        task = mlm.make_snippet_task(corpus)
        fine = _once(report, "fine-tuning, 5 seeds x (pre-trained, scratch) x 60 steps (MLM claim)",
                     lambda: mlm.compare_finetuning(encoder, task, seeds=range(5)))
        report.add(SECTION, "  fine-tuned accuracy pre-trained / scratch (per seed)",
                   "; ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(*fine.values())))
        session = apps.CLIPTrainingSession(seed=0)
        _once(report, "tiny CLIP, 150 updates (zero-shot claim)", lambda: [session.step(3e-3) for _ in range(150)])
        zs = clip.zero_shot_accuracy(session.model, session.X_test, session.y_test)
        with torch.no_grad():
            f_tr, f_te = (session.model.image.features(torch.as_tensor(x, dtype=torch.float32)).numpy()
                          for x in (session.X_train, session.X_test))
        two = few_shot_subset(session.y_train, 2, seed=0).numpy()
        report.add(SECTION, "  zero-shot / probe all labels / probe 2 per class",
                   f"{zs:.3f} / {simclr.linear_probe(f_tr, session.y_train, f_te, session.y_test):.3f} / "
                   f"{simclr.linear_probe(f_tr[two], session.y_train[two], f_te, session.y_test):.3f}")
        for app in (apps.ContrastiveExplorer(grid), apps.ZeroShotExplorer(session.model, session.X_test, session.y_test)):
            values = app.defaults()
            report.time(SECTION, f"{type(app).__name__}: update + render PNG",
                        lambda: (app.update(**values), render_png(app.fig)), repeat=20)
        report.time(SECTION, "CLIP player frame: 5 updates + draw + render PNG",
                    lambda: ([session.step(3e-3) for _ in range(5)], session.draw(), render_png(session.fig)), repeat=10)
    finally:
        torch.set_num_threads(threads)
