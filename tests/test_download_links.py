"""Time-limited download links: presigned S3 URLs checked by the server, signed local links checked by us."""

from __future__ import annotations

import io
import re
import time
import urllib.error
import urllib.request

import pytest

from preservation.errors import AccessDenied
from storage.links import download_link, verify_local_link
from storage.local import LocalStorage
from storage.s3 import S3Storage


def test_presigned_s3_links_work_until_they_expire_and_cannot_be_altered(s3_server, s3_bucket):
    store = S3Storage("cloud", s3_server.client(), s3_bucket, prefix="access")
    store.put("copies/letter.pdf", io.BytesIO(b"%PDF-1.4 access copy"))
    store.put("copies/other.pdf", io.BytesIO(b"not yours"))
    link = download_link(store, "copies/letter.pdf", 60)
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.read() == b"%PDF-1.4 access copy"
    tampered = link.replace("letter.pdf", "other.pdf")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 403
    short = download_link(store, "copies/letter.pdf", 1)
    time.sleep(2.5)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(short, timeout=10)
    assert expired.value.code == 403


def test_signed_local_links(tmp_path):
    store = LocalStorage("primary", tmp_path)
    store.put("copies/letter.pdf", io.BytesIO(b"x"))
    secret = b"portal secret"
    link = download_link(store, "copies/letter.pdf", 60, secret)
    assert verify_local_link(link, "primary", secret) == "copies/letter.pdf"
    with pytest.raises(AccessDenied, match="not valid"):
        verify_local_link(link.replace("letter", "other"), "primary", secret)
    with pytest.raises(AccessDenied, match="not valid"):
        verify_local_link(link, "primary", b"another secret")
    with pytest.raises(AccessDenied, match="expired"):
        verify_local_link(link, "primary", secret, now=time.time() + 61)
    expires = re.search(r"expires=(\d+)", link).group(1)
    loose = ("\uff11" + expires[1:], f"+{expires}", f"0{expires}", f" {expires}", f"{expires[:3]}_{expires[3:]}")
    for written in loose:
        with pytest.raises(AccessDenied, match="not valid"):  # int() would take each of these as the same number
            verify_local_link(link.replace(f"expires={expires}", f"expires={written}"), "primary", secret)
