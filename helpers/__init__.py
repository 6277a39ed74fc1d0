"""The implementations behind the course notebooks.

Import a chapter's module by name (``from helpers import autograd``); only the plumbing below is
re-exported at the top level.

Plumbing
    ``setup_notebook(seed)``    first line of every notebook: seeding and reproducible figures
    ``seed_everything(seed)``   seed random, NumPy and PyTorch; returns a NumPy Generator
    ``show(obj)``               display a helper's source in a notebook (instead of pasting it)
    ``utils``                   ``check_array`` / ``check_range`` / ``check_choice``: input validation
    ``data``                    moons, circles, XOR, spirals, digits, sample photos, the text corpus
    ``plotting``                ``LivePlot`` (training curves updated in place), decision boundaries
    ``widgets``                 ``App`` / ``Panel`` (figure redrawn in place), slider factories, ``render_png``
    ``player``                  ``TrainingPlayer``: play / pause / step / reset, speed and learning-rate
                                sliders, divergence stop, per-frame timing (also ``widgets.TrainingPlayer``)
    ``apps``                    each chapter's interactive explorer; ``all_apps()`` lists them
    ``exercises``               ``run_check`` / ``Feedback``; one module of checks per chapter

Chapters (one concept per module; the notebook that teaches it)
    ``neuron``           01  weighted sum, neuron forward/backward, logic gates, the perceptron
                             (``train_perceptron``), ``best_linear_accuracy`` (why XOR needs more)
    ``activations``      01/05  sigmoid, tanh, ReLU, Leaky ReLU, ELU, GELU, SiLU + derivatives;
                             ``ACTIVATIONS`` / ``get_activation``
    ``mlp``              02  ``dense``, ``mlp_forward`` / ``mlp_trace``, ``init_mlp``, ``xor_network``,
                             ``fit_relu_network`` (universal approximation by least squares)
    ``losses``           03  ``mse``, ``logsumexp``, ``softmax``, ``log_softmax``, ``cross_entropy``
                             (+ gradients: softmax + CE gives p - y), ``binary_cross_entropy_with_logits``
    ``gradient_descent`` 03  loss ``SURFACES``, ``gradient_descent`` -> ``DescentPath``,
                             ``critical_learning_rate`` (2/L), ``minibatch_sgd``, ``gradient_noise``
    ``autograd``         04  ``Tensor``: a tensor-level reverse-mode autograd engine on NumPy arrays
    ``nn``               04  ``Linear``, ``MLP``, ``cross_entropy``, ``SGD`` on the engine; ``to_torch``
    ``gradcheck``        04  ``numerical_gradient`` (central differences), ``gradcheck``
    ``graph_drawing``    04  ``trace`` / ``draw_graph``: a computational graph drawn with matplotlib
    ``init``             06  zeros, constant, normal, Xavier/He uniform and normal, ``calculate_gain``,
                             ``INITIALIZERS``, ``copy_into_linear`` (our (in, out) into torch's (out, in))
    ``deepnet``          05/06  a NumPy deep stack recording every layer forward and backward, its
                             torch twin, per-layer statistics, small training helpers
    ``optim``            07  SGD (momentum, Nesterov), RMSprop, Adam, AdamW on NumPy arrays, like torch.optim
    ``schedules``        07  step, cosine, warm-up and warm-up + cosine learning-rate schedules
    ``trajectories``     07  ill-conditioned bowl and Rosenbrock surfaces, optimizer trajectories
    ``regularization``   08  dropout, L2 penalty, ``EarlyStopping``, label smoothing, mixup, ``clip_grad_norm``
    ``batchnorm``        08  batch norm forward/backward (train and eval statistics), ``BatchNorm1d``
    ``augment``          08  flips, small affine shifts, brightness/contrast jitter
    ``digits_lab``       07/08  an MLP on the digits trained with our optimizers and regularizers
    ``conv``             09  output size, receptive field, convolution by loops and by im2col
                             (forward and backward), max and average pooling
    ``cnn``              09  ``DigitsCNN`` / ``DigitsMLP``, plain vs residual deep nets, training,
                             confusion matrix, parameter counts (dense, conv, depthwise separable)
    ``mnist``            09  IDX reader/writer, ``load_mnist`` (local files; downloads only if asked)
    ``rnn``              10  RNN, LSTM and GRU cells forward/backward in PyTorch's layout and gate order
    ``bptt``             10  sequence forward/backward through time (time-major), gradient norms, clipping
    ``rnn_models``       10/11  ``CharLSTM``, stateful ``generate``, ``SequenceClassifier``
    ``memory_tasks``     10  recall-a-symbol-T-steps-back data and training, the clipping demo
    ``attention``        11  scaled dot-product attention with masks, multi-head attention,
                             sinusoidal positions, layer norm (forward and backward)
    ``transformer``      11  ``GPTConfig``, ``CausalSelfAttention``, ``MLP``, ``Block``, ``GPT``
    ``seq_tasks``        11  digit-string reversal data, training and exact-match accuracy
    ``gan``              12  GAN, non-saturating and WGAN losses (NumPy with gradients, and torch)
    ``gan_models``       12  ``Generator``, ``Discriminator``, batched independent runs
    ``gan_penalty``      12  the WGAN-GP gradient penalty
    ``gan_train``        12  ``GANConfig``, ``GANTrainer``, ``train_gan`` with live samples
    ``gan_metrics``      12  ``RingMixture``, ``mode_coverage``, ``classifier_scores``, latent walks
    ``gan_plots``        12  ring runs and digit sample grids
    ``distill``          13  ``soft_targets``, ``distillation_loss`` (α·CE + (1−α)·T²·KL) and its gradient
    ``distill_train``    13  teacher/student MLPs on digits, ``compare_students``, ``latency_ms``
    ``quantize``         13  affine int8 quantization per tensor and per channel, ``quantize_model``
    ``allreduce``        14  ``shard_indices``, ``data_parallel_gradient``, ``ring_allreduce`` (on paper)
    ``ddp``              14  ``launch`` / ``ddp_worker``: real gloo processes on loopback, DDP vs
                             full-batch gradients
    ``charlm``           10/11  the frozen corpus as ids, ``train_char_model``, ``bits_per_char``, ``sample``
    ``embeddings``       15  embedding lookup and its scatter-add gradient (one-hot transpose),
                             ``nearest_neighbours`` (cosine), ``same_genre_rate`` vs ``chance_same_genre``
    ``recommender``      15  generated ratings with hidden tastes and genres (``make_ratings``), ``rmse``,
                             ``fit_biases`` (bias-only baseline), ``MatrixFactorization``, ``train_mf``
    ``pca``              15  ``fit_pca`` (eigenvectors of the covariance) -> ``PCA``; ``orthonormal_basis``,
                             ``projector``, ``principal_angles``, ``projector_distance``
    ``autoencoder``      15  ``LinearAutoencoder``, ``DeepAutoencoder``, ``train_autoencoder``,
                             ``reconstruction_error``, ``pca_from_decoder`` (eigenvectors from a decoder)
    ``transfer``         15  digits 0-4 / 5-9 tasks, ``FeatureMLP``, supervised and denoising pre-training,
                             linear probe vs fine-tuning vs scratch (``compare_transfer``)
    ``representation_plots`` 15  the chapter's figures
"""
from .utils import seed_everything, setup_notebook, show

__all__ = ["seed_everything", "setup_notebook", "show"]
__version__ = "0.1.0"
