"""The UI layer: the only package besides ``apps`` that imports ipywidgets.

``widgets`` the ``App`` / ``Panel`` / ``FigureBox`` building blocks and slider factories,
``player`` the play / pause / step training player, ``backdrop`` cached backgrounds for blitting.
"""
