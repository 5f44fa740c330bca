"""Path diagrams: the layout engine shared by the covariance-based and PLS engines."""

from .path import path_diagram

__all__ = ["path_diagram"]
