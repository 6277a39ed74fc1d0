"""The foundation every chapter stands on; imports nothing else from ``helpers``.

``checks`` input validation, ``notebook`` seeding and ``show``, ``figures`` pyplot-free figures
and PNG rendering, ``plotting`` live training curves and decision boundaries, ``data`` the course's
data sets (moons, digits, photos, the text corpus, the ring of Gaussians), ``mnist`` the optional
IDX loader.
"""
