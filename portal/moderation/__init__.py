"""The moderation area: triage of tips (the queue arrives in the next step)."""
