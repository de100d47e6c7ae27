"""Images, convolutions, CNNs, heatmaps and augmentation (no Kedro here)."""
