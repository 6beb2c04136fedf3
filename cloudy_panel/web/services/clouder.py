"""Clouder: a box that runs Docker and hosts containers (the original panel's "Enterprise cloud").

"run" applies role clouder with one more app; the row buttons (start, stop, remove, publish) act on
one container by name (cloudy_panel/helper/clouder.py)."""

from cloudy_panel.web.services import N_, Field, Form, Service

# Role clouder's contract: a container (and unit instance) name, an image, a port.
NAME_RE = r"[a-z0-9][a-z0-9_.-]{0,62}"
IMAGE_RE = r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?"
YES, NO = N_("yes"), N_("no")

NAME = Field(
    "name",
    N_("Container name"),
    "text",
    N_("A name has 1 to 63 lower-case letters, digits, ., _ and -, and starts with a letter or digit."),
    pattern=NAME_RE,
    max_length=63,
)


def _port(label: str, help_text: str) -> Field:
    return Field(
        "port", label, "int", N_("A port is a number from 1 to 65535."), help=help_text, low=1, high=65535
    )


def _button(form_id: str, submit: str, *fields: Field) -> Form:
    return Form(form_id, submit, submit, (NAME, *fields), card=False)


SERVICE = Service(
    id="clouder",
    name="Clouder",
    summary=N_("Docker on this box: run images as containers and publish them to the other boxes."),
    role="clouder",
    units=("docker.service",),
    avahi_types=("_cloudy-app._tcp",),
    forms=(
        Form(
            "run",
            N_("Run an image"),
            N_("Run"),
            (
                NAME,
                Field(
                    "image",
                    N_("Image"),
                    "choice",
                    N_("Choose one of the images on this box."),
                    pattern=IMAGE_RE,
                    max_length=255,
                ),
                _port(N_("Container port"), N_("The port the application listens on inside its container.")),
                Field(
                    "publish",
                    N_("Publish"),
                    "choice",
                    N_("Choose yes or no."),
                    help=N_("Announce it over Avahi, so that the other boxes of the cloud find it."),
                    options=(YES, NO),
                    default=NO,
                ),
            ),
        ),
        _button("start", N_("Start")),
        _button("stop", N_("Stop")),
        _button("remove", N_("Remove")),
        _button("publish", N_("Publish"), _port(N_("Published port"), N_("The port on this box."))),
    ),
    form_states=("running",),  # Docker must run to run images and act on containers
    order=40,
)
