"""Notebook 16: latent-variable models and diffusion.

    latent       the closed-form Gaussian KL, the reparameterisation trick, and a linear-Gaussian
                 model whose evidence log p(x) is exact (the ELBO checked against it)
    estimators   two Monte-Carlo gradients of E_q[f(z)]: reparameterised and score-function
    vae          a variational autoencoder on the 8x8 digits, several beta values trained at once
    schedules    DDPM noise schedules (linear, cosine), q(x_t | x_0), the posterior and one reverse step
    denoiser     the noise-prediction network (an MLP with a time embedding), its loss and training
                 loop, and ancestral sampling
    plots        the chapter's figures
"""
