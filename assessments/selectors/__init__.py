"""Reads: querysets and plain data, with their joins decided in one place."""
