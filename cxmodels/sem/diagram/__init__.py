"""Path diagrams: the layout engine shared by the covariance-based and PLS engines."""
