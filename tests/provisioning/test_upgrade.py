"""The per-phone upgrade job: hops, proven stages, percentage, failures, storage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.cisco_ip_phone.provisioning.firmware import (
    Mechanism,
    StageKind,
    scan_catalog,
)
from custom_components.cisco_ip_phone.provisioning.firmware.upgrade import (
    FIRST_STEP_TIMEOUT,
    STEP_TIMEOUT,
    FailureReason,
    JobChange,
    SavedUpgradeError,
    UpgradeError,
    UpgradeErrorCode,
    UpgradeJob,
    UpgradeStatus,
    plan_upgrade,
)
from tests.support.macs import PHONE_MAC

from .test_firmware_catalog import put_sip_812, write

MAC = PHONE_MAC
SCCP_3 = "P00303020214"
TARGET = "P0S3-8-12-00"


def users_job(root: Path, *, skip: str = "", now: float = 1000.0) -> UpgradeJob:
    """The user's walk: SCCP 3.2 -> SIP 6.3 -> universal loader -> SIP 8.12."""
    write(root, "P0S3-06-3-00.bin", 10)
    put_sip_812(root, skip=skip)
    return plan_upgrade(MAC, SCCP_3, TARGET, scan_catalog(root), now=now)


def test_plan_of_the_users_walk(tmp_path: Path) -> None:
    job = users_job(tmp_path)

    assert [hop.image for hop in job.hops] == ["P0S3-06-3-00", "P003-8-12-00", TARGET]
    assert [hop.mechanism for hop in job.hops] == [
        Mechanism.OS79XX,
        Mechanism.OS79XX,
        Mechanism.CONFIG,
    ]
    assert job.target == TARGET
    assert job.image == "P0S3-06-3-00"
    assert job.mechanism is Mechanism.OS79XX
    assert job.in_progress
    assert job.percentage == 0
    assert job.missing == ()
    assert [hop.image for hop in job.hops_ahead] == [hop.image for hop in job.hops]


def test_walk_through_every_hop_with_progress(tmp_path: Path) -> None:
    job = users_job(tmp_path)
    seen = [job.percentage]

    # Hop 1: the old image downloads the whole SIP 6.3 .bin and reboots.
    assert job.handle_transfer("OS79XX.TXT", ok=True, now=1001) is JobChange.NONE
    assert job.handle_transfer("P0S3-06-3-00.bin", ok=True, now=1002) is (
        JobChange.ADVANCED
    )
    assert (job.index, job.image, job.stage) == (1, "P003-8-12-00", None)
    seen.append(job.percentage)

    # Hop 2: SIP 6.3 is told the loader in OS79XX.TXT.
    assert job.handle_transfer("P003-8-12-00.sbn", ok=True, now=1003) is (
        JobChange.ADVANCED
    )
    assert (job.index, job.image, job.mechanism) == (2, TARGET, Mechanism.CONFIG)
    seen.append(job.percentage)

    # Hop 3: the loader checks the manifest, then writes the application.
    assert job.handle_transfer("P0S3-8-12-00.loads", ok=True, now=1004) is (
        JobChange.PROGRESS
    )
    assert job.stage is StageKind.MANIFEST
    seen.append(job.percentage)
    assert job.handle_transfer("./P0S3-8-12-00.SB2", ok=True, now=1005) is (
        JobChange.PROGRESS
    )
    assert job.stage is StageKind.APPLICATION
    seen.append(job.percentage)
    # A late manifest re-check does not move the stage back.
    assert job.handle_transfer("P0S3-8-12-00.loads", ok=True, now=1006) is (
        JobChange.PROGRESS
    )
    assert job.stage is StageKind.APPLICATION
    assert job.in_progress

    # The reboot onto the target proves the rest.
    assert job.handle_firmware("P0S3-08-12-00", now=1007) is JobChange.DONE
    seen.append(job.percentage)
    assert job.status is UpgradeStatus.DONE
    assert not job.in_progress
    assert job.hops_ahead == ()
    assert job.image == TARGET
    assert seen == sorted(seen)
    assert seen[0] == 0
    assert seen[-1] == 100
    assert all(0 < value < 100 for value in seen[1:-1])
    # Nothing moves a finished job.
    assert job.handle_transfer("P0S3-8-12-00.sb2", ok=False, now=1008) is (
        JobChange.NONE
    )
    assert job.handle_firmware(TARGET, now=1009) is JobChange.NONE
    assert job.handle_loop("SIPDefault.cnf", now=1010) is JobChange.NONE
    assert job.tick(1e9) is JobChange.NONE


