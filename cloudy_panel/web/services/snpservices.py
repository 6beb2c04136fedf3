"""guifi.net's SNPServices: the graph server of a zone (MRTG polls its devices, nginx shows them)."""

from cloudy_panel.web.services import N_, Field, Form, Service

SERVICE = Service(
    id="snpservices",
    name="SNPServices",
    summary=N_("guifi.net's graph server: traffic and availability graphs of the zone's devices."),
    role="snpservices",
    units=("snpservices-poll.timer", "nginx.service"),
    avahi_types=("_snpservice._tcp",),
    forms=(
        Form(
            "settings",
            N_("Graph server settings"),
            N_("Apply the settings"),
            (
                Field(
                    "graph_server_id",
                    N_("Graph server id"),
                    "int",
                    N_("The graph server id is a number from 1 to 99999999."),
                    help=N_("The id of this graph server's service on guifi.net."),
                    low=1,
                    high=99999999,
                ),
                Field(
                    "cnml",
                    N_("CNML source"),
                    "url",
                    N_("Enter an http:// or https:// URL."),
                    help=N_("The zone's CNML export (guifi.net's web gives one per zone)."),
                    max_length=500,
                ),
            ),
        ),
    ),
    category="guifi",
    order=20,
    settings_first=True,
)
