"""guifi.net's DNSServices: BIND serving the zone's domains and reverse zones."""

from cloudy_panel.web.services import N_, Field, Form, Service

SERVICE = Service(
    id="dnsservices",
    name="DNSServices",
    summary=N_("guifi.net's DNS server: the zone's domains and reverse zones, served by BIND."),
    role="dnsservices",
    units=("named.service",),
    avahi_types=("_dnsservice._tcp",),
    forms=(
        Form(
            "settings",
            N_("DNS server settings"),
            N_("Apply the settings"),
            (
                Field(
                    "data",
                    N_("Zone data source"),
                    "url",
                    N_("Enter an http:// or https:// URL."),
                    help=N_("guifi.net's export of the zone's domains."),
                    max_length=500,
                ),
            ),
        ),
    ),
    category="guifi",
    order=30,
    settings_first=True,
)
