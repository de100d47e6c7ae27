"""Convolutions by hand: the lesson's spreadsheet four ways, kernels, padding, stride, pooling (no Kedro)."""
