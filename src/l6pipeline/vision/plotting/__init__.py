"""The figures of the cnn pipeline and the plotting helpers they share (no Kedro)."""
