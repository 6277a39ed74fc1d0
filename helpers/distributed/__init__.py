"""Notebook 14: data parallelism on paper (``allreduce``) and with real gloo processes (``ddp``).
"""
