"""Notebook 15: embeddings and a recommender, PCA and autoencoders, transfer learning, and the
chapter's figures.
"""
