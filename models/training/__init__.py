"""Training (torch): data and synthetic dark cameras, losses, metrics, and one trainer per family of
networks (:mod:`~models.training.curves` for Zero-DCE / Zero-DCE++, :mod:`~models.training.burst`);
which trainer an architecture uses is in :mod:`models.registry`."""
