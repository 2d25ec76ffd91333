"""Domain logic: plain Python that knows nothing of any messenger."""
