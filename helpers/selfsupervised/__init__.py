"""Self-supervised learning and pre-training (notebook 18): labels are scarce, structure is free.

    contrastive  the NT-Xent / InfoNCE loss and its gradient by hand, its PyTorch twin, the
                 temperature's grip on the hardest negatives
    views        two random views of a digit: notebook 08's augmentations behind one strength knob
    simclr       SimCLR on the digits, the linear probe, the temperature × strength sweep
    mlm          BERT-style masked-language-model pre-training of notebook 11's transformer
                 (bidirectional) on the course corpus, then fine-tuning to tell modules apart
    clip         a tiny CLIP (digit images and their written names) and zero-shot classification
    plots        the chapter's figures
"""
