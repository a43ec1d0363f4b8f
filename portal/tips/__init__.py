"""Tip submission and the follow-up pages."""
