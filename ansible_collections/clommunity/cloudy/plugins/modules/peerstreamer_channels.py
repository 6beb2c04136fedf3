#!/usr/bin/python3
# Role peerstreamer of cloudy-deploy. GPL-3.0-or-later.
"""Check PeerStreamer channel entries and turn them into command lines. Changes nothing."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: peerstreamer_channels
short_description: Check PeerStreamer channels and build their command lines
description:
  - Checks every entry of I(channels) (name, kind, ports, source, peer, output)
    and the channels together (names and local ports used once); the first bad
    entry fails with one line naming it, before anything is written.
  - Returns each channel with the streamer's arguments (C(args)) and the feed's
    command line (C(feed), empty when the channel needs no second process),
    which is ffmpeg from the source to the local ingest port for C(publish), cvlc from
    the streamer's UDP output to RTSP for C(connect) with C(output=rtsp).
  - Never changes anything.
options:
  channels: {description: the entries of peerstreamer_channels, type: list, elements: raw, required: true}
  interface: {description: the overlay interface (-I), type: str, required: true}
  address: {description: this box's overlay address, type: str, required: true}
  may_publish:
    description: whether this box may publish (group peerstreamer_source)
    type: bool
    required: true
  host: {description: the box's inventory name, for messages, type: str, default: this box}
  configured:
    description: the channel files now on the box (NAME.conf)
    type: list
    elements: str
    default: []
author: cloudy-deploy
"""

RETURN = r"""
channels:
  description: the channels with defaults filled in, args, feed and their announcement (announce)
  type: list
  returned: success
gone: {description: names of the configured channels no longer listed, type: list, returned: success}
withdraw:
  description: the announcements of those, for avahi_announce state=absent
  type: list
  returned: success
"""

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
IFACE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
# No quote, backslash, '$', '%' or space: they go into an EnvironmentFile and systemd splits them.
SOURCE = re.compile(
    r"^(?:(?P<url>(?:https?|rtsp|rtmp|rtp|udp|srt)://[A-Za-z0-9._~:/?#\[\]@!&()*+,;=-]+)"
    r"|(?P<device>/dev/video[0-9]{1,2})|(?P<file>/[A-Za-z0-9._/+-]+)|lavfi:(?P<lavfi>[A-Za-z0-9=:,._/-]+))$"
)
DESCRIPTION = re.compile(r'^[^\x00-\x1f\x7f%{}\\"]{1,63}$')
TYPE = "_peerstreamer._tcp"
KINDS = ("publish", "connect")
OUTPUTS = ("udp", "rtsp")
CODECS = {
    "copy": ["-c", "copy"],
    "mpeg2video": ["-c:v", "mpeg2video", "-q:v", "5", "-g", "12", "-c:a", "mp2"],
    "libx264": ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "50", "-c:a", "mp2"],
}
KEYS = {
    "publish": {"name", "kind", "port", "description", "source", "ingest_port", "codec"},
    "connect": {
        "name",
        "kind",
        "port",
        "description",
        "peer_ip",
        "peer_port",
        "output",
        "output_port",
        "ingest_port",
        "source_ip",
    },
}
FFMPEG = "/usr/bin/ffmpeg -nostdin -hide_banner -loglevel warning"
CVLC = "/usr/bin/cvlc --intf dummy"


class Invalid(ValueError):
    pass


def _port(entry: dict, key: str, default: int | None = None) -> int:
    value = entry.get(key, default)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1024 <= value <= 65535:
        raise Invalid(f"{key} {value!r} is not a port from 1024 to 65535")
    return value


