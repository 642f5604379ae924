"""Shared mechanisms used by every feature package; no features live here."""
