"""Processes in the read-only API (skeleton)."""
