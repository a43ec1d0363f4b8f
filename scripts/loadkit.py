"""What the load scripts share: the tip form's multipart body and nearest-rank percentiles."""

from __future__ import annotations

import math
import secrets

# A file part as a browser sends it: (file name, content type, bytes).
FilePart = tuple[str, str, bytes]
NO_FILE: FilePart = ("", "application/octet-stream", b"")


def multipart(fields: list[tuple[str, str]], file_part: FilePart | None) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends the tip form (an empty file part if none)."""
    boundary = "----RecogniseLoad" + secrets.token_hex(12)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
        for name, value in fields
    ]
    filename, content_type, data = file_part or NO_FILE
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def percentile(values: list[float] | list[int], fraction: float) -> float:
    """Nearest-rank percentile, as locust computes it: `fraction` of the samples are at or under."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)])
