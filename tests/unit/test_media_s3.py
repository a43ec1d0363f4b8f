"""S3MediaStore against a real S3 endpoint (moto server over HTTP), plus S3-only behaviour."""

from __future__ import annotations

import socket
from typing import Any

import boto3
import pytest

from portal import media
from portal.media import MediaError, MediaNotFound, ProcessedImage, S3MediaStore
from tests.unit.test_media import TATTOO, StoreContract, assert_no_metadata

pytestmark = pytest.mark.slow


def raw_client(endpoint: str) -> Any:
    return boto3.session.Session().client("s3", endpoint_url=endpoint)


def all_raw_keys(endpoint: str, bucket: str) -> list[str]:
    pages = raw_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on, so connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def tattoo() -> ProcessedImage:
    return media.process_image(TATTOO.read_bytes())


class TestS3StoreContract(StoreContract):
    @pytest.fixture(params=["", "portal/media"], ids=["no-prefix", "prefix"])
    def store(self, request: pytest.FixtureRequest, s3_server: str, s3_bucket: str) -> S3MediaStore:
        return S3MediaStore(s3_bucket, request.param, endpoint_url=s3_server)


def test_prefix_is_joined_with_a_slash_and_stripped_when_listing(
    s3_server: str, s3_bucket: str
) -> None:
    store = S3MediaStore(s3_bucket, "/portal/media/", endpoint_url=s3_server)
    assert store.prefix == "portal/media"
    assert store.describe() == f"s3://{s3_bucket}/portal/media"
    store.put("images/abc/w320.jpg", b"x", "image/jpeg")
    assert all_raw_keys(s3_server, s3_bucket) == ["portal/media/images/abc/w320.jpg"]
    assert list(store.iter_keys()) == ["images/abc/w320.jpg"]
    assert list(store.iter_keys("images/")) == ["images/abc/w320.jpg"]

    # Stores on other prefixes of the same bucket neither see nor touch these objects.
    sibling = S3MediaStore(s3_bucket, "portal/media-old", endpoint_url=s3_server)
    assert list(sibling.iter_keys()) == []
    assert not sibling.exists("images/abc/w320.jpg")
    unprefixed = S3MediaStore(s3_bucket, endpoint_url=s3_server)
    assert unprefixed.describe() == f"s3://{s3_bucket}"
    assert list(unprefixed.iter_keys()) == ["portal/media/images/abc/w320.jpg"]


def test_content_type_is_stored(s3_server: str, s3_bucket: str) -> None:
    store = S3MediaStore(s3_bucket, endpoint_url=s3_server)
    store.put("images/abc/original.png", b"x", "image/png")
    head = raw_client(s3_server).head_object(Bucket=s3_bucket, Key="images/abc/original.png")
    assert head["ContentType"] == "image/png"


def test_iter_keys_follows_every_page(s3_server: str, s3_bucket: str) -> None:
    store = S3MediaStore(s3_bucket, "p", endpoint_url=s3_server)
    store.list_page_size = 2
    keys = [f"images/set/w{n}.jpg" for n in range(5)]
    for key in keys:
        store.put(key, b"x", "image/jpeg")
    calls: list[str] = []
    store.client.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **kwargs: calls.append("list")
    )
    assert list(store.iter_keys("images/")) == keys
    assert len(calls) == 3


def test_missing_key_is_not_found(s3_server: str, s3_bucket: str) -> None:
    store = S3MediaStore(s3_bucket, "p", endpoint_url=s3_server)
    with pytest.raises(MediaNotFound):
        store.get("images/nothing/w320.jpg")
    assert not store.exists("images/nothing/w320.jpg")


def test_missing_bucket_is_a_storage_error_not_a_missing_key(s3_server: str) -> None:
    store = S3MediaStore("no-such-bucket-here", endpoint_url=s3_server)
    with pytest.raises(MediaError) as caught:
        store.get("images/abc/w320.jpg")
    assert not isinstance(caught.value, MediaNotFound)
    with pytest.raises(MediaError):
        store.put("images/abc/w320.jpg", b"x", "image/jpeg")
    with pytest.raises(MediaError):
        list(store.iter_keys())


