"""The peerstreamer role's peerstreamer_channels module: channel entries checked in one line, and the
streamer's and the feed's command lines built from them (the forms of Cloudy's pscontroller)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PATH = REPO / "ansible_collections/clommunity/cloudy/plugins/modules/peerstreamer_channels.py"
spec = importlib.util.spec_from_file_location("peerstreamer_channels", PATH)
assert spec and spec.loader
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)

PUBLISH = {"name": "tv", "kind": "publish", "port": 6100, "source": "lavfi:testsrc=size=320x240:rate=10"}
CONNECT = {
    "name": "tv",
    "kind": "connect",
    "port": 6100,
    "peer_ip": "10.0.0.2",
    "peer_port": 6100,
    "output_port": 6200,
}


def check(entries: list[Any], may_publish: bool = True) -> list[dict[str, Any]]:
    return mod.channels(entries, "cloud", "10.0.0.3", may_publish)


def test_publish_runs_a_source_node_fed_by_ffmpeg() -> None:
    [ch] = check([PUBLISH])
    assert ch["args"] == "-f null,chunkiser=udp,port0=6101,addr=127.0.0.1 -P 6100 -I cloud"
    assert ch["feed"].startswith("/usr/bin/ffmpeg ")
    assert " -re -f lavfi -i testsrc=size=320x240:rate=10 -c:v mpeg2video " in ch["feed"]
    assert ch["feed"].endswith(" -f mpegts udp://127.0.0.1:6101?pkt_size=1316")
    assert ch["announce"] == {
        "name": "peerstreamer-tv",
        "type": "_peerstreamer._tcp",
        "port": 6100,
        "unit": "peerstreamer@tv.service",
        "instance": "tv",
        "txt": {"source": "10.0.0.3", "ip": "10.0.0.3", "port": "6100"},
    }


@pytest.mark.parametrize(
    ("source", "inputs"),
    [
        ("rtmp://cam.example/live/x", " -i rtmp://cam.example/live/x -c copy "),
        ("/srv/video/a.ts", " -re -stream_loop -1 -i /srv/video/a.ts -c copy "),
        ("/dev/video0", " -f v4l2 -i /dev/video0 -c:v mpeg2video "),
    ],
)
def test_publish_sources(source: str, inputs: str) -> None:
    [ch] = check([PUBLISH | {"source": source}])
    assert inputs in ch["feed"]


def test_connect_udp_is_the_streamer_alone() -> None:
    [ch] = check([CONNECT | {"description": "Relay"}])
    assert (
        ch["args"] == "-i 10.0.0.2 -p 6100 -P 6100 -F null,dechunkiser=udp,port0=6200,addr=127.0.0.1 -I cloud"
    )
    assert ch["feed"] == ""
    assert ch["announce"]["txt"] == {"source": "10.0.0.2", "ip": "10.0.0.3", "port": "6100"}
    assert ch["announce"]["instance"] == "Relay"


def test_connect_rtsp_adds_cvlc() -> None:
    [ch] = check([CONNECT | {"output": "rtsp", "output_port": 8554, "source_ip": "10.0.0.9"}])
    assert "dechunkiser=udp,port0=6101," in ch["args"]
    assert ch["feed"] == "/usr/bin/cvlc --intf dummy udp://@127.0.0.1:6101 --sout #rtp{sdp=rtsp://:8554/tv}"
    assert ch["announce"]["txt"]["source"] == "10.0.0.9"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([PUBLISH | {"name": "Bad Name"}], r"^peerstreamer_channels\[0\] \(Bad Name\): name 'Bad Name'"),
        ([PUBLISH | {"kind": "watch"}], r"kind 'watch' is not publish or connect"),
        ([PUBLISH | {"port": 80}], r"port 80 is not a port from 1024 to 65535"),
        ([PUBLISH | {"port": 70000}], r"port 70000"),
        ([PUBLISH | {"source": "file name.ts"}], r"source 'file name.ts' is not a URL"),
        ([PUBLISH | {"source": "http://x/$HOME"}], r"is not a URL"),
        ([PUBLISH | {"codec": "vp9"}], r"codec 'vp9'"),
        ([PUBLISH | {"description": "a%h"}], r"description"),
        ([PUBLISH | {"peer_ip": "10.0.0.1"}], r"unknown keys for kind publish: peer_ip"),
        ([CONNECT | {"peer_ip": "host"}], r"peer_ip 'host' is not an IPv4 address"),
        ([CONNECT | {"output": "http"}], r"output 'http' is not udp or rtsp"),
        ([CONNECT | {"output_port": 6100}], r"uses a port twice"),
        (
            [PUBLISH, CONNECT | {"port": 7000, "output_port": 7001}],
            r"^peerstreamer_channels\[1\] \(tv\): name tv is used",
        ),
        (
            [PUBLISH, CONNECT | {"name": "b", "port": 7000, "output_port": 6101}],
            r"port 6101 is used by channel tv",
        ),
        (["tv"], r"^peerstreamer_channels\[0\]: is not a mapping"),
    ],
)
def test_bad_entries_name_the_entry(entries: list[Any], message: str) -> None:
    with pytest.raises(mod.Invalid, match=message) as caught:
        check(entries)
    assert "\n" not in str(caught.value)


def test_publish_needs_the_source_group() -> None:
    with pytest.raises(mod.Invalid, match="not in the group peerstreamer_source"):
        check([PUBLISH], may_publish=False)
    assert check([CONNECT], may_publish=False)


def test_interface_and_address_are_checked() -> None:
    with pytest.raises(mod.Invalid, match="peerstreamer_interface"):
        mod.channels([], "a b", "10.0.0.3", True)
    with pytest.raises(mod.Invalid, match="cloudy_overlay_ip"):
        mod.channels([], "cloud", "", True)
