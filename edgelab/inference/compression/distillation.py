"""Knowledge distillation: a small student learns from a large teacher's softened outputs
(Hinton et al., 2015; seed 003 §V-C.1, seed 004's "knowledge transfer").

The student's loss is ``alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) +
(1 - alpha) · CE(student, labels)``; the same student trained on the labels alone is the
baseline.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from edgelab._validate import positive
from edgelab.inference.compression.common import train

__all__ = ["distillation_loss", "distill"]


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      labels: torch.Tensor, temperature: float, alpha: float) -> torch.Tensor:
    """Hinton et al.'s loss: softened KL to the teacher, weighted ``alpha``, plus cross-entropy
    on the labels (seed 003 §V-C.1)."""
    t = temperature
    # Both sides in log space: the KL of two equal distributions is exactly 0, not rounding noise
    # scaled by t².
    soft = F.kl_div(F.log_softmax(student_logits / t, dim=1), F.log_softmax(teacher_logits / t, dim=1),
                    reduction="batchmean", log_target=True) * t * t
    return alpha * soft + (1.0 - alpha) * F.cross_entropy(student_logits, labels)


def distill(teacher: nn.Module, student: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int,
            *, temperature: float = 4.0, alpha: float = 0.9, lr: float = 1e-3,
            seed: int = 0) -> list[float]:
    """Train ``student`` in place on ``(x, y)`` against the trained ``teacher`` (seed 003 §V-C.1).

    ``temperature`` > 0 softens both distributions; ``alpha`` in [0, 1] weighs the teacher's
    term. Returns the loss of each epoch.
    """
    t = positive("temperature", temperature)
    a = positive("alpha", alpha, allow_zero=True)
    if a > 1:
        raise ValueError(f"alpha must be in [0, 1] (the weight of the teacher's term), got {alpha!r}")
    teacher.eval()
    with torch.no_grad():
        soft = teacher(x)

    def loss(out: torch.Tensor, yb: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return distillation_loss(out, soft[idx], yb, t, a)

    return train(student, x, y, epochs, lr=lr, seed=seed, loss_fn=loss)
