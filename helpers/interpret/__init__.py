"""Notebook 20: interpretability, what a model looked at and how to test an explanation.

    scores       the explained score f_t(x) and the checks every method shares
    gradients    saliency, gradient × input, Integrated Gradients (quadrature, completeness)
    occlusion    a sliding patch set to the baseline
    surrogate    superpixels, coalitions, weighted least squares, LIME
    shapley      exact Shapley values by enumeration, Kernel SHAP
    attribute    the six methods behind one call, with the chapter's settings
    evaluation   deletion curves and their areas, the model-randomisation sanity check
    models       notebook 09's digits CNN and MLP, trained quickly; the blank baseline
    plots        attribution maps, deletion curves, the sanity-check and completeness figures

Each method is checked against captum's implementation in ``tests/test_interpret.py``.
"""
