"""Which TFTP requests prove each stage of a hop."""

from __future__ import annotations

from pathlib import Path

from custom_components.cisco_ip_phone.provisioning.firmware import (
    Hop,
    Mechanism,
    StageKind,
    hop_stages,
    plan_hops,
    runs_hop_image,
    scan_catalog,
    stage_for_request,
)

from .test_firmware_catalog import put_sip_812, write


def users_walk(root: Path) -> list[Hop]:
    write(root, "P0S3-06-3-00.bin", 10)
    put_sip_812(root)
    return plan_hops("P00303020214", "P0S3-8-12-00", scan_catalog(root))


def test_stages_of_each_hop_of_the_users_walk(tmp_path: Path) -> None:
    old_image, loader, target = users_walk(tmp_path)

    stages = hop_stages(old_image)
    assert [(stage.kind, stage.files) for stage in stages] == [
        (StageKind.IMAGE, frozenset({"p0s3-06-3-00.bin"})),
        (StageKind.RUNNING, frozenset()),
    ]
    assert stages[0].description == (
        "the phone fetched P0S3-06-3-00.bin and will reboot on P0S3-06-3-00"
    )

    assert [(stage.kind, stage.files) for stage in hop_stages(loader)] == [
        (StageKind.LOADER, frozenset({"p003-8-12-00.sbn"})),
        (StageKind.RUNNING, frozenset()),
    ]

    stages = hop_stages(target)
    assert [(stage.kind, stage.files) for stage in stages] == [
        (StageKind.MANIFEST, frozenset({"p0s3-8-12-00.loads"})),
        (StageKind.LOADER, frozenset({"p003-8-12-00.sbn"})),
        (StageKind.APPLICATION, frozenset({"p0s3-8-12-00.sb2"})),
        (StageKind.RUNNING, frozenset()),
    ]
    assert stages[-1].description == "the phone boots and reports P0S3-8-12-00"


def test_stage_for_request_matches_names_as_phones_send_them(tmp_path: Path) -> None:
    target = users_walk(tmp_path)[-1]
    stage = stage_for_request(target, "./P0S3-8-12-00.SB2")
    assert stage is not None
    assert stage.kind is StageKind.APPLICATION
    loader = stage_for_request(target, "/p003-8-12-00.sbn")
    assert loader is not None
    assert loader.kind is StageKind.LOADER
    assert stage_for_request(target, "SIP001122334455.cnf") is None
    assert stage_for_request(target, "P0S3-06-3-00.bin") is None


def test_java_parts_prove_the_application_stage() -> None:
    hop = Hop(
        "SIP41.9-4-2SR3-1S",
        Mechanism.CONFIG,
        ("SIP41.9-4-2SR3-1S.loads", "jar41sip.9-4-2ES26.sbn", "apps41.9-4-2ES26.sbn"),
        "test",
    )
    kinds = [(stage.kind, len(stage.files)) for stage in hop_stages(hop)]
    assert kinds == [
        (StageKind.MANIFEST, 1),
        (StageKind.APPLICATION, 2),
        (StageKind.RUNNING, 0),
    ]


def test_unknown_file_names_count_as_application_files() -> None:
    hop = Hop("P0S3-8-12-00", Mechanism.CONFIG, ("custom.blob",), "test")
    stage = stage_for_request(hop, "CUSTOM.BLOB")
    assert stage is not None
    assert stage.kind is StageKind.APPLICATION


def test_runs_hop_image_accepts_any_spelling() -> None:
    hop = Hop("P0S3-8-12-00", Mechanism.CONFIG, (), "test")
    assert runs_hop_image(hop, "P0S3-8-12-00")
    assert runs_hop_image(hop, "P0S3-08-12-00")
    assert runs_hop_image(hop, "P0S3-8-12-00.loads")
    assert not runs_hop_image(hop, "P0S3-8-11-00")
    assert not runs_hop_image(hop, "P003-8-12-00")
    assert not runs_hop_image(hop, None)
    assert not runs_hop_image(hop, "")
    assert not runs_hop_image(hop, "Cisco-CP7960G/8.0")
