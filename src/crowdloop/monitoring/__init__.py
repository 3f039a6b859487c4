"""Live figures of a project: progress, spend, throughput, ETA and estimated accuracy."""
