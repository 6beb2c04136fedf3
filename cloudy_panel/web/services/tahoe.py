"""Tahoe-LAFS: an introducer and a grid of its own, or a node joining another box's grid."""

from cloudy_panel.web.services import N_, Discovery, Field, Form, Service

_NICKNAME = Field(
    "nickname",
    N_("Nickname"),
    "hostname",
    N_("A nickname is a host name: letters, digits and hyphens, at most 63 per label."),
    help=N_("How the grid's other nodes see this box."),
    max_length=63,
)

SERVICE = Service(
    id="tahoe",
    name="Tahoe-LAFS",
    summary=N_("Encrypted, distributed storage: files are cut into shares kept on several boxes."),
    role="tahoe",
    units=("tahoe-node.service", "tahoe-introducer.service"),
    avahi_types=("_tahoe-introducer._tcp", "_tahoe-storage._tcp"),
    forms=(
        Form(
            "create",
            N_("Create an introducer and a grid"),
            N_("Create the grid"),
            (
                Field(
                    "grid",
                    N_("Grid name"),
                    "text",
                    N_("A grid name has 1 to 15 letters, digits or underscores."),
                    help=N_("Boxes join a grid by this name."),
                    pattern=r"[A-Za-z0-9_]{1,15}",
                    max_length=15,
                ),
                _NICKNAME,
            ),
        ),
        Form(
            "join",
            N_("Join a grid"),
            N_("Join the grid"),
            (
                Field(
                    "furl",
                    N_("Introducer FURL"),
                    "furl",
                    N_("This is not an introducer FURL (pb://ID@tcp:HOST:PORT/NAME)."),
                    help=N_("Found by the Avahi search, or pasted."),
                    max_length=1000,
                ),
                _NICKNAME,
            ),
        ),
    ),
    discovery=(Discovery("_tahoe-introducer._tcp", N_("Join grid"), "join", {"furl": "furl"}),),
    gateway_port=3456,
    order=10,
)
