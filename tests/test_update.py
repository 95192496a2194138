"""The firmware update entity: versions, summary, notes, install errors, storage."""

from __future__ import annotations

from dataclasses import replace
from ftplib import FTP
from pathlib import Path
import socket
from typing import Any

from homeassistant.components.update import (
    ATTR_IN_PROGRESS,
    ATTR_LATEST_VERSION,
    ATTR_RELEASE_SUMMARY,
    ATTR_VERSION,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
    UpdateEntityFeature,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.cisco_ip_phone.const import DOMAIN
from custom_components.cisco_ip_phone.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.cisco_ip_phone.firmware_manager import async_get_manager
from custom_components.cisco_ip_phone.provisioning.tftp import (
    ContentSource,
    TransferEvent,
)
from tests.support.firmware import (
    LOADER,
    SCCP_3,
    SCCP_8,
    SIP_63,
    TARGET,
    UPDATE,
    make_entry,
    observation,
    put_firmware,
    remember_phone,
    setup_entry,
    simulated,
)
from tests.support.ha_common import (
    FTP_PASSWORD,
    PHONE_MAC,
    add_phone_subentry,
    free_port,
)
from tests.support.simphone import PhoneState

from .provisioning.test_firmware_catalog import make_loads


async def _install(hass: HomeAssistant, version: str | None = None) -> None:
    data: dict[str, Any] = {ATTR_ENTITY_ID: UPDATE}
    if version is not None:
        data[ATTR_VERSION] = version
    await hass.services.async_call(UPDATE_DOMAIN, SERVICE_INSTALL, data, blocking=True)


def _transfer(name: str, kind: str, outcome: str) -> TransferEvent:
    """Return the event the TFTP server reports for a phone's transfer."""
    return TransferEvent(
        kind=kind,  # type: ignore[arg-type]
        client=("127.0.0.1", 50000),
        requested_name=name,
        resolved_name=name,
        source=ContentSource.STATIC,
        digest=None,
        size=10,
        bytes_sent=10,
        blocks=1,
        retransmits=0,
        duration=0.1,
        outcome=outcome,  # type: ignore[arg-type]
        error=None,
        timestamp=1_800_000_000.0,
    )


async def test_entity_before_and_after_install(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    hass_ws_client: WebSocketGenerator,
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)

    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_LATEST_VERSION] == TARGET
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.SPECIFIC_VERSION
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
    )
    client = await hass_ws_client(hass)
    await client.send_json(
        {"id": 1, "type": "update/release_notes", "entity_id": UPDATE}
    )
    notes = (await client.receive_json())["result"]
    assert notes.startswith(f"- **{SIP_63}**: {SCCP_3} → {SIP_63}")
    assert f"- **{LOADER}**" in notes

    await _install(hass, SIP_63)  # one hop, by its name
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.attributes[ATTR_LATEST_VERSION] == SIP_63
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_RELEASE_SUMMARY] == f"Hops ahead: {SIP_63}"
    with pytest.raises(HomeAssistantError):  # the entity refuses a second one
        await _install(hass)

    # The walk survives a restart, and the phone is still told its hop.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.images == {PHONE_MAC: SIP_63}
    reloaded = async_get_manager(hass, entry.entry_id)
    assert reloaded is not None
    assert reloaded is not manager
    assert reloaded.in_progress(PHONE_MAC)
    client = await hass_ws_client(hass)
    await client.send_json(
        {"id": 2, "type": "update/release_notes", "entity_id": UPDATE}
    )
    assert (await client.receive_json())["result"].startswith(f"- **{SIP_63}**")


@pytest.mark.parametrize(
    ("saved", "version", "key"),
    [
        (None, None, "phone_offline"),
        (observation(SCCP_3, ip=None), None, "phone_offline"),
        (observation(None), None, "unknown_firmware"),
        (observation(TARGET), TARGET, "already_current"),
        (observation(SCCP_3), "SIP41.8-5-4S", "no_upgrade_path"),
    ],
)
async def test_install_that_cannot_start(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    saved: dict[str, Any] | None,
    version: str | None,
    key: str,
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    if saved is not None:
        remember_phone(hass_storage, entry, saved)
    await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError) as caught:
        await _install(hass, version)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    assert caught.value.translation_placeholders is not None
    assert caught.value.translation_placeholders["phone"] == "Desk"


