"""The administration area: staff accounts and agencies."""

# The view modules add their routes to the blueprint when imported (after views defines it).
from portal.admin import audit, views  # noqa: F401
