"""Part II, notebooks 05-08: deep stacks (``deepnet``), initialization, optimizers and schedules,
regularization, batch norm, augmentation, and the digits lab that trains with all of them.
"""
