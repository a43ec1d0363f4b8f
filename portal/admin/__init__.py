"""The administration area: staff accounts and agencies."""
