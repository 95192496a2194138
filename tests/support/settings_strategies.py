"""Hypothesis strategies for valid phones and settings, shared by engine tests."""

from __future__ import annotations

from hypothesis import strategies as st

from custom_components.cisco_ip_phone.provisioning.settings.models import (
    MODELS,
    UNPROVISIONED,
    Codec,
    ConfigStyle,
    DialRule,
    DstRule,
    Line,
    NtpMode,
    PhoneConfig,
    RingTone,
    ServerSettings,
)

# Printable ASCII minus the two characters the .cnf format cannot carry.
SAFE = st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='";')
# Everything that has ever broken a config generator, plus plain text.
NASTY = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.sampled_from(list("ab1 \"';:#<>&\n\r\t\\=/\u201c\u201d\x00é")),
        max_size=20,
    ),
    st.text(alphabet=SAFE, max_size=40),
)


def safe_text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=SAFE, max_size=max_size)


hosts = st.sampled_from(["", "pbx", "sip.example.org", "10.0.0.1", "a-b.c-d.net"])
required_hosts = hosts.filter(bool)
ports = st.integers(1, 65535)
line_names = st.from_regex(r"[A-Za-z0-9._+~!*'()#-]{1,20}", fullmatch=True).filter(
    lambda name: name.upper() != UNPROVISIONED
)
auth_names = st.one_of(
    st.just(""), st.from_regex(r"[A-Za-z0-9._@$%&=,+-]{1,20}", fullmatch=True)
)
images_79x0 = st.sampled_from(["P0S3-8-12-00", "P0S3-08-2-00", "P0S3-07-4-00"])
syncs = st.from_regex(r"[A-Za-z0-9._-]{1,32}", fullmatch=True)

lines = st.builds(
    Line,
    name=line_names,
    auth_name=auth_names,
    password=safe_text(64),
    display_name=safe_text(32),
    short_name=safe_text(16),
)

dst_rules = st.builds(
    DstRule,
    month=st.integers(1, 12),
    day=st.integers(0, 31),
    day_of_week=st.integers(1, 7),
    week_of_month=st.sampled_from([1, 2, 3, 4, 5, 6, 8]),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)

dial_rules = st.builds(
    DialRule,
    match=st.from_regex(r"[0-9*#.,+\\]{1,12}", fullmatch=True),
    timeout=st.integers(0, 60),
    user=st.sampled_from(["", "IP", "Phone"]),
    rewrite=st.from_regex(r"[A-Za-z0-9*#+%.,@_-]{0,12}", fullmatch=True),
)

ring_tones = st.builds(
    RingTone,
    display_name=safe_text(25).filter(lambda t: t.strip() != "" and t == t.strip()),
    file_name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}\.raw", fullmatch=True),
)


@st.composite
def server_settings(draw: st.DrawFn) -> ServerSettings:
    start = draw(st.integers(1024, 65535))
    return ServerSettings(
        sip_proxy=draw(hosts),
        sip_port=draw(ports),
        proxy_register=draw(st.booleans()),
        outbound_proxy=draw(hosts),
        outbound_proxy_port=draw(ports),
        ntp_server=draw(hosts),
        ntp_mode=draw(st.sampled_from(NtpMode)),
        time_zone=draw(st.sampled_from(["GMT", "CET", "EST", "8", "UTC+1"])),
        dst_auto_adjust=draw(st.booleans()),
        dst_offset=draw(st.integers(0, 12)),
        dst_start=draw(dst_rules),
        dst_stop=draw(dst_rules),
        time_format_24hr=draw(st.booleans()),
        date_format=draw(st.sampled_from(["M/D/Y", "D/M/Y", "Y-M-D", "D.M.YY"])),
        nat_enable=draw(st.booleans()),
        nat_address=draw(hosts),
        nat_received_processing=draw(st.booleans()),
        voip_control_port=draw(ports),
        start_media_port=start,
        end_media_port=draw(st.integers(start, 65535)),
        preferred_codec=draw(st.sampled_from(Codec)),
        timer_register_expires=draw(st.integers(1, 3932100)),
        dial_plan=tuple(draw(st.lists(dial_rules, max_size=4))),
        ring_tones=tuple(draw(st.lists(ring_tones, max_size=3))),
        image_79x0=draw(images_79x0),
        phone_password=draw(safe_text(31)),
        telnet_level=draw(st.integers(0, 2)),
        messages_uri=draw(st.from_regex(r"[A-Za-z0-9*#+.@_-]{0,10}", fullmatch=True)),
        directory_url=draw(st.sampled_from(["", "http://web/dir.xml"])),
        services_url=draw(st.sampled_from(["", "https://web/svc?x=1&y=2"])),
        logo_url=draw(st.sampled_from(["", "http://web/logo.bmp"])),
    )


@st.composite
def phones_79x0(draw: st.DrawFn, settings: ServerSettings) -> PhoneConfig:
    """Return a 7940/7960 whose overrides differ from the server values.

    An override equal to the server value renders the same bytes as no
    override, so an import cannot tell them apart.
    """
    model = draw(
        st.sampled_from(
            [m for m, v in MODELS.items() if v.config_style is ConfigStyle.CNF]
        )
    )
    keys = MODELS[model].line_keys
    proxy = draw(required_hosts.filter(lambda h: h != settings.sip_proxy) | st.just(""))
    port = draw(st.one_of(st.none(), ports.filter(lambda p: p != settings.sip_port)))
    image = draw(images_79x0.filter(lambda i: i != settings.image_79x0) | st.just(""))
    password = draw(
        st.one_of(
            st.none(),
            safe_text(31).filter(lambda p: p != settings.phone_password),
        )
    )
    return PhoneConfig(
        mac=draw(st.from_regex(r"[0-9A-F]{12}", fullmatch=True)),
        model=model,
        label=draw(safe_text(32)),
        lines=tuple(draw(st.lists(lines, max_size=keys))),
        proxy_address=proxy,
        proxy_port=port,
        image=image,
        dial_plan=draw(st.booleans()) if settings.dial_plan else True,
        phone_password=password,
    )
