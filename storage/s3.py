"""S3-compatible storage (boto3): checksummed PUTs, multipart for large objects, streaming GETs.

Every PUT carries a SHA-256 the server checks, so corruption in transit is refused; a multipart
upload carries one per part (the object's own SHA-256 is then only a composite of those, so our
digests, computed while streaming, stay the fixity truth). Parts grow with the object so it stays
under 10,000 parts; memory holds one part at a time. A failed multipart upload is aborted. A key
that exists is never silently replaced unless the caller says so (``If-None-Match``).
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import hashlib
import io
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from preservation.errors import NotFound, StorageError
from storage.base import Readable, StoredObject, check_key
from storage.digests import BackgroundHasher, MultiHasher

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.config import Config

# A boto3 S3 client. boto3 generates its clients at run time and ships no type hints (the
# boto3-stubs package would give them), so the client and its answers are Any here.
S3Client = Any

MIN_PART = 8 * 1024 * 1024
MAX_PARTS = 9_000  # below S3's 10,000, to leave room for objects that grow while streaming
SINGLE_PUT_LIMIT = MIN_PART
PARALLEL_PARTS = 4  # parts in flight at once: memory is at most this many parts


def part_size_for(size: int | None) -> int:
    """A part size keeping an object of ``size`` bytes under MAX_PARTS parts (unknown size: 64 MiB)."""
    if size is None:
        return 8 * MIN_PART
    needed = -(-size // MAX_PARTS)
    return max(MIN_PART, -(-needed // MIN_PART) * MIN_PART)


def _b64_sha256(data: bytes | memoryview) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def client_config(max_attempts: int = 5) -> Config:
    """The botocore settings every S3 client of preserve uses.

    Payload signing is off: every body preserve sends either carries a SHA-256 (or MD5) header that
    is itself signed and that the server checks, or is a small request whose effect is verified
    afterwards — so signing would only hash every byte a further time.
    """
    from botocore.config import Config  # imported here: optional extra 's3', and ~60 ms at start-up  # noqa: PLC0415

    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=10,
        read_timeout=60,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"payload_signing_enabled": False},
    )


def make_client(endpoint: str = "", **credentials: str) -> S3Client:
    """A boto3 S3 client for ``endpoint`` (AWS itself when empty); credentials from the environment chain."""
    import boto3  # imported here: optional extra 's3', and ~80 ms at start-up  # noqa: PLC0415

    return boto3.client("s3", endpoint_url=endpoint or None, config=client_config(), **credentials)


class S3Storage:
    """A storage location in an S3 bucket (any S3-compatible endpoint), under a key prefix."""

    keeps_checksums = True

    def __init__(
        self,
        name: str,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        endpoint: str = "",
        *,
        object_lock_days: int = 0,
        object_lock_mode: str = "GOVERNANCE",
        server_side_encryption: str = "",
        storage_class: str = "",
    ) -> None:
        self.name = name
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint = endpoint
        self.object_lock_days = object_lock_days
        self.object_lock_mode = object_lock_mode
        self.server_side_encryption = server_side_encryption
        self.storage_class = storage_class
        self._lock_checked = False

    def _check_object_lock(self) -> None:
        """Before the first write: a location that promises retention must be a bucket that can give it."""
        if self.object_lock_days <= 0 or self._lock_checked:
            return
        try:
            answer = self.client.get_object_lock_configuration(Bucket=self.bucket)
            enabled = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        except Exception as exc:  # noqa: BLE001
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code != "ObjectLockConfigurationNotFoundError":
                raise self._error(exc, "(bucket)", "check Object Lock on") from exc
            enabled = False
        if not enabled:
            raise StorageError(
                f"{self.describe()}: object_lock_days is set but bucket {self.bucket!r} does not "
                "have Object Lock enabled",
                hint="Object Lock can only be turned on when a bucket is "
                "created: create a new bucket with it, or set object_lock_days = 0.",
            )
        self._lock_checked = True

    def _write_options(self) -> dict[str, str]:
        """Encryption and storage class asked of the server for each new object version."""
        options = {"ServerSideEncryption": self.server_side_encryption} if self.server_side_encryption else {}
        return options | ({"StorageClass": self.storage_class} if self.storage_class else {})

    def current_versions(self, prefix: str) -> dict[str, str]:
        """The current VersionId of every key under ``prefix``; a key whose latest entry is a delete marker,
        and every key of an unversioned bucket, is left out."""
        versions = {}
        try:
            paginator = self.client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for version in page.get("Versions", []):
                    if version.get("IsLatest") and version.get("VersionId") not in (None, "null"):
                        versions[version["Key"][len(self.prefix) :]] = version["VersionId"]
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, prefix or "(all)", "list versions of") from exc
        return versions

    def retain(self, prefix: str) -> dict[str, str]:
        """Lock the current version of every key under ``prefix`` for ``object_lock_days`` (extending, never
        shortening). Called only once an AIP is verified and registered, so a failed ingest can still clean up."""
        versions = self.current_versions(prefix)
        if self.object_lock_days <= 0:
            return versions
        retention = {
            "Mode": self.object_lock_mode,
            "RetainUntilDate": datetime.now(UTC) + timedelta(days=self.object_lock_days),
        }
        for key, version_id in versions.items():
            try:
                self.client.put_object_retention(
                    Bucket=self.bucket, Key=self._key(key), VersionId=version_id, Retention=retention
                )
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, key, "apply retention to") from exc
        return versions

    def legal_hold(self, versions: dict[str, str], on: bool) -> None:
        """Place (or release) a legal hold on each given version: the server then refuses to delete it, whatever
        its retention, until the hold is released."""
        status = {"Status": "ON" if on else "OFF"}
        for key, version_id in versions.items():
            try:
                self.client.put_object_legal_hold(
                    Bucket=self.bucket, Key=self._key(key), VersionId=version_id, LegalHold=status
                )
            except Exception as exc:  # noqa: BLE001
                response = getattr(exc, "response", {})
                code = response.get("Error", {}).get("Code", "")
                if code == "InvalidRequest":
                    raise StorageError(
                        f"{self.describe()}: bucket {self.bucket!r} cannot hold {key}: "
                        f"{response['Error'].get('Message', code)}",
                        hint="Legal holds need a bucket created with Object Lock.",
                    ) from exc
                raise self._error(exc, key, "set a legal hold on") from exc

    def describe(self) -> str:
        """Where this location keeps its bytes."""
        return f"{self.name} (s3://{self.bucket}/{self.prefix}{' at ' + self.endpoint if self.endpoint else ''})"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _error(self, exc: Exception, key: str, action: str) -> Exception:
        # imported here: optional extra 's3' (this module is imported where boto3 is not installed)
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError  # noqa: PLC0415

        if isinstance(exc, EndpointConnectionError):
            return StorageError(
                f"{self.describe()}: cannot reach the server ({exc})",
                hint="Is the object store running, and the endpoint in preserve.toml right?",
            )
        if isinstance(exc, NoCredentialsError):
            return StorageError(
                f"{self.describe()}: no credentials",
                hint="Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile).",
            )
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return NotFound(f"{self.describe()}: {key} is missing")
            if code == "NoSuchBucket":
                return StorageError(
                    f"{self.describe()}: bucket {self.bucket!r} does not exist",
                    hint="Create it, or correct the bucket in preserve.toml.",
                )
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
                return StorageError(
                    f"{self.describe()}: the server refused the credentials ({code})",
                    hint="Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this location.",
                )
            if code == "PreconditionFailed":
                return StorageError(f"{self.describe()}: {key} already exists; it is never silently replaced")
            if code in ("BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"):
                return StorageError(
                    f"{self.describe()}: {key}: the server received different bytes than were sent (checksum refused)",
                    hint="Retry; if it persists, check the network.",
                )
            return StorageError(f"{self.describe()}: cannot {action} {key}: {code or exc}")
        return StorageError(f"{self.describe()}: cannot {action} {key}: {exc}")

    def put(
        self,
        key: str,
        stream: Readable,
        *,
        size: int | None = None,
        algorithms: tuple[str, ...] = ("sha256",),
        durable: bool = True,
        overwrite: bool = True,
    ) -> StoredObject:
        """Upload ``stream``; a single checksummed PUT when small, else a checksummed multipart upload."""
        self._check_object_lock()
        full_key = self._key(key)
        hasher = MultiHasher(tuple(dict.fromkeys((*algorithms, "sha256"))))
        part_size = part_size_for(size)
        first = _read_exactly(
            stream,
            min(part_size, SINGLE_PUT_LIMIT) if size is None or size > SINGLE_PUT_LIMIT else SINGLE_PUT_LIMIT + 1,
        )
        if len(first) <= SINGLE_PUT_LIMIT and (size is None or size <= SINGLE_PUT_LIMIT):
            rest = stream.read(1)
            if not rest:
                hasher.update(first)
                return self._single_put(key, full_key, first, hasher, size, overwrite)
            first += rest
        background = BackgroundHasher(hasher.algorithms, backlog=PARALLEL_PARTS)
        try:
            return self._multipart(key, full_key, first, stream, background, size, part_size, overwrite)
        finally:
            background.close()

    def _single_put(
        self, key: str, full_key: str, data: bytes, hasher: MultiHasher, size: int | None, overwrite: bool
    ) -> StoredObject:
        if size is not None and len(data) != size:
            raise StorageError(
                f"{self.describe()}: {key}: expected {size} bytes, received {len(data)}",
                hint="The source changed or was truncated while it was being stored.",
            )
        extra = self._write_options() | ({} if overwrite else {"IfNoneMatch": "*"})
        try:
            checksum = base64.b64encode(bytes.fromhex(hasher.hexdigests()["sha256"])).decode()
            answer = self.client.put_object(
                Bucket=self.bucket, Key=full_key, Body=data, ChecksumSHA256=checksum, **extra
            )
        except Exception as exc:  # noqa: BLE001 - mapped to a StorageError that names the location
            raise self._error(exc, key, "write") from exc
        return StoredObject(
            key=key, size=len(data), digests=hasher.hexdigests(), version_id=answer.get("VersionId") or ""
        )

    def _multipart(
        self,
        key: str,
        full_key: str,
        first: bytes,
        stream: Readable,
        hasher: BackgroundHasher,
        size: int | None,
        part_size: int,
        overwrite: bool,
    ) -> StoredObject:
        try:
            upload = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=full_key, ChecksumAlgorithm="SHA256", **self._write_options()
            )
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, key, "write") from exc
        upload_id = upload["UploadId"]
        parts: list[dict[str, str | int]] = []
        total, number = 0, 1
        pending: deque[Future[dict[str, str | int]]] = deque()

        def send(part_number: int, chunk: bytes) -> dict[str, str | int]:
            checksum = _b64_sha256(chunk)
            answer = self.client.upload_part(
                Bucket=self.bucket,
                Key=full_key,
                UploadId=upload_id,
                PartNumber=part_number,
                Body=chunk,
                ChecksumSHA256=checksum,
            )
            return {
                "PartNumber": part_number,
                "ETag": answer["ETag"],
                "ChecksumSHA256": answer.get("ChecksumSHA256") or checksum,
            }

        pool = ThreadPoolExecutor(PARALLEL_PARTS)
        try:
            chunk = first + _read_exactly(stream, part_size - len(first))
            while chunk:  # read and hash in order; upload up to PARALLEL_PARTS parts at once
                hasher.update(chunk)
                total += len(chunk)
                if len(pending) >= PARALLEL_PARTS:
                    parts.append(pending.popleft().result())
                pending.append(pool.submit(send, number, chunk))
                number += 1
                chunk = _read_exactly(stream, part_size)
            while pending:
                parts.append(pending.popleft().result())
            if size is not None and total != size:
                raise StorageError(
                    f"{self.describe()}: {key}: expected {size} bytes, received {total}",
                    hint="The source changed or was truncated while it was being stored.",
                )
            extra = {} if overwrite else {"IfNoneMatch": "*"}
            answer = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=full_key, UploadId=upload_id, MultipartUpload={"Parts": parts}, **extra
            )
        except BaseException as exc:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            with contextlib.suppress(Exception):  # the original failure is what matters
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=full_key, UploadId=upload_id)
            if isinstance(exc, StorageError) or not isinstance(exc, Exception):
                raise
            raise self._error(exc, key, "write") from exc
        pool.shutdown()
        return StoredObject(key=key, size=total, digests=hasher.hexdigests(), version_id=answer.get("VersionId") or "")

    def open(self, key: str, version_id: str = "") -> BinaryIO:
        """A streaming reader of ``key`` (of one version of it, if given)."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **extra)
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, key, "read") from exc
        # a readable binary stream: read, readinto, close and the context manager are all a reader uses
        return cast(BinaryIO, _Body(answer["Body"]))

    def stat(self, key: str) -> StoredObject:
        """Size, version and the store's own checksum of ``key``."""
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED")
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, key, "examine") from exc
        digests = {"store-sha256": answer["ChecksumSHA256"]} if answer.get("ChecksumSHA256") else {}
        return StoredObject(
            key=key,
            size=answer["ContentLength"],
            digests=digests,
            version_id=answer.get("VersionId") or "",
            modified=answer["LastModified"].timestamp() if answer.get("LastModified") else 0.0,
        )

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object under ``prefix``, in key order (paginated)."""
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(
                        key=item["Key"][len(self.prefix) :],
                        size=item["Size"],
                        modified=item["LastModified"].timestamp(),
                    )
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, prefix or "(all)", "list") from exc

    def delete(self, key: str) -> None:
        """Remove ``key`` — every version of it on a versioned bucket, so an aborted write leaves nothing behind.

        A version under retention cannot be removed: the server refuses and the error says so.
        """
        full_key = self._key(key)
        try:
            answer = self.client.list_object_versions(Bucket=self.bucket, Prefix=full_key)
            versions = [
                v["VersionId"]
                for v in (*answer.get("Versions", []), *answer.get("DeleteMarkers", []))
                if v["Key"] == full_key and v.get("VersionId") not in (None, "null")
            ]
            for version_id in versions:
                self.client.delete_object(Bucket=self.bucket, Key=full_key, VersionId=version_id)
            if not versions:
                self.client.delete_object(Bucket=self.bucket, Key=full_key)
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, key, "delete") from exc

    def sync(self, keys: Iterable[str]) -> None:
        """Nothing to do: an acknowledged PUT is durable on an object store."""

    def presigned_url(self, key: str, seconds: int) -> str:
        """A GET link to ``key`` that the server honours for ``seconds`` seconds."""
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=seconds
        )
        return url

    def abandoned_writes(self, older_than: float, remove: bool = False, prefix: str = "") -> builtins.list[str]:
        """Multipart uploads under this location's prefix started more than ``older_than`` seconds ago and
        never completed (their parts are stored, and billed, until aborted); aborted if asked."""
        found: builtins.list[str] = []
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] >= cutoff:
                        continue
                    found.append(
                        f"{upload['Key'][len(self.prefix) :]} (multipart upload started "
                        f"{upload['Initiated']:%Y-%m-%d %H:%M} UTC)"
                    )
                    if remove:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "(multipart uploads)", "list or abort") from exc
        return found


def _read_exactly(stream: Readable, count: int) -> bytes:
    """Up to ``count`` bytes (fewer only at the end of the stream); one read, without a copy, where it suffices."""
    first = stream.read(count)
    if not first or len(first) >= count:
        return first or b""
    pieces, have = [first], len(first)
    while have < count:
        chunk = stream.read(count - have)
        if not chunk:
            break
        pieces.append(chunk)
        have += len(chunk)
    return b"".join(pieces)


class _Body(io.RawIOBase):
    """boto3's streaming body as a readable binary file (for hash_stream and shutil)."""

    def __init__(self, body: Any) -> None:  # botocore's StreamingBody (no type hints)
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:  # released on return: RawIOBase.read resizes its bytearray after
            data = self.body.read(len(view))
            view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.body.close()
        super().close()
