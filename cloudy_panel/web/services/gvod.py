"""GVoD: video on demand between the boxes, over a CaracalDB."""

from cloudy_panel.web.services import N_, Discovery, Field, Form, Service
from cloudy_panel.web.services.caracaldb import IPV4_PORT

SERVICE = Service(
    id="gvod",
    name="GVoD",
    summary=N_("Video on demand: the boxes share a video library, peer to peer, over a CaracalDB."),
    role="gvod",
    units=("gvod.service",),
    avahi_types=("_gvod._tcp",),
    forms=(
        Form(
            "settings",
            N_("GVoD settings"),
            N_("Apply the settings"),
            (
                Field(
                    "library",
                    N_("Library folder"),
                    "text",
                    N_("Enter an absolute path of letters, digits, '.', '_', '-' and '/', without '..'."),
                    help=N_("Where the videos are kept on this box."),
                    pattern=r"/(?!.*\.\.)[A-Za-z0-9._/-]{0,200}",
                    max_length=201,
                    default="/var/lib/gvod/library",
                ),
                Field(
                    "caracal",
                    N_("CaracalDB address"),
                    "text",
                    N_("Enter the CaracalDB server as IPv4:PORT, e.g. 10.1.2.3:45678."),
                    help=N_("Found by the Avahi search (a CaracalDB's bootstrap server), or typed."),
                    pattern=IPV4_PORT,
                    max_length=21,
                ),
            ),
        ),
    ),
    discovery=(Discovery("_caracaldb._tcp", N_("Use for GVoD"), "settings", {"caracal": "bootstrap"}),),
    order=31,
    settings_first=True,
)