@pytest.mark.usefixtures("s3_server")
def test_unreachable_endpoint_is_a_media_error(closed_port: int) -> None:
    store = S3MediaStore(
        "bucket", "p", endpoint_url=f"http://127.0.0.1:{closed_port}", max_retries=0
    )
    failures: list[MediaError] = []
    for operation in (
        lambda: store.put("a/b", b"x", "image/jpeg"),
        lambda: store.get("a/b"),
        lambda: store.exists("a/b"),
        lambda: store.delete("a/b"),
        lambda: list(store.iter_keys()),
    ):
        with pytest.raises(MediaError) as caught:
            operation()
        failures.append(caught.value)
    assert not any(isinstance(failure, MediaNotFound) for failure in failures)
    assert "s3://bucket/p" in str(failures[0])


@pytest.mark.usefixtures("s3_server")
def test_client_retries_and_times_out_as_configured() -> None:
    config = S3MediaStore("bucket", endpoint_url="http://127.0.0.1:9").client.meta.config
    assert config.retries["mode"] == "standard"
    # botocore's max_attempts counts retries: the first try plus 2 retries.
    assert config.retries["total_max_attempts"] == 3
    assert (config.connect_timeout, config.read_timeout) == (3, 5)
    assert config.s3 == {"addressing_style": "path"}


@pytest.mark.usefixtures("s3_server")
def test_a_hung_s3_gives_up_inside_the_worker_timeout() -> None:
    """A tipster waits on the put: a hung S3 must not outlast gunicorn's 30 s worker timeout."""
    config = S3MediaStore("bucket", endpoint_url="http://127.0.0.1:9").client.meta.config
    attempts = config.retries["total_max_attempts"]
    # Each attempt may wait out both timeouts; standard-mode backoff is under 2**n s before try n.
    backoff = sum(2**n for n in range(attempts - 1))
    worst = attempts * (config.connect_timeout + config.read_timeout) + backoff
    assert worst < 30


@pytest.fixture
def silent_port() -> Any:
    """A local port that accepts connections and reads requests but never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.mark.usefixtures("s3_server")
def test_a_put_to_a_server_that_never_answers_is_a_media_error(silent_port: int) -> None:
    # Short timeouts keep the test fast; the defaults are checked above.
    store = S3MediaStore(
        "bucket", endpoint_url=f"http://127.0.0.1:{silent_port}", max_retries=1, read_timeout=0.3
    )
    with pytest.raises(MediaError) as caught:
        store.put("tips/2026010100/abc", b"x" * 1024, "application/octet-stream")
    assert not isinstance(caught.value, MediaNotFound)


def test_a_given_client_is_used_as_is(s3_server: str, s3_bucket: str) -> None:
    client = raw_client(s3_server)
    store = S3MediaStore(s3_bucket, client=client)
    assert store.client is client
    store.put("a/b", b"x", "text/plain")
    assert store.get("a/b") == b"x"


def test_image_set_through_s3_carries_no_metadata(
    s3_server: str, s3_bucket: str, tattoo: ProcessedImage
) -> None:
    store = media.media_store_from_url(f"s3://{s3_bucket}/portal", s3_endpoint_url=s3_server)
    prefix = media.save_processed_image(store, tattoo)
    stored = all_raw_keys(s3_server, s3_bucket)
    assert stored == [
        f"portal/{prefix}/original.jpg",
        f"portal/{prefix}/w320.jpg",
        f"portal/{prefix}/w480.jpg",
    ]
    client = raw_client(s3_server)
    for key in stored:
        blob = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
        assert_no_metadata(blob)
    assert store.get(media.derivative_key(prefix, 320)) == tattoo.derivatives[320]
    media.delete_image_set(store, prefix)
    assert all_raw_keys(s3_server, s3_bucket) == []


class FlakyS3Store(S3MediaStore):
    """An S3 store whose third put fails as if the endpoint had gone away."""

    puts = 0

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.puts == 3:
            raise MediaError("simulated outage")
        super().put(key, data, content_type)


def test_failed_image_set_leaves_nothing_in_the_bucket(
    s3_server: str, s3_bucket: str, tattoo: ProcessedImage
) -> None:
    store = FlakyS3Store(s3_bucket, "portal", endpoint_url=s3_server)
    with pytest.raises(MediaError, match="simulated outage"):
        media.save_processed_image(store, tattoo)
    assert store.puts == 3
    assert all_raw_keys(s3_server, s3_bucket) == []
