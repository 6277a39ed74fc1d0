"""Notebook 12: GAN losses (``losses``), the two players (``models``), the WGAN-GP penalty
(``penalty``), the training loop (``train``), mode coverage and digit scores (``metrics``) and the
chapter's figures (``plots``).
"""