async def test_ftp_upload_updates_the_catalog(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root, skip=f"{SIP_63}.bin")
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError) as caught:
        await _install(hass)
    assert caught.value.translation_key == "firmware_files_missing"
    ftp = entry.runtime_data.ftp
    assert ftp is not None
    source = tftp_root.parent / "upload.bin"
    source.write_bytes(b"\x01" * 3000)

    def upload() -> None:
        with FTP() as client, source.open("rb") as data:
            client.connect("127.0.0.1", ftp.port, timeout=5)
            client.login("cisco", FTP_PASSWORD)
            client.storbinary(f"STOR {SIP_63}.bin", data)

    await hass.async_add_executor_job(upload)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert manager.catalog is not None
    assert manager.catalog.image(SIP_63) is not None
    await _install(hass)
    assert manager.in_progress(PHONE_MAC)


async def test_phone_asking_for_an_absent_image_raises_an_issue(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    hub = entry.runtime_data
    hub.feed_transfer(_transfer("P0S3-07-4-00.bin", "failed", "not_found"))
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "phone": "Desk",
        "file": "P0S3-07-4-00.bin",
    }
    assert issue.translation_key == "firmware_not_found"  # 7.x .bin files exist
    hub.feed_transfer(_transfer("P0S3-06-3-00.bin", "completed", "ok"))
    assert issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}") is None

    # Uploading the file it asked for clears the issue too.
    hub.feed_transfer(_transfer("./P0S3-07-4-00.bin", "failed", "not_found"))
    assert issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}")
    await manager.async_rescan()
    assert issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}")
    (tftp_root / "P0S3-07-4-00.bin").write_bytes(b"\x07" * 100)
    await manager.async_rescan()
    assert issues.async_get_issue(DOMAIN, f"firmware_not_found_{PHONE_MAC}") is None


