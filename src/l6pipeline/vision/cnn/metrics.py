"""Classification metrics for the vision models (fast.ai's ``accuracy`` metric)."""

from __future__ import annotations

import torch
from sklearn.metrics import accuracy_score


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    """Share of rows whose largest logit is the target class (fast.ai's ``accuracy``)."""
    predicted = logits.detach().argmax(dim=1).cpu().numpy()
    return float(accuracy_score(target.detach().cpu().numpy(), predicted))
