"""Part I, notebooks 01-03: the neuron, activations, networks as matrix products, losses and
gradient descent.
"""
