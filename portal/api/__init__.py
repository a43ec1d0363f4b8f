"""The public JSON API (v1)."""
