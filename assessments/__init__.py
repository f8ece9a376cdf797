"""Batches, HITs, judgments, quality control, aggregation and export."""
