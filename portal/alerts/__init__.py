"""Search alerts: a visitor asks to be emailed when a new appeal matches their search."""
