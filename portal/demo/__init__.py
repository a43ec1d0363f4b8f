"""Fictional demo appeals, synthetic bulk records and the drawings that illustrate them."""
