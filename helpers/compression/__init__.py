"""Notebook 13: knowledge distillation (``distill``, ``students``) and int8 quantization
(``quantize``).
"""
