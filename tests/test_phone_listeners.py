"""A phone subscription undoes itself once, whatever happened in between."""

from __future__ import annotations

from custom_components.cisco_ip_phone.phone_listeners import (
    PhoneListener,
    PhoneSubscription,
)
from custom_components.cisco_ip_phone.provisioning.tracking.tracker import TrackerEvent


def _listener(calls: list[str], name: str) -> PhoneListener:
    def listen(events: tuple[TrackerEvent, ...]) -> None:
        calls.append(name)

    return listen


def test_removing_the_last_listener_forgets_the_phone() -> None:
    calls: list[str] = []
    first, second = _listener(calls, "first"), _listener(calls, "second")
    listeners: dict[str, list[PhoneListener]] = {"A": [first, second]}
    remove_first = PhoneSubscription(listeners, "A", first)
    remove_second = PhoneSubscription(listeners, "A", second)
    remove_first()
    assert listeners == {"A": [second]}
    remove_first()  # twice: nothing more
    assert listeners == {"A": [second]}
    remove_second()
    assert listeners == {}  # no empty list per removed phone
    remove_second()
    assert listeners == {}


def test_an_old_subscription_never_removes_a_newer_listener() -> None:
    """Removed, then the phone's list rebuilt: the old undo finds nothing."""
    calls: list[str] = []
    old, new = _listener(calls, "old"), _listener(calls, "new")
    listeners: dict[str, list[PhoneListener]] = {"A": [old]}
    remove_old = PhoneSubscription(listeners, "A", old)
    listeners["A"] = [new]  # e.g. the entity list was rebuilt without it
    remove_old()
    assert listeners == {"A": [new]}
    gone = PhoneSubscription(listeners, "B", old)  # a phone nobody follows
    gone()
    assert listeners == {"A": [new]}
