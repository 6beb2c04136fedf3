"""Node sources: each turns something into a list of Node records."""
