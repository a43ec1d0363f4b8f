"""Pytest plugin: a real S3 endpoint (moto in server mode over HTTP) and fresh buckets on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

# Dummy credentials so botocore signs requests without ever finding real ones; the profile
# and session token are removed so a developer's AWS setup cannot leak into the tests.
_ENVIRONMENT: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SESSION_TOKEN": None,
    "AWS_SECURITY_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_ENDPOINT_URL": None,
    "AWS_ENDPOINT_URL_S3": None,
}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of an S3 server on a free local port, for the whole session."""
    # The function-scoped monkeypatch fixture cannot serve a session fixture; its context
    # manager form restores every variable at teardown all the same.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _ENVIRONMENT.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        # A proxy configured for the machine must not intercept calls to the local server.
        for name in ("NO_PROXY", "no_proxy"):
            patch.setenv(name, "127.0.0.1,localhost")
        # Port 0 lets the OS pick a free port, so parallel runs cannot collide.
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_bucket(s3_server: str) -> Iterator[str]:
    """The name of a new, empty bucket on `s3_server`, emptied and removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:20]}"
    client = boto3.session.Session().client("s3", endpoint_url=s3_server)
    client.create_bucket(Bucket=name)
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
