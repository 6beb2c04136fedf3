"""PeerStreamer: P2P live video; this box publishes a stream, or joins (and relays) another box's."""

from cloudy_panel.web.services import N_, Discovery, Field, Form, Service

# What the role takes as a source from the panel: a URL, a camera (/dev/videoN) or an ffmpeg test
# pattern (lavfi:GRAPH); no file path (the panel's values are never paths on this box). No space,
# quote, backslash, '$' or '%' (the role's command lines).
SOURCE_RE = (
    r"(?:(?:https?|rtsp|rtmp|rtp|udp|srt)://[A-Za-z0-9._~:/?#\[\]@!&()*+,;=-]{1,400}"
    r"|/dev/video[0-9]{1,2}|lavfi:[A-Za-z0-9=:,._/-]{1,200})"
)


def _port(name: str, label: str, help_text: str, high: int = 65535) -> Field:
    return Field(
        name, label, "int", N_("A port is a number from 1024 to 65535."), help=help_text, low=1024, high=high
    )


SERVICE = Service(
    id="peerstreamer",
    name="PeerStreamer",
    summary=N_("Live video from peer to peer: every box that watches a channel also relays it."),
    role="peerstreamer",
    # Every channel's unit is part of this target: stopping it stops them all.
    units=("peerstreamer.target",),
    avahi_types=("_peerstreamer._tcp",),
    forms=(
        Form(
            "publish",
            N_("Publish a video stream"),
            N_("Publish"),
            (
                Field(
                    "description",
                    N_("Description"),
                    "text",
                    N_('A description has 1 to 63 characters, without %, {, }, \\ or ".'),
                    help=N_("How other boxes see the channel."),
                    pattern=r'[^\x00-\x1f\x7f%{}\\"]{1,63}',
                    max_length=63,
                ),
                Field(
                    "source",
                    N_("Source URL"),
                    "text",
                    N_("Enter a URL (http, rtsp, rtmp, udp...), a camera (/dev/video0) or lavfi:testsrc."),
                    help=N_(
                        "What ffmpeg reads: a stream's URL, a camera, or lavfi:testsrc for a test pattern."
                    ),
                    pattern=SOURCE_RE,
                    max_length=420,
                ),
                _port(
                    "port",
                    N_("Port"),
                    N_("The channel's P2P port (UDP); the next port is used inside the box."),
                ),
            ),
        ),
        Form(
            "connect",
            N_("Join video"),
            N_("Join"),
            (
                Field(
                    "peer_ip",
                    N_("Peer IP"),
                    "ip",
                    N_("Enter an IP address."),
                    help=N_("A box that has the channel."),
                ),
                _port("peer_port", N_("Peer port"), N_("The channel's port on that box.")),
                Field(
                    "output",
                    N_("Output"),
                    "text",
                    N_("The output is udp or rtsp."),
                    help=N_("udp: a player reads udp://@:PORT on this box; rtsp: rtsp://THIS-BOX:PORT/."),
                    pattern=r"udp|rtsp",
                    max_length=4,
                    default="udp",
                ),
                _port(
                    "local_port",
                    N_("Local port"),
                    N_(
                        "Where this box serves the video; the next port is its own P2P port "
                        "(it relays the channel)."
                    ),
                    high=65533,
                ),
                Field(
                    "source",
                    N_("Source box"),
                    "ip",
                    N_("Enter an IP address."),
                    help=N_("The box that publishes the channel, when the peer only relays it."),
                    required=False,
                ),
            ),
        ),
    ),
    discovery=(
        Discovery(
            "_peerstreamer._tcp",
            N_("Join video"),
            "connect",
            {"peer_ip": "ip", "peer_port": "port", "source": "source"},
        ),
    ),
    settings_first=True,
    order=20,
)
