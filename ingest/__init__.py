"""Ingest: transfer sources, the pipeline steps and the executors that run them."""
