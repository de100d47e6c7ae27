"""The shared base below both halves of the lesson: errors, parameter checks, MLflow tracking,
torch pieces (``nn``) and the executors (no Kedro, nothing of Rossmann or vision)."""
