"""CaracalDB: a key-value store over the boxes, with its REST API and our web UI (nginx, port 8089)."""

from cloudy_panel.web.services import N_, Discovery, Field, Form, Service

# IPv4:PORT, as the role takes caracaldb_bootstrap (it checks the port's range).
IPV4_PORT = r"((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]):[0-9]{1,5}"

SERVICE = Service(
    id="caracaldb",
    name="CaracalDB",
    summary=N_(
        "A key-value store spread over the boxes, with a REST API and a web page to put and get values."
    ),
    role="caracaldb",
    units=("caracaldb.service", "caracaldb-api.service"),
    avahi_types=("_caracaldb._tcp", "_caracaldb-api._tcp"),
    forms=(
        Form(
            "join",
            N_("Join a CaracalDB"),
            N_("Join this CaracalDB"),
            (
                Field(
                    "bootstrap",
                    N_("Bootstrap server"),
                    "text",
                    N_("Enter the bootstrap server as IPv4:PORT, e.g. 10.1.2.3:45678."),
                    help=N_(
                        "Found by the Avahi search, or typed. Installing alone starts a CaracalDB of its own."
                    ),
                    pattern=IPV4_PORT,
                    max_length=21,
                ),
            ),
        ),
    ),
    discovery=(Discovery("_caracaldb._tcp", N_("Join CaracalDB"), "join", {"bootstrap": "bootstrap"}),),
    order=30,
)
