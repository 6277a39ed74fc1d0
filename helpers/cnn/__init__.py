"""Notebook 09: convolution and pooling from scratch (``conv``) and the digit CNNs and residual
networks built with PyTorch (``models``).
"""
