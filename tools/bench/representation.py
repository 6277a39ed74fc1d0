"""Notebook 15: PCA from scratch vs scikit-learn, our embedding lookup and its scatter-add gradient
vs PyTorch, principal angles vs SciPy, one thread.

    python -m tools.bench --only representation
"""
from __future__ import annotations

import numpy as np

SECTION = "representation: ours / reference (float64, 1 thread)"


def run(report) -> None:
    import scipy.linalg
    import torch
    import torch.nn.functional as F
    from sklearn.decomposition import PCA as SkPCA

    from helpers.representation import embeddings, pca
    from helpers.core.data import load_digits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        X, _ = load_digits(flatten=True)                                     # (1797, 64)
        report.ratio(SECTION, "PCA fit, digits 1797x64, k=10 (vs sklearn PCA, svd_solver='full')",
                     lambda: pca.fit_pca(X, 10), lambda: SkPCA(10, svd_solver="full").fit(X),
                     repeat=20, ref_name="sklearn")
        report.ratio(SECTION, "PCA fit, digits 1797x64, k=10 (vs sklearn PCA, default solver)",
                     lambda: pca.fit_pca(X, 10), lambda: SkPCA(10).fit(X), repeat=20, ref_name="sklearn")

        rng = np.random.default_rng(0)
        V, D, N = 1000, 32, 4096
        W = rng.standard_normal((V, D))
        idx = rng.integers(0, V, N)
        g = rng.standard_normal((N, D))
        Wt, idxt, gt = torch.tensor(W), torch.tensor(idx), torch.tensor(g)
        _, cache = embeddings.embedding_forward(W, idx)
        report.ratio(SECTION, f"embedding lookup V={V}, D={D}, N={N} (vs F.embedding)",
                     lambda: embeddings.embedding_forward(W, idx), lambda: F.embedding(idxt, Wt), repeat=50)
        report.ratio(SECTION, f"embedding backward (scatter-add) V={V}, D={D}, N={N} (vs index_add_)",
                     lambda: embeddings.embedding_backward(g, cache),
                     lambda: torch.zeros(V, D, dtype=torch.float64).index_add_(0, idxt, gt), repeat=50)
        Wg = Wt.clone().requires_grad_(True)

        def torch_fwd_bwd():
            Wg.grad = None
            F.embedding(idxt, Wg).backward(gt)

        report.ratio(SECTION, "embedding forward + backward (vs autograd through F.embedding)",
                     lambda: embeddings.embedding_backward(g, embeddings.embedding_forward(W, idx)[1]),
                     torch_fwd_bwd, repeat=50)

        A, B = rng.standard_normal((64, 10)), rng.standard_normal((64, 10))
        report.ratio(SECTION, "principal angles 64x10 (vs scipy.linalg.subspace_angles)",
                     lambda: pca.principal_angles(A, B), lambda: scipy.linalg.subspace_angles(A, B),
                     repeat=50, ref_name="scipy")
    finally:
        torch.set_num_threads(threads)
