"""Hooks, channel-mean and Grad-CAM heatmaps, canvases and the pointing game (no Kedro)."""
