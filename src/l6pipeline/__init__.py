"""l6pipeline: fast.ai Lesson 6 (regularization and CNNs) as a reproducible Kedro project."""

__version__ = "0.1.0"
