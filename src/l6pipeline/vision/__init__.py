"""The vision half of the lesson, no Kedro: images, convolutions by hand, the small CNN, heatmaps
and the pointing game, augmentation and the regularization study, and their figures."""
