"""Notebook 17: graph neural networks.

    structure        edge lists, adjacency, degrees, self-loops, the normalised adjacency, hops
    message_passing  scatter-sum aggregation (forward and backward): "aggregate, then transform"
    gcn              the GCN layer, dense and edge-list forms, forward and backward
    gat              the GAT layer (multi-head attention over neighbours), dense and edge-list forms
    datasets         Zachary's karate club, a stochastic block model, cycles vs trees
    models           GCN / GAT / MLP modules in PyTorch, node and graph training loops
    smoothing        over-smoothing measures (mean pairwise cosine, Dirichlet energy)
    plots            drawing a graph with its node features, and the chapter's figures
"""
