"""Logging failures without their messages: messages can quote record, tip or restricted text."""

from __future__ import annotations

import logging
import traceback


def log_failure(logger: logging.Logger, what: str, error: BaseException) -> None:
    """Log what failed, the exception type and the code path; never the exception's message."""
    logger.error(
        "%s: %s\n%s",
        what,
        type(error).__name__,
        "".join(traceback.format_tb(error.__traceback__)),
    )
