"""The digital-transformation quiz: content, sampling, ranking, attempts, certificates."""
