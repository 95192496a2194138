"""Repair issues of the firmware walk: what a user must upload or check.

One issue per phone and kind, named ``<kind>_<MAC>``; each names the files
and links to the part of the docs that says what to do. They are created and
deleted as the phone's requests and the TFTP root change.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .provisioning.firmware import (
    FirmwareNameError,
    Protocol,
    Role,
    parse_image_name,
)
from .provisioning.firmware.upgrade import UpgradeJob, UpgradeStatus

DOCS: Final = (
    "https://github.com/cisco-ip-phone-provisioning/cisco_ip_phone/blob/main/docs"
)
FIRMWARE_DOCS: Final = f"{DOCS}/firmware.md#if-it-stops"
LOOP_DOCS: Final = f"{DOCS}/troubleshooting.md#stuck-in-a-loop"
FIRST_STEP_DOCS: Final = f"{DOCS}/firmware.md#the-first-step-of-an-sccp-3x-phone"
ISSUE_IMAGE_NOT_FOUND: Final = "firmware_not_found"
# Same issue, other text: the file asked for does not exist anywhere.
NEVER_RELEASED: Final = "firmware_never_released"
ISSUE_HOP_FILES: Final = "hop_files_missing"
ISSUE_LOOP: Final = "phone_loop"


def issue_id(kind: str, mac: str) -> str:
    """Return the id of one phone's issue of one kind."""
    return f"{kind}_{mac}"


@callback
def async_delete_phone_issue(hass: HomeAssistant, kind: str, mac: str) -> None:
    """Delete one phone's issue of one kind (nothing if there is none)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(kind, mac))


@callback
def async_delete_phone_issues(hass: HomeAssistant, mac: str) -> None:
    """Delete every issue of a phone that is no longer configured.

    An issue about a removed phone can never be fixed, so it must not stay.
    """
    suffix = f"_{mac}"
    registry = ir.async_get(hass)
    for domain, issue in list(registry.issues):
        if domain == DOMAIN and issue.endswith(suffix):
            ir.async_delete_issue(hass, DOMAIN, issue)


@callback
def async_delete_all_issues(hass: HomeAssistant) -> None:
    """Delete every issue of the integration (its one server was removed)."""
    registry = ir.async_get(hass)
    for domain, issue in list(registry.issues):
        if domain == DOMAIN:
            ir.async_delete_issue(hass, DOMAIN, issue)


@callback
def async_report_image_not_found(
    hass: HomeAssistant, mac: str, phone: str, file: str
) -> None:
    """Tell the user the phone asked for a firmware file not in the root.

    A SIP 8.x ``.bin`` was never released (8.x ships as .loads/.sbn/.sb2):
    asking for one means an old image was told an image it cannot load, and
    the fix is the firmware walk, not an upload.
    """
    never_released = _never_released(file)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_IMAGE_NOT_FOUND, mac),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=NEVER_RELEASED if never_released else ISSUE_IMAGE_NOT_FOUND,
        translation_placeholders={"phone": phone, "file": file},
        learn_more_url=FIRST_STEP_DOCS if never_released else FIRMWARE_DOCS,
    )


def _never_released(file: str) -> bool:
    """Whether ``file`` is a SIP 8.x single-file image, which Cisco never made."""
    if not file.lower().endswith(".bin"):
        return False
    try:
        image = parse_image_name(file)
    except FirmwareNameError:
        return False
    return (
        image.protocol is Protocol.SIP
        and image.role is Role.IMAGE
        and image.version.major >= 8
    )


@callback
def async_report_loop(
    hass: HomeAssistant, mac: str, phone: str, file: str | None
) -> None:
    """Tell the user the phone asks for the same file over and over."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_LOOP, mac),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_LOOP,
        translation_placeholders={"phone": phone, "file": file or "?"},
        learn_more_url=LOOP_DOCS,
    )


@callback
def async_sync_hop_issue(
    hass: HomeAssistant, mac: str, phone: str, job: UpgradeJob | None
) -> None:
    """Keep the 'hop files missing' issue in line with the phone's walk."""
    running = job is not None and job.status is not UpgradeStatus.DONE
    files = job.missing if job is not None and running else ()
    if job is None or not files:
        async_delete_phone_issue(hass, ISSUE_HOP_FILES, mac)
        return
    image = next(hop.image for hop in job.hops_ahead if hop.missing)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_HOP_FILES, mac),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_HOP_FILES,
        translation_placeholders={
            "phone": phone,
            "image": image,
            "files": ", ".join(files),
        },
        learn_more_url=FIRMWARE_DOCS,
    )
