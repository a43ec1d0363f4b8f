"""Business operations called by views and the CLI; no request objects in here."""