async def test_loop_raises_an_issue_and_stops_the_walk(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    await _install(hass)
    hub = entry.runtime_data
    for _ in range(12):
        hub.feed_transfer(_transfer("OS79XX.TXT", "completed", "ok"))
    issues = ir.async_get(hass)
    issue = issues.async_get_issue(DOMAIN, f"phone_loop_{PHONE_MAC}")
    assert issue is not None
    assert issue.translation_placeholders == {"phone": "Desk", "file": "OS79XX.TXT"}
    assert issue.learn_more_url is not None
    assert issue.learn_more_url.endswith("troubleshooting.md#stuck-in-a-loop")
    assert not manager.in_progress(PHONE_MAC)
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.attributes[ATTR_RELEASE_SUMMARY].startswith("Stopped (loop)")

    # Leaving the loop clears the issue.
    hub.feed_transfer(_transfer("SIPDefault.cnf", "completed", "ok"))
    assert issues.async_get_issue(DOMAIN, f"phone_loop_{PHONE_MAC}") is None


async def test_stalled_walk_times_out(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    await _install(hass)
    job = manager.jobs[PHONE_MAC]
    manager.async_tick(job.started_at + manager.first_timeout - 1)
    assert manager.in_progress(PHONE_MAC)
    manager.async_tick(job.started_at + manager.first_timeout)
    assert not manager.in_progress(PHONE_MAC)
    assert "no progress on P0S3-06-3-00" in caplog.text


async def test_versions_compare_as_images(hass: HomeAssistant, tftp_root: Path) -> None:
    manager = await setup_entry(hass, make_entry(tftp_root))
    assert manager.is_newer(TARGET, SCCP_3)
    assert manager.is_newer(TARGET, SIP_63)
    assert not manager.is_newer(SIP_63, TARGET)
    assert not manager.is_newer("P0S3-08-12-00", TARGET)
    assert manager.is_newer("mystery", TARGET)
    assert not manager.is_newer("same", "same")
    # A phone never seen shows no versions and plans nothing.
    assert manager.installed_version(PHONE_MAC) is None
    assert manager.release_summary(PHONE_MAC) is None
    assert manager.percentage(PHONE_MAC) is None
    assert manager.latest_version("001122334455") is None


async def test_a_chosen_older_version_is_kept_after_the_walk(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    older = "P0S3-8-11-00"
    (tftp_root / f"{older}.loads").write_bytes(
        f"{older}.loads\nP003-8-11-00.sbn\n{older}.sb2\n".encode()
    )
    (tftp_root / "P003-8-11-00.sbn").write_bytes(b"\x04" * 100)
    (tftp_root / f"{older}.sb2").write_bytes(b"\x05" * 100)
    entry = make_entry(tftp_root, model="7960")
    remember_phone(hass_storage, entry, observation(SCCP_8))
    manager = await setup_entry(hass, entry)
    await _install(hass, older)
    phone = simulated(entry, SCCP_8, model="7960")
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert report.firmware == older
    # The configured image is 8.12, but the user chose 8.11: it stays.
    assert entry.runtime_data.images == {PHONE_MAC: older}
    assert manager.latest_version(PHONE_MAC) == older
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.state == STATE_OFF
    assert manager.release_notes(PHONE_MAC) is None


async def test_java_phone_targets_the_newest_image_in_the_root(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    installed, newest = "SIP41.8-5-4S", "SIP41.9-4-2SR3-1S"
    parts = ["jar41sip.9-4-2ES26.sbn", "apps41.9-4-2ES26.sbn"]
    (tftp_root / f"{newest}.loads").write_bytes(make_loads(f"{newest}.loads", *parts))
    for part in parts:
        (tftp_root / part).write_bytes(b"\x06" * 100)
    entry = make_entry(tftp_root, model="7941")
    remember_phone(hass_storage, entry, observation(installed))
    manager = await setup_entry(hass, entry)
    assert manager.latest_version(PHONE_MAC) == newest
    assert manager.release_summary(PHONE_MAC) == f"Hops ahead: {newest}"
    await _install(hass)
    assert entry.runtime_data.images == {PHONE_MAC: newest}
    assert manager.in_progress(PHONE_MAC)
    assert (manager.release_notes(PHONE_MAC) or "").startswith(f"- **{newest}**")


async def test_java_phone_without_firmware_in_the_root(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root, model="7941")
    remember_phone(hass_storage, entry, observation("SIP41.8-5-4S"))
    manager = await setup_entry(hass, entry)
    assert manager.latest_version(PHONE_MAC) is None
    assert manager.release_notes(PHONE_MAC) is None
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN, "upgrade_firmware", {ATTR_ENTITY_ID: UPDATE}, blocking=True
        )
    assert caught.value.translation_key == "no_target"


async def test_plans_that_fail_are_explained_not_raised(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(tftp_root, model="7960")
    remember_phone(hass_storage, entry, observation("SIP41.8-5-4S"))  # wrong kind
    manager = await setup_entry(hass, entry)
    assert manager.release_summary(PHONE_MAC) is None
    assert "79x1" in (manager.release_notes(PHONE_MAC) or "")


async def test_sip_phone_is_asked_to_reboot_on_install(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    entry = make_entry(
        tftp_root, model="7960", voip_control_port=free_port(socket.SOCK_DGRAM)
    )
    remember_phone(hass_storage, entry, observation("P0S3-08-11-00"))
    manager = await setup_entry(hass, entry)
    await _install(hass)
    assert entry.runtime_data.syncs == {PHONE_MAC: "2"}
    attempt = manager.resyncs.get(PHONE_MAC)
    assert attempt is not None


async def test_saved_state_is_checked_on_restore(
    hass: HomeAssistant,
    tftp_root: Path,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = make_entry(tftp_root, model="7960")
    key = f"{DOMAIN}.{entry.entry_id}.firmware"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {
            "jobs": [{"version": 1, "mac": "nope"}],
            "syncs": {PHONE_MAC: "7", "001122334455": "3", "00113A4B5C6E": 5},
        },
    }
    await setup_entry(hass, entry)
    assert "Skipping a saved firmware upgrade" in caplog.text
    assert entry.runtime_data.syncs == {PHONE_MAC: "7"}
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_restore_ignores_foreign_data_and_unknown_phones(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root)
    donor = make_entry(tftp_root)
    remember_phone(hass_storage, donor, observation(SCCP_3))
    manager = await setup_entry(hass, donor)
    await _install(hass)
    saved = manager.jobs[PHONE_MAC].as_dict()
    assert await hass.config_entries.async_unload(donor.entry_id)
    await hass.async_block_till_done()

    key = f"{DOMAIN}.{donor.entry_id}"
    hass_storage[key]["data"].update(
        {"jobs": [{**saved, "mac": "001122334455"}], "syncs": ["x"]}
    )
    assert await hass.config_entries.async_setup(donor.entry_id)
    await hass.async_block_till_done()
    reloaded = async_get_manager(hass, donor.entry_id)
    assert reloaded is not None
    assert reloaded.jobs == {}
    assert donor.runtime_data.images == {}


async def test_hook_and_events_of_strangers_are_ignored(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    manager = await setup_entry(hass, entry)
    hub = entry.runtime_data
    hook = manager._client_hook
    assert hook("sipdefault.cnf", "127.0.0.1") is None
    assert hook("os79xx.txt", "192.0.2.9") is None  # not a known phone
    assert hook("os79xx.txt", "127.0.0.1") is None  # no hop: the shared file
    assert hook("syncinfo.xml", "127.0.0.1") is None  # no resync: the shared file
    stranger = _transfer("ring2.raw", "failed", "not_found")
    hub.feed_transfer(replace(stranger, client=("192.0.2.9", 1000)))
    assert ir.async_get(hass).issues == {}

    # A phone never identified, asking for an image that is not there (an
    # SCCP 3.x phone told P0S3-8-12-00 looks for P0S3-8-12-00.bin) is named
    # by its address.
    absent = _transfer("P0S3-8-12-00.bin", "failed", "not_found")
    hub.feed_transfer(replace(absent, client=("192.0.2.9", 1000)))
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "firmware_not_found_192.0.2.9")
    assert issue is not None
    assert issue.translation_placeholders == {
        "phone": "192.0.2.9",
        "file": "P0S3-8-12-00.bin",
    }
    # Cisco never made an 8.x .bin: the advice is the walk, not an upload.
    assert issue.translation_key == "firmware_never_released"
    assert issue.learn_more_url is not None
    assert issue.learn_more_url.endswith("#the-first-step-of-an-sccp-3x-phone")
    got = _transfer("P0S3-06-3-00.bin", "completed", "ok")
    hub.feed_transfer(replace(got, client=("192.0.2.9", 1000)))
    assert ir.async_get(hass).issues == {}
    assert manager._title("001122334455") == "001122334455"


async def test_phone_added_later_is_followed(
    hass: HomeAssistant, tftp_root: Path
) -> None:
    entry = make_entry(tftp_root)
    manager = await setup_entry(hass, entry)
    other = "001122334466"
    add_phone_subentry(hass, entry, other)
    await hass.async_block_till_done()
    assert hass.states.get("update.lobby_firmware") is not None
    assert other in manager.hub.phones


async def test_diagnostics_show_the_walk_and_the_catalog(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    put_firmware(tftp_root, skip=f"{TARGET}.sb2")
    entry = make_entry(tftp_root)
    remember_phone(hass_storage, entry, observation(SCCP_3))
    await setup_entry(hass, entry)
    await _install(hass)
    data = await async_get_config_entry_diagnostics(hass, entry)
    firmware = data["phones"][PHONE_MAC]["firmware"]
    assert firmware["image_override"] == SIP_63
    assert firmware["walk"]["target"] == TARGET
    images = {image["name"]: image for image in data["server"]["firmware"]["images"]}
    assert images[TARGET]["missing"] == [f"{TARGET}.sb2"]
    assert not images[TARGET]["complete"]


async def test_the_spelling_in_the_root_is_kept_after_the_walk(
    hass: HomeAssistant, tftp_root: Path, hass_storage: dict[str, Any]
) -> None:
    padded = "P0S3-08-12-00"  # Cisco's readme spelling; the option says 8-12
    (tftp_root / f"{padded}.loads").write_bytes(
        f"{padded}.loads\nP003-08-12-00.sbn\n{padded}.sb2\n".encode()
    )
    (tftp_root / "P003-08-12-00.sbn").write_bytes(b"\x04" * 100)
    (tftp_root / f"{padded}.sb2").write_bytes(b"\x05" * 100)
    entry = make_entry(tftp_root, model="7960")
    remember_phone(hass_storage, entry, observation(SCCP_8))
    manager = await setup_entry(hass, entry)
    await _install(hass)
    assert manager.jobs[PHONE_MAC].target == padded
    phone = simulated(entry, SCCP_8, model="7960")
    report = await phone.boot()
    await phone.stop()
    await hass.async_block_till_done()
    assert report.state is PhoneState.REGISTERED, report.error
    assert report.firmware == padded
    # Told the configured spelling, the phone would look for files that are
    # not there; it keeps being told the one that exists.
    assert entry.runtime_data.images == {PHONE_MAC: padded}
    state = hass.states.get(UPDATE)
    assert state is not None
    assert state.state == STATE_OFF