def test_reported_firmware_skips_hops_it_proves(tmp_path: Path) -> None:
    job = users_job(tmp_path)
    assert job.handle_firmware(SCCP_3, now=1001) is JobChange.NONE
    assert job.handle_firmware(None, now=1001) is JobChange.NONE
    # The phone booted SIP 6.3 (its app asked for SIPDefault.cnf): hop 1 is done.
    assert job.handle_firmware("P0S3-06-3-00", now=1002) is JobChange.ADVANCED
    assert job.index == 1


def test_missing_file_of_a_later_hop_stops_the_walk_there(tmp_path: Path) -> None:
    job = users_job(tmp_path, skip="P0S3-8-12-00.sb2")
    assert job.missing == ("P0S3-8-12-00.sb2",)

    job.handle_transfer("P0S3-06-3-00.bin", ok=True, now=1001)
    assert job.handle_transfer("P003-8-12-00.sbn", ok=True, now=1002) is (
        JobChange.FAILED
    )
    assert job.status is UpgradeStatus.FAILED
    assert job.failure is FailureReason.FILES_MISSING
    assert job.files == ("P0S3-8-12-00.sb2",)
    assert job.detail == TARGET
    assert not job.in_progress

    # Uploading the file lets the phone go on from where it waits.
    catalog = scan_catalog(tmp_path)
    assert job.refresh(catalog, now=1003) is JobChange.NONE
    write(tmp_path, "P0S3-8-12-00.sb2", 30)
    assert job.refresh(scan_catalog(tmp_path), now=1004) is JobChange.RESUMED
    assert job.in_progress
    assert (job.failure, job.files, job.missing) == (None, (), ())
    assert job.handle_transfer("P0S3-8-12-00.sb2", ok=True, now=1005) is (
        JobChange.PROGRESS
    )


def test_file_not_found_during_a_hop_fails_it(tmp_path: Path) -> None:
    job = users_job(tmp_path)
    assert job.handle_transfer("P0S3-06-3-00.bin", ok=False, now=1001) is (
        JobChange.FAILED
    )
    assert (job.failure, job.files) == (
        FailureReason.FILES_MISSING,
        ("P0S3-06-3-00.bin",),
    )
    # A file of no hop says nothing.
    other = users_job(tmp_path)
    assert other.handle_transfer("ring1.raw", ok=False, now=1001) is JobChange.NONE


def test_loop_fails_the_job(tmp_path: Path) -> None:
    job = users_job(tmp_path)
    assert job.handle_loop("OS79XX.TXT", now=1001) is JobChange.FAILED
    assert (job.failure, job.files) == (FailureReason.LOOP, ("OS79XX.TXT",))
    other = users_job(tmp_path)
    other.handle_loop(None, now=1001)
    assert other.files == ()


def test_timeouts_are_long_before_the_first_step_then_shorter(tmp_path: Path) -> None:
    job = users_job(tmp_path, now=0.0)
    assert job.tick(STEP_TIMEOUT + 1) is JobChange.NONE  # waiting for a power cycle
    assert job.tick(FIRST_STEP_TIMEOUT) is JobChange.FAILED
    assert job.failure is FailureReason.TIMEOUT
    assert job.detail == "P0S3-06-3-00"

    moving = users_job(tmp_path, now=0.0)
    moving.handle_transfer("P0S3-06-3-00.bin", ok=True, now=10.0)
    assert moving.tick(10.0 + STEP_TIMEOUT - 1) is JobChange.NONE
    assert moving.tick(10.0 + STEP_TIMEOUT) is JobChange.FAILED
    assert moving.tick(1e9, first_timeout=1, step_timeout=1) is JobChange.NONE


@pytest.mark.parametrize(
    ("current", "target", "code"),
    [
        (None, TARGET, UpgradeErrorCode.UNKNOWN_FIRMWARE),
        ("not-an-image", TARGET, UpgradeErrorCode.UNKNOWN_FIRMWARE),
        (SCCP_3, "SIP41.8-5-4S", UpgradeErrorCode.NO_UPGRADE_PATH),
        (TARGET, TARGET, UpgradeErrorCode.ALREADY_CURRENT),
    ],
)
def test_upgrades_that_cannot_start(
    tmp_path: Path, current: str | None, target: str, code: UpgradeErrorCode
) -> None:
    put_sip_812(tmp_path)
    with pytest.raises(UpgradeError) as caught:
        plan_upgrade(MAC, current, target, scan_catalog(tmp_path), now=0)
    assert caught.value.code is code
    assert str(caught.value)


