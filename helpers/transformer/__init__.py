"""Notebook 11: attention, multi-head attention, positions and layer norm from scratch
(``attention``), the tiny GPT (``gpt``) and the digit-reversal task (``tasks``).
"""
