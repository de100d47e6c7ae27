"""Lesson 6's CNN half, no Kedro: ``images`` (where images come from), ``convolutions`` (by
hand: the spreadsheet, kernels, padding, stride, pooling), ``cnn`` (the small CNN and its
training), ``interpretation`` (hooks, heatmaps, the pointing game), ``augmentation``
(get_transforms on kornia, galleries, the regularization study), ``plotting`` (figures)."""