def _ip(entry: dict, key: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    try:
        return str(ipaddress.IPv4Address(str(value)))
    except ValueError:
        raise Invalid(f"{key} {value!r} is not an IPv4 address") from None


def feed_input(source: str) -> tuple[list[str], str]:
    """ffmpeg's input arguments for a source, and the codec `auto` means for it."""
    found = SOURCE.match(source)
    if not found:
        raise Invalid(
            f"source {source!r} is not a URL (http, https, rtsp, rtmp, rtp, udp, srt), an absolute file "
            "path, /dev/videoN or lavfi:GRAPH (no spaces, quotes, '$' or '%')"
        )
    if found["lavfi"]:
        return ["-re", "-f", "lavfi", "-i", found["lavfi"]], "mpeg2video"
    if found["device"]:
        return ["-f", "v4l2", "-i", found["device"]], "mpeg2video"
    if found["file"]:
        # A file plays at its own rate, over and over: a live channel.
        return ["-re", "-stream_loop", "-1", "-i", found["file"]], "copy"
    return ["-i", found["url"]], "copy"


def channel(entry: Any, interface: str, address: str, may_publish: bool) -> dict[str, Any]:
    """One entry, checked, with its command lines."""
    if not isinstance(entry, dict):
        raise Invalid("is not a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise Invalid(
            f"name {name!r}: 1 to 32 lower-case letters, digits, '_' or '-', starting with a letter or digit"
        )
    kind = entry.get("kind")
    if kind not in KINDS:
        raise Invalid(f"kind {kind!r} is not publish or connect")
    unknown = sorted(set(entry) - KEYS[kind])
    if unknown:
        raise Invalid(f"unknown keys for kind {kind}: {', '.join(map(str, unknown))}")
    port = _port(entry, "port")
    description = entry.get("description", name)
    if (
        not isinstance(description, str)
        or not DESCRIPTION.match(description)
        or len(description.encode()) > 63
    ):
        raise Invalid("description: 1 to 63 bytes, no control character, '%', '{', '}', '\\' or '\"'")
    out: dict[str, Any] = {"name": name, "kind": kind, "port": port, "description": description}
    if kind == "publish":
        if not may_publish:
            raise Invalid("publishes, but this box is not in the group peerstreamer_source")
        source = entry.get("source")
        inputs, auto = feed_input(source if isinstance(source, str) else repr(source))
        codec = entry.get("codec", "auto")
        if codec != "auto" and codec not in CODECS:
            raise Invalid(f"codec {codec!r} is not auto, {', '.join(CODECS)}")
        ingest = _port(entry, "ingest_port", port + 1 if port < 65535 else port - 1)
        out |= {"source": source, "ingest_port": ingest, "codec": codec, "source_ip": address}
        out["local_ports"] = [port, ingest]
        out["args"] = f"-f null,chunkiser=udp,port0={ingest},addr=127.0.0.1 -P {port} -I {interface}"
        codec_args = CODECS[auto if codec == "auto" else codec]
        out["feed"] = " ".join(
            [FFMPEG, *inputs, *codec_args, "-f", "mpegts", f"udp://127.0.0.1:{ingest}?pkt_size=1316"]
        )
    else:
        peer_ip, peer_port = _ip(entry, "peer_ip"), _port(entry, "peer_port")
        output = entry.get("output", "udp")
        if output not in OUTPUTS:
            raise Invalid(f"output {output!r} is not udp or rtsp")
        output_port = _port(entry, "output_port")
        out |= {"peer_ip": peer_ip, "peer_port": peer_port, "output": output, "output_port": output_port}
        out["source_ip"] = _ip(entry, "source_ip", peer_ip)
        if output == "udp":
            dechunk, out["feed"] = output_port, ""
            out["local_ports"] = [port, output_port]
        else:
            # The streamer writes to a local UDP port; cvlc reads it and serves RTSP.
            dechunk = _port(entry, "ingest_port", port + 1 if port < 65535 else port - 1)
            out["ingest_port"] = dechunk
            out["local_ports"] = [port, dechunk, output_port]
            out["feed"] = f"{CVLC} udp://@127.0.0.1:{dechunk} --sout #rtp{{sdp=rtsp://:{output_port}/{name}}}"
        out["args"] = (
            f"-i {peer_ip} -p {peer_port} -P {port} -F null,dechunkiser=udp,port0={dechunk},addr=127.0.0.1 "
            f"-I {interface}"
        )
    if len(set(out["local_ports"])) != len(out["local_ports"]):
        raise Invalid(f"uses a port twice: {', '.join(map(str, out['local_ports']))}")
    # TXT ip and port: what a "Join video" form is prefilled with.
    out["announce"] = {
        "name": f"peerstreamer-{name}",
        "type": TYPE,
        "port": port,
        "unit": f"peerstreamer@{name}.service",
        "instance": description,
        "txt": {"source": out["source_ip"], "ip": address, "port": str(port)},
    }
    return out


def channels(entries: Any, interface: str, address: str, may_publish: bool) -> list[dict[str, Any]]:
    """Every entry, checked alone and together; Invalid names the entry at fault."""
    if not isinstance(entries, list):
        raise Invalid("peerstreamer_channels is not a list")
    if not IFACE.match(interface):
        raise Invalid(f"peerstreamer_interface {interface!r} is not an interface name")
    try:
        address = _ip({"peerstreamer_address": address}, "peerstreamer_address")
    except Invalid as exc:
        raise Invalid(f"{exc} (the box's overlay address, cloudy_overlay_ip)") from None
    done: list[dict[str, Any]] = []
    used: dict[int, str] = {}
    for index, entry in enumerate(entries):
        label = f"peerstreamer_channels[{index}]"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            label += f" ({entry['name']})"
        try:
            item = channel(entry, interface, address, may_publish)
            if any(d["name"] == item["name"] for d in done):
                raise Invalid(f"name {item['name']} is used twice")
            for port in item["local_ports"]:
                if port in used:
                    raise Invalid(f"port {port} is used by channel {used[port]} too")
                used[port] = item["name"]
        except Invalid as exc:
            raise Invalid(f"{label}: {exc}") from None
        done.append(item)
    return done


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "channels": {"type": "list", "elements": "raw", "required": True},
            "interface": {"type": "str", "required": True},
            "address": {"type": "str", "required": True},
            "may_publish": {"type": "bool", "required": True},
            "configured": {"type": "list", "elements": "str", "default": []},
            "host": {"type": "str", "default": "this box"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        result = channels(p["channels"], p["interface"], p["address"], p["may_publish"])
    except Invalid as exc:
        module.fail_json(
            msg=f"peerstreamer on {p['host']}: {exc}; fix it in the inventory (nothing was changed)"
        )
    names = {c["name"] for c in result}
    gone = sorted({f[: -len(".conf")] for f in p["configured"] if f.endswith(".conf")} - names)
    withdraw = [{"name": f"peerstreamer-{n}", "type": TYPE, "port": 1024} for n in gone]
    module.exit_json(changed=False, channels=result, gone=gone, withdraw=withdraw)


if __name__ == "__main__":
    main()
