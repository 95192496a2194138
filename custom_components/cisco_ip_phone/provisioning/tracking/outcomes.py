"""Tracker rules for the end of a transfer: served, missing, failed.

Split from ``tracker.py`` so that each module stays small; ``PhoneTracker``
inherits these rules and provides the primitives declared here.
"""

from __future__ import annotations

from typing import Any

from ..tftp.events import TransferEvent
from .boot import PhoneBook
from .files import IMAGE_KINDS, FileKind, FileRequest
from .model import ProvisioningState

State = ProvisioningState


class OutcomeRules:
    """What a finished transfer says about the phone's boot."""

    def _update(self, phone: PhoneBook, **changes: Any) -> None:
        raise NotImplementedError

    def _set_state(
        self,
        phone: PhoneBook,
        state: ProvisioningState,
        file: str | None,
        reason: str,
        *,
        error: str | None = None,
    ) -> None:
        raise NotImplementedError

    def _error(self, phone: PhoneBook, file: str | None, reason: str) -> None:
        raise NotImplementedError

    def _config_accepted(self, phone: PhoneBook, file: str) -> None:
        raise NotImplementedError

    def _on_completed(
        self,
        phone: PhoneBook,
        request: FileRequest,
        event: TransferEvent,
        now: float,
    ) -> None:
        if event.source == "generated" and event.digest:
            name = event.resolved_name or request.name
            self._update(phone, fetched={**phone.obs.fetched, name: event.digest})
        match request.kind:
            case FileKind.SIP_CONFIG:
                self._update(phone, last_config_fetch=now)
                if phone.boot.phase == "app":
                    phone.boot.config_served = True
                    phone.awaiting_since = now
                    if phone.boot.config_followed:
                        phone.boot.config_followed = False
                        self._config_accepted(phone, request.name)
            case FileKind.SEP_CONFIG:
                phone.boot.sep_served = True
                self._update(phone, last_config_fetch=now)
            case FileKind.LOADER_IMAGE:
                phone.boot.image_done = True
                phone.loader_done_at = now
            case FileKind.APP_IMAGE if request.image:
                phone.boot.image_done = True
                count = phone.app_fetches.get(request.image, 0) + 1
                phone.app_fetches[request.image] = count
                if count >= 2:
                    phone.candidate_failed = True
                    self._error(
                        phone,
                        request.name,
                        f"{request.name} was downloaded {count} times without the "
                        "phone starting it; the unit may be faulty or reject the "
                        "image (it then boots the old application)",
                    )
            case _:
                pass

    def _on_failed(
        self, phone: PhoneBook, request: FileRequest, event: TransferEvent
    ) -> None:
        outcome = event.outcome or "failed"
        if request.kind in IMAGE_KINDS:
            if outcome == "not_found":
                phone.candidate_failed = True
                self._set_state(
                    phone,
                    State.FIRMWARE_MISSING,
                    request.name,
                    "firmware file missing",
                    error=f"{request.name} is not on the server: the phone keeps "
                    "its old image",
                )
            else:
                detail = f": {event.error}" if event.error else ""
                self._error(
                    phone,
                    request.name,
                    f"transfer of {request.name} failed ({outcome}{detail})",
                )
        elif (
            request.kind is FileKind.SIP_CONFIG
            and phone.boot.phase == "app"
            and outcome == "not_found"
        ):
            phone.boot.config_served = False
            phone.awaiting_since = None
            self._set_state(
                phone,
                State.UNPROVISIONED,
                request.name,
                "the phone asked for a configuration we do not have",
            )
