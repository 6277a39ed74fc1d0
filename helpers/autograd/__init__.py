"""Notebook 04: a tensor-level reverse-mode autograd engine (``tensor``), layers and SGD on it
(``modules``), gradient checking (``gradcheck``) and drawing the graph (``graph``).
"""