def test_first_hop_files_missing_cannot_start(tmp_path: Path) -> None:
    put_sip_812(tmp_path)  # no P0S3-06-3-00.bin
    with pytest.raises(UpgradeError) as caught:
        plan_upgrade(MAC, SCCP_3, TARGET, scan_catalog(tmp_path), now=0)
    assert caught.value.code is UpgradeErrorCode.FILES_MISSING
    assert caught.value.files == ("P0S3-06-3-00.bin",)
    assert "P0S3-06-3-00.bin" in str(caught.value)


def test_next_hop_only(tmp_path: Path) -> None:
    write(tmp_path, "P0S3-06-3-00.bin", 10)
    put_sip_812(tmp_path)
    job = plan_upgrade(
        MAC, SCCP_3, TARGET, scan_catalog(tmp_path), now=0, next_hop_only=True
    )
    assert [hop.image for hop in job.hops] == ["P0S3-06-3-00"]
    assert job.target == "P0S3-06-3-00"
    assert job.handle_transfer("P0S3-06-3-00.bin", ok=True, now=1) is (
        JobChange.PROGRESS
    )
    assert job.percentage == 50
    assert job.handle_firmware("P0S3-06-3-00", now=2) is JobChange.DONE


def test_saved_job_round_trips_through_json(tmp_path: Path) -> None:
    job = users_job(tmp_path, skip="P0S3-8-12-00.sb2")
    job.handle_transfer("P0S3-06-3-00.bin", ok=True, now=1001)
    job.handle_transfer("P003-8-12-00.sbn", ok=True, now=1002)
    data = json.loads(json.dumps(job.as_dict()))
    again = UpgradeJob.from_dict(data)
    assert again == job
    running = users_job(tmp_path)
    running.handle_transfer("P0S3-06-3-00.bin", ok=True, now=1001)
    assert UpgradeJob.from_dict(running.as_dict()) == running


def _saved(tmp_path: Path) -> dict[str, Any]:
    return users_job(tmp_path).as_dict()


@pytest.mark.parametrize(
    "change",
    [
        {"version": 99},
        {"mac": "nope"},
        {"target": 5},
        {"hops": []},
        {"hops": "P0S3"},
        {"index": 3},
        {"index": "0"},
        {"started_at": True},
        {"updated_at": None},
        {"detail": 5},
        {"stage": "sideways"},
        {"status": "paused"},
        {"failure": "bad luck"},
        {"files": [1]},
        {"hops": [5]},
        {"hops": [{"image": ""}]},
        {"hops": [{"image": TARGET, "reason": 5}]},
        {"hops": [{"image": TARGET, "mechanism": "carrier pigeon"}]},
        {"hops": [{"image": TARGET, "mechanism": "config", "files": "x"}]},
        {"hops": [{"image": "not firmware", "mechanism": "config", "files": []}]},
    ],
)
def test_corrupt_saved_jobs_are_refused(tmp_path: Path, change: dict[str, Any]) -> None:
    data = {**_saved(tmp_path), **change}
    with pytest.raises(SavedUpgradeError):
        UpgradeJob.from_dict(data)


def test_saved_job_must_be_a_mapping() -> None:
    with pytest.raises(SavedUpgradeError):
        UpgradeJob.from_dict(["not", "a", "job"])


_NAMES = [
    "OS79XX.TXT",
    "P0S3-06-3-00.bin",
    "P003-8-12-00.sbn",
    "P0S3-8-12-00.loads",
    "./P0S3-8-12-00.sb2",
    "SIPDefault.cnf",
    "ring1.raw",
]


_WALK = [
    "P0S3-06-3-00.bin",
    "P003-8-12-00.sbn",
    "P0S3-8-12-00.loads",
    "P0S3-8-12-00.sb2",
]
_STEP = st.tuples(st.sampled_from(_NAMES), st.booleans(), st.booleans())


@given(data=st.data())
@settings(max_examples=80, deadline=None)
def test_progress_never_goes_back(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever else the phone fetches, in any order, progress only moves on."""
    steps: list[tuple[str, bool, bool]] = []
    for name in _WALK:  # the real walk, with noise before each step
        steps += data.draw(st.lists(_STEP, max_size=6))
        steps.append((name, True, False))
    steps += data.draw(st.lists(_STEP, max_size=6))
    job = users_job(tmp_path_factory.mktemp("root"))
    last, now = job.percentage, 1000.0
    for name, ok, report_firmware in steps:
        now += 1
        if report_firmware:
            job.handle_firmware(name.lstrip("./").rsplit(".", 1)[0], now)
        else:
            job.handle_transfer(name, ok=ok, now=now)
        if not job.in_progress:
            break
        assert last <= job.percentage < 100
        assert 0 <= job.index < len(job.hops)
        last = job.percentage
    if job.status is UpgradeStatus.DONE:
        assert job.percentage == 100
