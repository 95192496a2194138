"""The ``render`` command line, driven through the package's ``main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.cisco_ip_phone.provisioning.__main__ import main
from custom_components.cisco_ip_phone.provisioning.cli.render import (
    example_settings,
    load_settings,
)
from custom_components.cisco_ip_phone.provisioning.files.render import render_files
from custom_components.cisco_ip_phone.provisioning.settings.models import ServerSettings


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_example_is_valid_and_renders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "--example"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == example_settings()
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(printed, encoding="utf-8")
    out = tmp_path / "out" / "tftp"
    assert main(["render", "--settings", str(settings_file), "--out", str(out)]) == 0
    server, phones = load_settings(settings_file)
    expected = render_files(server, phones)
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    for name, file in expected.items():
        assert (out / name).read_bytes() == file.content
    assert f"wrote {len(expected)} files" in capsys.readouterr().out


def test_render_overwrites_existing_files(tmp_path: Path) -> None:
    settings_file = _write(tmp_path / "s.json", {"server": {}, "phones": []})
    (tmp_path / "SIPDefault.cnf").write_text("old")
    assert (
        main(["render", "--settings", str(settings_file), "--out", str(tmp_path)]) == 0
    )
    assert (tmp_path / "SIPDefault.cnf").read_bytes() == (
        render_files(ServerSettings(), [])["SIPDefault.cnf"].content
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"server": {"sip_port": 0}}, "(field: sip_port)"),
        ({"server": {"colour": "red"}}, "(field: colour)"),
        ({"phones": [{"mac": "nope"}]}, "(field: mac)"),
        (
            {"phones": [{"mac": "001122334455", "lines": [{"name": "a b"}]}]},
            "line.name",
        ),
        ({"phones": {"mac": "001122334455"}}, "phones must be a list"),
        ({"server": {}, "extra": 1}, "unknown top-level key(s): extra"),
        ([], "must hold a JSON object"),
    ],
)
def test_invalid_settings_exit_2_naming_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data: object,
    message: str,
) -> None:
    settings_file = _write(tmp_path / "s.json", data)
    out = tmp_path / "out"
    assert main(["render", "--settings", str(settings_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "render: invalid settings" in err
    assert message in err
    assert not out.exists()


def test_unreadable_inputs_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{nope", encoding="utf-8")
    assert main(["render", "--settings", str(bad_json), "--out", out]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"server": "\xe9"}')
    assert main(["render", "--settings", str(latin), "--out", out]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err
    missing = tmp_path / "missing.json"
    assert main(["render", "--settings", str(missing), "--out", out]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["render", "--settings", str(missing)]) == 2
    assert "give --settings FILE and --out DIR" in capsys.readouterr().err


def test_unwritable_output_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file = _write(tmp_path / "s.json", {})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert (
        main(["render", "--settings", str(settings_file), "--out", str(blocker)]) == 1
    )
    assert "cannot write to" in capsys.readouterr().err
    target = tmp_path / "out"
    target.mkdir()
    (target / "SIPDefault.cnf").mkdir()  # a folder where a file must go
    assert main(["render", "--settings", str(settings_file), "--out", str(target)]) == 1
    assert not [p for p in target.iterdir() if p.name.startswith(".")]
