"""Resync bookkeeping: new sync values, the per-phone syncinfo.xml, outcomes."""

from __future__ import annotations

from xml.etree import ElementTree

from custom_components.cisco_ip_phone.provisioning.sip.resync import (
    SYNC_TIMEOUT,
    ResyncBook,
    ResyncState,
    next_sync,
    syncinfo_for,
)
from tests.support.macs import PHONE_MAC

MAC = PHONE_MAC


def test_next_sync_always_differs() -> None:
    assert next_sync(None) == "2"
    assert next_sync("1") == "2"
    assert next_sync("41") == "42"
    assert next_sync("9" * 32) == "1"
    assert next_sync("abc") == "1"
    assert next_sync("") == "2"


def test_syncinfo_names_every_image_with_the_new_value() -> None:
    root = ElementTree.fromstring(syncinfo_for("7"))
    assert [(e.get("VERSION"), e.get("SYNC")) for e in root.iter("IMAGE")] == [
        ("*", "7")
    ]


def test_resync_that_works_requests_then_boots() -> None:
    book = ResyncBook()
    attempt = book.start(MAC, "1", now=0)
    assert (attempt.sync, attempt.state) == ("2", ResyncState.SENT)
    assert book.get(MAC) is attempt
    assert book.booted(MAC) is None  # a boot before syncinfo.xml proves nothing
    assert book.sync_requested(MAC, now=21)
    assert not book.sync_requested(MAC, now=22)  # counted once
    assert book.tick(21 + SYNC_TIMEOUT - 1) == []
    assert book.booted(MAC) is attempt
    assert attempt.state is ResyncState.DONE
    assert book.tick(1e9) == []


def test_resync_without_syncinfo_request_fails() -> None:
    book = ResyncBook(timeout=30)
    book.start(MAC, None, now=0)
    assert book.tick(29) == []
    failed = book.tick(30)
    assert [(a.mac, a.state) for a in failed] == [(MAC, ResyncState.FAILED)]
    assert failed[0].reason == "no syncinfo.xml request followed"
    assert book.tick(60) == []
    assert not book.sync_requested(MAC, now=61)
    assert not book.sync_requested("001122334455", now=61)


def test_resync_without_reboot_fails() -> None:
    book = ResyncBook(timeout=30)
    book.start(MAC, "5", now=0)
    book.sync_requested(MAC, now=20)
    assert book.tick(49) == []
    failed = book.tick(50)
    assert failed[0].reason == "the phone did not reboot"


def test_a_resync_that_could_not_be_sent_fails_at_once() -> None:
    book = ResyncBook(timeout=60)
    book.start("AA", None, 0.0)
    failed = book.fail("AA", "the phone did not answer")
    assert failed is not None
    assert failed.state is ResyncState.FAILED
    assert failed.reason == "the phone did not answer"
    assert book.fail("AA", "again") is None  # already finished
    assert book.fail("BB", "unknown") is None
    assert book.tick(1000.0) == []
