"""Notebook 10: RNN, LSTM and GRU cells (``cells``), backprop through time (``bptt``), sequence
models (``models``), the memory task (``memory``) and the character language model (``charlm``).
"""
