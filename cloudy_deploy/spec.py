"""The cloud spec (cloudy.yml): pydantic models, and a loader whose errors name file, line and fix."""

import difflib
import gc
import hashlib
import re
import reprlib
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from cloudy_deploy.errors import BadInput

SPEC_FILE = "cloudy.yml"
DEFAULT_SUBNET = IPv4Network("10.99.0.0/16")
# tinc names the network's interface after it by default: Linux allows 15 characters (IFNAMSIZ).
CLOUD_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
# Interface names Linux refuses or already has: its sysctl folders (net/ipv4/conf/all, default), lo.
KERNEL_NAMES = frozenset({"all", "default", "lo"})
# libyaml's parser when there: fast, and it refuses deep nesting where PyYAML's would recurse.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Model(BaseModel):
    # Strict: `port: true` or `spines: "3"` are mistakes to report, not values to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _source_ref(entry: Any) -> Any:
    # Imported late: sources.static imports check_tree from here.
    from cloudy_deploy.sources import SourceRef, from_spec

    return entry if isinstance(entry, SourceRef) else from_spec(entry)


def file_path_ok(path: str) -> bool:
    """A path that SSH and Ansible can take: not blank, no control characters, names of at most 255
    bytes and 4095 in all (Linux's NAME_MAX and PATH_MAX)."""
    return (
        bool(path.strip())
        and not re.search(r"[\x00-\x1f\x7f]", path)
        and len(path.encode()) < 4096
        and all(len(part.encode()) <= 255 for part in path.split("/"))
    )


def parse_subnet(value: Any) -> IPv4Network:
    """An IPv4 CIDR for the overlay; a ValueError says how to fix it."""
    if isinstance(value, IPv4Network):
        return value
    try:
        net = ip_network(str(value), strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 network: write it as CIDR, e.g. 10.99.0.0/16") from None
    if net.version != 4:
        raise ValueError(f"{value} is IPv6: the overlay is IPv4, e.g. 10.99.0.0/16")
    if str(net) != str(value).strip():
        raise ValueError(f"{value} has host bits set: did you mean {net}?")
    if net.prefixlen > 30:
        raise ValueError(f"{net} has no room for boxes (the first host address is kept): use a /30 or larger")
    # A public, loopback or link-local range would take routes away from the real networks.
    unspecified = net.subnet_of(IPv4Network("0.0.0.0/8"))
    if (
        unspecified
        or net.is_global
        or net.is_loopback
        or net.is_link_local
        or net.is_multicast
        or net.is_reserved
    ):
        raise ValueError(
            f"{net} is not a private range: take one from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"
            " or 100.64.0.0/10"
        )
    return net


class Overlay(_Model):
    subnet: Annotated[IPv4Network, PlainValidator(parse_subnet)] = DEFAULT_SUBNET
    port: int = Field(655, ge=1, le=65535)
    topology: Literal["auto", "full", "spine"] = "auto"
    spines: int = Field(3, ge=1)


class Ssh(_Model):
    user: str = "root"
    private_key: str | None = None

    @field_validator("private_key", mode="before")
    @classmethod
    def _key_path(cls, value: Any) -> Any:
        if isinstance(value, str) and not file_path_ok(value):
            raise ValueError(f"{short(value)} is not a file path: give e.g. private_key: ~/.ssh/id_ed25519")
        return value

    @field_validator("user", mode="before")
    @classmethod
    def _user_name(cls, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}", value):
            raise ValueError(f"{value!r} is not a user name: use letters, digits, _ . - (e.g. user: root)")
        return value


class Shares(_Model):
    needed: int = Field(2, ge=1, le=256)
    happy: int = Field(3, ge=1, le=256)
    total: int = Field(3, ge=1, le=256)

    @model_validator(mode="after")
    def _ordered(self) -> "Shares":
        if self.needed > self.happy:
            raise ValueError(f"needed ({self.needed}) > happy ({self.happy}): make needed <= happy <= total")
        if self.happy > self.total:
            raise ValueError(f"happy ({self.happy}) > total ({self.total}): make needed <= happy <= total")
        return self


class Tahoe(_Model):
    introducers: int = Field(1, ge=1)
    storage: Literal["all"] | int = "all"
    shares: Shares = Shares()
    # Space each storage box keeps free for others (Tahoe's size syntax: 500M, 1G, 2.5GiB).
    reserved_space: str = "1G"

    @field_validator("reserved_space", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        if type(value) is int and value >= 0:
            return str(value)
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?\s*([kKMGT]i?B?|B)?", value.strip()):
            return value.strip()
        raise ValueError(f"{value!r} is not a size: write e.g. 500M, 1G or 2.5GiB")

    @field_validator("storage", mode="before")
    @classmethod
    def _all_or_count(cls, value: Any) -> Any:
        if value == "all" or (type(value) is int and value >= 1):
            return value
        raise ValueError(f"{value!r}: write `all` or a number of boxes (1 or more)")


class Artifact(_Model):
    """Software the admin supplies (it is in no registry reachable here): a file beside cloudy.yml or
    a URL, with its sha256. The cloud's repository fetches it once; every box checks the hash."""

    src: str | None = None  # a file on the controller, relative to cloudy.yml's folder
    url: str | None = None  # or an http(s) URL the repository box fetches
    sha256: str

    @field_validator("src", mode="before")
    @classmethod
    def _src(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and file_path_ok(value) and "://" not in value):
            return value
        raise ValueError(
            f"{short(value)} is not a file path: give e.g. src: files/streamer (from cloudy.yml's folder)"
        )

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and is_url(value)):
            return value
        raise ValueError(f"{short(value)} is not an http(s) URL: give e.g. url: https://example.org/streamer")

    @field_validator("sha256", mode="before")
    @classmethod
    def _sha256(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value.strip()):
            return value.strip().lower()
        raise ValueError(f"{short(value)} is not a sha256: write its 64 hex digits (`sha256sum FILE`)")

    @model_validator(mode="after")
    def _one_place(self) -> "Artifact":
        if (self.src is None) == (self.url is None):
            raise ValueError("give the file as src: PATH or url: URL, one of them, with its sha256")
        return self

    @property
    def name(self) -> str:
        """The file's name in the repository's store: the last part of its path or URL."""
        last = (self.src or (self.url or "").split("?", 1)[0].rstrip("/")).rsplit("/", 1)[-1]
        clean = re.sub(r"[^A-Za-z0-9._+-]+", "-", last).strip(".-")[:128]
        return clean or f"artifact-{self.sha256[:12]}"

    def as_var(self) -> dict[str, str]:
        """What the roles take (repository's tasks_from: artifact, without dest)."""
        where = {"src": self.src} if self.src is not None else {"url": str(self.url)}
        return {"name": self.name, "sha256": self.sha256, **where}


_ARTIFACT_HOW = "{src: FILE or url: URL, sha256: HEX}"


class CaracalDB(_Model):
    """CaracalDB's servers; its REST API and web UI on the first of them when `api` is given."""

    nodes: int = 3
    artifact: Artifact | None = None  # the server's jar
    api: Artifact | None = None  # the REST API's jar (the web UI comes with it)

    @field_validator("nodes", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        # caracal.bootThreshold is the number of nodes: a single node boots alone.
        if type(value) is int and value >= 1:
            return value
        raise ValueError(f"{value!r}: write a number of CaracalDB nodes, 1 or more (e.g. nodes: 3)")


class PeerStreamer(_Model):
    sources: int = Field(1, ge=1)
    artifact: Artifact | None = None  # the streamer binary (streamer-udp-grapes-static)


class GVoD(_Model):
    """GVoD (video on demand); it keeps its overlay in the cloud's CaracalDB."""

    boxes: int = Field(1, ge=1)
    artifact: Artifact | None = None  # its jar


# A DNS zone: labels of letters, digits, '-' and '_' (DNS-SD's own labels), at most 253 characters.
ZONE_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def default_zone(cloud: str) -> str:
    """The DNS-SD zone of a cloud without `services.dns.zone` (the dns role's default too)."""
    return f"{cloud.lower().replace('_', '-')}.cloudy"


class Dns(_Model):
    """Wide-area DNS-SD (AvahiDNS): a DNS server with the cloud's zone, every avahi box publishes in it."""

    servers: int = 1
    zone: str | None = None  # default: default_zone(cloud)

    @field_validator("servers", mode="before")
    @classmethod
    def _one_server(cls, value: Any) -> Any:
        if type(value) is int and value == 1:
            return value
        raise ValueError(f"{value!r}: one DNS server holds the zone (no secondaries yet): write servers: 1")

    @field_validator("zone", mode="before")
    @classmethod
    def _zone_name(cls, value: Any) -> Any:
        if value is None:
            return value
        text = value.strip().lower().removesuffix(".") if isinstance(value, str) else ""
        labels = text.split(".")
        if not text or len(text) > 253 or not all(ZONE_LABEL_RE.fullmatch(label) for label in labels):
            raise ValueError(
                f"{value!r} is not a DNS zone name: use labels of letters, digits and - (1 to 63 each)"
                " separated by dots, e.g. zone: gcodis.cloudy"
            )
        if labels[-1] == "local":
            raise ValueError(f"{value!r}: .local is mDNS's: pick another zone, e.g. zone: gcodis.cloudy")
        return text


# --- guifi.net services (the original's "Guifi" menu) ----------------------------------------------------

URL_RE = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")


def is_url(value: str) -> bool:
    return bool(URL_RE.fullmatch(value))


def _path_or_url(value: Any, example: str) -> Any:
    """A file the role copies from the controller, or an http(s) URL the box fetches."""
    if isinstance(value, str) and (is_url(value) or (file_path_ok(value) and "://" not in value)):
        return value
    raise ValueError(
        f"{short(value)} is neither a file path nor an http(s) URL: give e.g. {example} (relative to"
        " cloudy.yml) or https://..."
    )


def _one_server(value: Any, service: str) -> Any:
    if type(value) is int and value == 1:
        return value
    raise ValueError(f"{value!r}: {service} runs on one box (one guifi.net service id): write servers: 1")


def _service_id(value: Any, key: str) -> Any:
    if type(value) is int and 1 <= value <= 2**31 - 1:
        return value
    raise ValueError(f"{short(value)} is not a guifi.net service id: write its number, e.g. {key}: 51172")


# LDAP DNs and filters go into squid's configuration between double quotes.
_LDAP_TEXT_RE = re.compile(r'[^"\\\x00-\x1f\x7f]*')


class Proxy3Ldap(_Model):
    uris: list[str] = ["ldaps://ldap.guifi.net", "ldaps://ldap2.guifi.net"]
    base: str = "o=proxyusers,dc=guifi,dc=net"
    # The password is not here: it goes on the box (README, "Proxy3").
    bind_dn: str = ""

    @field_validator("uris", mode="before")
    @classmethod
    def _uris(cls, value: Any) -> Any:
        ok = re.compile(r"ldaps?://[A-Za-z0-9.\-\[\]:]+/?")
        if isinstance(value, list) and value and all(isinstance(v, str) and ok.fullmatch(v) for v in value):
            return value
        raise ValueError(f"{short(value)}: give a list of LDAP servers, e.g. uris: [ldaps://ldap.guifi.net]")

    @field_validator("base", "bind_dn", mode="before")
    @classmethod
    def _dn(cls, value: Any) -> Any:
        if isinstance(value, str) and _LDAP_TEXT_RE.fullmatch(value):
            return value
        raise ValueError(
            f"{short(value)} is not an LDAP DN squid can take (no quote, backslash or line break):"
            " e.g. o=proxyusers,dc=guifi,dc=net"
        )


class Proxy3(_Model):
    """guifi.net Proxy3: squid with guifi.net's LDAP users, open to the proxies of a federation file."""

    servers: int = 1
    node_id: int  # this proxy's guifi.net service id
    federation: str  # PATH_OR_URL of guifi.net's export guifi/export/<node_id>/federation
    ldap: Proxy3Ldap = Proxy3Ldap()
    cache_size: int = Field(1024, ge=1)  # MB
    cache_mem: int = Field(128, ge=1)  # MB
    language: str = "English"  # of the error pages (a folder of Debian's squid-langpack)
    manager: str = ""  # e-mail on the error pages

    _servers = field_validator("servers", mode="before")(lambda v: _one_server(v, "proxy3"))
    _node_id = field_validator("node_id", mode="before")(lambda v: _service_id(v, "node_id"))
    _federation = field_validator("federation", mode="before")(
        lambda v: _path_or_url(v, "federation: federation.txt")
    )

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,40}", value):
            return value
        raise ValueError(
            f"{short(value)} is not a language of squid's error pages: e.g. Catalan, Spanish, English"
        )

    @field_validator("manager", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"([^@\s\"]+@[^@\s\"]+\.[^@\s\"]+)?", value):
            return value
        raise ValueError(f"{short(value)} is not an e-mail address: e.g. manager: proxy@example.net")


class SnpServices(_Model):
    """guifi.net SNPServices: the graph server of the devices a CNML gives it."""

    servers: int = 1
    cnml: str  # PATH_OR_URL of the zone's CNML
    graph_server: int  # this graph server's guifi.net service id (SNPGraphServerId)

    _servers = field_validator("servers", mode="before")(lambda v: _one_server(v, "snpservices"))
    _cnml = field_validator("cnml", mode="before")(lambda v: _path_or_url(v, "cnml: zone.cnml"))
    _graph_server = field_validator("graph_server", mode="before")(lambda v: _service_id(v, "graph_server"))


class DnsServices(_Model):
    """guifi.net DNSServices: bind9 with the zone's domains and reverse zones."""

    servers: int = 1
    data: str  # PATH_OR_URL of the DNS data (the "domains" CNML or the domain list)
    cnml: str | None = None  # PATH_OR_URL of the zone's CNML, for the devices' reverse names

    _servers = field_validator("servers", mode="before")(lambda v: _one_server(v, "dnsservices"))
    _data = field_validator("data", mode="before")(lambda v: _path_or_url(v, "data: domains.cnml"))
    _cnml = field_validator("cnml", mode="before")(
        lambda v: v if v is None else _path_or_url(v, "cnml: zone.cnml")
    )


# Spec keys that name a file (or URL) the roles read: (service, key). Relative paths are taken from
# cloudy.yml's folder, and must be there when it is loaded.
CONTAINER_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
IMAGE_RE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?")


def _container_name(value: Any) -> Any:
    if isinstance(value, str) and CONTAINER_NAME_RE.fullmatch(value):
        return value
    raise ValueError(f"{value!r}: a container name is lower-case letters, digits and inner '-' (at most 63)")


class ClouderContainer(_Model):
    """A Cloudy container: a box of the cloud that runs on a clouder host."""

    name: Annotated[str, PlainValidator(_container_name)]
    host: str | None = None  # a node of services.clouder.boxes; may be left out when there is one


class ClouderApp(_Model):
    """Another container: an image on the clouder host, its port published (and announced)."""

    name: Annotated[str, PlainValidator(_container_name)]
    host: str | None = None
    image: str
    port: int = Field(ge=1, le=65535)
    host_port: int | None = Field(None, ge=1, le=65535)
    publish: bool = True
    command: list[str] = []

    @field_validator("image", mode="before")
    @classmethod
    def _image(cls, value: Any) -> Any:
        if isinstance(value, str) and IMAGE_RE.fullmatch(value):
            return value
        raise ValueError(f"{value!r}: write an image the box has, as NAME or NAME:TAG (lower-case name)")


class Clouder(_Model):
    """Docker hosts (role clouder) and what they run."""

    boxes: list[str] = Field(min_length=1)
    containers: list[ClouderContainer] = []
    apps: list[ClouderApp] = []

    @model_validator(mode="after")
    def _hosts(self) -> "Clouder":
        if len(set(self.boxes)) != len(self.boxes):
            raise ValueError("boxes: a node is named twice: name each clouder host once")
        names = [c.name for c in (*self.containers, *self.apps)]
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"the container name {dup[0]} is used twice: give each container its own name")
        for entry in (*self.containers, *self.apps):
            if entry.host is None and len(self.boxes) > 1:
                raise ValueError(f"{entry.name}: set its host, one of boxes ({', '.join(self.boxes)})")
            if entry.host is not None and entry.host not in self.boxes:
                raise ValueError(f"{entry.name}: host {entry.host} is not in boxes: add it there, or fix it")
        return self

    def host_of(self, entry: ClouderContainer | ClouderApp) -> str:
        return entry.host or self.boxes[0]


FILE_KEYS = (
    ("proxy3", "federation"),
    ("snpservices", "cnml"),
    ("dnsservices", "data"),
    ("dnsservices", "cnml"),
)
GUIFI_SERVICES = ("proxy3", "snpservices", "dnsservices")


class Repository(_Model):
    """The cloud's software repository (role repository): apt cache, signed suite, artifact store."""

    # Boxes with an apt cache; the first also holds the signed suite and the artifact store.
    boxes: int = 1
    # The Debian mirror the caches fetch from (e.g. the zone's); default: deb.debian.org.
    mirror: str | None = None

    @field_validator("boxes", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        if type(value) is int and value >= 1:
            return value
        raise ValueError(f"{value!r}: write a number of repository boxes, 1 or more (e.g. boxes: 1)")

    @field_validator("mirror", mode="before")
    @classmethod
    def _mirror(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?/", value)):
            return value
        raise ValueError(
            f"{short(value)} is not a mirror URL: write http://HOST/PATH/ ending in /,"
            " e.g. mirror: http://ftp.debian.org/debian/"
        )


# The keys of `services:` that have a role. The plan refuses the others rather than place them and
# deploy nothing: the change that adds a role adds its name here.
WITH_ROLES = frozenset(
    {
        "avahi",
        "tahoe",
        "dns",
        "webui",
        "proxy3",
        "snpservices",
        "dnsservices",
        "repository",
        "peerstreamer",
        "caracaldb",
        "gvod",
        "clouder",
    }
)
# Services whose software the admin supplies (spec key `artifact`): off, and said so, without it.
SUPPLIED = ("peerstreamer", "caracaldb", "gvod")


class Services(_Model):
    # Discovery belongs on every box of a Cloudy micro cloud; `none` leaves it out.
    avahi: Literal["all", "none"] = "all"
    # The panel (role webui); `all` puts it on every box (`cloudy init` writes `webui: all`).
    webui: Literal["all", "none"] = "none"
    tahoe: Tahoe | None = None
    caracaldb: CaracalDB | None = None
    peerstreamer: PeerStreamer | None = None
    gvod: GVoD | None = None
    dns: Dns | None = None
    proxy3: Proxy3 | None = None
    snpservices: SnpServices | None = None
    dnsservices: DnsServices | None = None
    repository: Repository | None = None
    clouder: Clouder | None = None

    @model_validator(mode="after")
    def _dns_needs_avahi(self) -> "Services":
        # The zone holds what the boxes announce through Avahi: without it there is nothing to publish.
        if self.dns is not None and self.avahi == "none":
            raise ValueError("dns publishes what Avahi announces: set avahi: all, or remove dns")
        # The guifi services' roles announce them through the avahi role.
        for key in (*GUIFI_SERVICES, *SUPPLIED):
            if getattr(self, key) is not None and self.avahi == "none":
                raise ValueError(f"{key} is announced through Avahi: set avahi: all, or remove {key}")
        if self.clouder and any(a.publish for a in self.clouder.apps) and self.avahi == "none":
            raise ValueError("clouder apps are published through Avahi: set avahi: all, or publish: false")
        if self.gvod is not None and self.caracaldb is None:
            raise ValueError(
                "gvod keeps its overlay in CaracalDB: add caracaldb (with its artifact), or remove gvod"
            )
        return self

    def off(self) -> dict[str, tuple[str, ...]]:
        """Supplied services the spec names but cannot run: service -> the spec key to set."""
        out: dict[str, tuple[str, ...]] = {}
        for key in SUPPLIED:
            model = getattr(self, key)
            if model is not None and model.artifact is None:
                out[key] = ("services", key, "artifact")
        if self.gvod is not None and "caracaldb" in out and "gvod" not in out:
            out["gvod"] = ("services", "caracaldb", "artifact")
        return out

    def artifacts(self) -> dict[str, dict[str, str]]:
        """`cloudy_artifacts` for the inventory: the supplied software of the services that run."""
        off = self.off()
        out: dict[str, dict[str, str]] = {}
        for key in SUPPLIED:
            model = getattr(self, key)
            if model is not None and key not in off:
                out[key] = model.artifact.as_var()
        if self.caracaldb is not None and "caracaldb" not in off and self.caracaldb.api is not None:
            out["caracaldb_api"] = self.caracaldb.api.as_var()
        return out

    def placed(self) -> list[str]:
        """The keys that place a service on some box (a supplied one only with its software)."""
        off = self.off()
        return [k for k in type(self).model_fields if getattr(self, k) not in (None, "none") and k not in off]


class CloudSpec(_Model):
    """cloudy.yml; see the commented file `cloudy init` writes."""

    # Lets Ansible's `auto` inventory plugin hand cloudy.yml to the `cloudy` plugin.
    plugin: Literal["clommunity.cloudy.cloudy", "cloudy"] | None = None
    cloud: str
    overlay: Overlay = Overlay()
    sources: list[Annotated[Any, PlainValidator(_source_ref)]] = []  # cloudy_deploy.sources.SourceRef
    ssh: Ssh = Ssh()
    services: Services = Services()
    _origin: Any = PrivateAttr(default=None)  # Located, when loaded from a file

    @field_validator("cloud", mode="before")
    @classmethod
    def _cloud_name(cls, value: Any) -> Any:
        if not isinstance(value, str) or not CLOUD_RE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a tinc network name: use 1 to 15 letters, digits or _, e.g. cloud: gcodis"
            )
        if value.lower() in KERNEL_NAMES:
            raise ValueError(
                f"{value!r} cannot name the mesh's network interface (Linux keeps"
                f" {', '.join(sorted(KERNEL_NAMES))} for itself): pick another, e.g. cloud: gcodis"
            )
        return value

    def off_lines(self) -> list[str]:
        """One line per supplied service the spec names but cannot run: what, and the setting."""
        lines = []
        for key, setting in self.services.off().items():
            if setting[1] == key:
                lines.append(
                    f"{self.where('services', key)}: {key} is off: its software is not given: set"
                    f" services.{key}.artifact: {_ARTIFACT_HOW} (it is in no registry reachable here)"
                )
            else:
                lines.append(
                    f"{self.where('services', key)}: {key} is off: it needs CaracalDB, which is off: set"
                    f" services.caracaldb.artifact: {_ARTIFACT_HOW}"
                )
        return lines

    def where(self, *loc: str | int) -> str:
        """`cloudy.yml:LINE: a.b` for error messages; without a file, just the key."""
        dotted = dotted_loc(loc)
        if self._origin is None:
            return f"{SPEC_FILE}: {dotted}"
        return f"{self._origin.name}:{self._origin.line(loc)}: {dotted}"


def default_spec() -> CloudSpec:
    """The spec of `cloudy up` without a cloudy.yml: cloud `cloudy`, the lab's boxes, avahi, the panel
    on every box, a Tahoe grid and one repository box (the apt cache the others' packages come
    through), so that a newcomer sees the whole micro cloud."""
    # An upload needs one storage box: the grid works on a lab of any size (`cloudy up --nodes 1`).
    tahoe = Tahoe(shares=Shares(needed=1, happy=1, total=3))
    services = Services(webui="all", tahoe=tahoe, repository=Repository(boxes=1))
    return CloudSpec(cloud="cloudy", sources=["lab"], services=services)


# --- YAML with line numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """Data loaded from a YAML file, with the node tree it came from to find the line of any key."""

    name: str  # the file as the user named it, for messages
    data: Any
    root: yaml.Node | None

    def line(self, loc: Sequence[str | int]) -> int:
        """1-based line of the deepest key of `loc` that the file has (a missing key: its parent's)."""
        node, line = self.root, 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                found = next((kv for kv in node.value if str(kv[0].value) == str(part)), None)
                if found is None:
                    break
                line, node = found[0].start_mark.line + 1, found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector while PyYAML builds or walks a large, acyclic tree: with 10,000 boxes
    it would otherwise scan the same objects again and again (half the time of a lock's load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_yaml(path: Path, fix: str) -> Located:
    """Load one YAML document of plain data; bad YAML, aliases, odd tags and duplicate keys are
    BadInput naming the line. `fix` ends the message when the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read it ({exc}); {fix}") from None
    loader = YamlLoader(text)
    try:
        with gc_paused():
            root = loader.get_single_node()
            if root is not None:
                check_tree(str(path), root)
            data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise BadInput(
            f"{path}:{line}: not valid YAML ({exc.problem or exc.context}): fix the indentation, a missing"
            " ':' or an unclosed quote there"
        ) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not valid YAML ({exc}): fix the file") from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose:
            dispose()
    return Located(str(path), data, root)


# The tags of plain data (what JSON and Ansible carry). Others (!!binary, !!timestamp, !!set, `<<`
# merges, local tags) make values that break later, far from the file: refused here, with the line.
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "seq", "map")
)


MAX_DEPTH = 50  # nesting of plain data; deeper would exhaust Python's recursion further on


def check_tree(where: str, root: yaml.Node) -> None:
    """Refuse what PyYAML accepts but a hand-edited file of plain data should not hold: aliases (a node
    met twice; also what makes a billion laughs), tags beyond plain data, nesting deeper than
    MAX_DEPTH and duplicate keys (PyYAML keeps the last silently). Linear in the size of the file."""
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:
            raise BadInput(
                f"{where}:{line}: a YAML alias (*name) repeats this value: anchors and aliases are not"
                " read here; write the value out where it is used"
            )
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            fix = (
                "write it in quotes"
                if tag == "!!timestamp"
                else "remove the tag; write plain text or numbers"
            )
            raise BadInput(f"{where}:{line}: {tag} values are not read here (plain YAML data only): {fix}")
        if depth > MAX_DEPTH:
            raise BadInput(f"{where}:{line}: nested more than {MAX_DEPTH} levels deep: flatten the data")
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    at = key.start_mark.line + 1
                    if key.value in keys:
                        raise BadInput(
                            f"{where}:{at}: {key.value[:60]}: the key appears twice (first on line"
                            f" {keys[key.value]}): keep one"
                        )
                    keys[key.value] = at
                stack += ((value, depth + 1), (key, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


_SHORT = reprlib.Repr()  # Python 3.11 takes no keywords here
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def short(value: Any) -> str:
    """A value as messages quote it: repr, cut to about 60 characters (one line stays readable)."""
    return _SHORT.repr(value)


def dotted_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def validation_error(located: Located, model: type[BaseModel], exc: ValidationError, hint: str) -> BadInput:
    """The first error (by line) of a pydantic failure as one line: file:line: key: what: fix."""
    errors = sorted(exc.errors(), key=lambda e: located.line(_field_loc(e["loc"])))
    first = errors[0]
    loc = _field_loc(first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    text = _explain(first, model, loc, hint)
    return BadInput(f"{located.name}:{located.line(loc)}: {dotted_loc(loc)}: {text}{more}")


def _field_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    # Unions add their member's name to the location (e.g. "literal['all']"); those are no keys.
    return tuple(
        p for p in loc if isinstance(p, int) or not ("[" in p or p in ("int", "str", "function-plain"))
    )


def _explain(error: Any, model: type[BaseModel], loc: tuple[str | int, ...], hint: str) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = sorted(_fields_at(model, loc[:-1]))
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if near:
            return f"unknown key: did you mean {near[0]}?"
        return f"unknown key: the keys here are {', '.join(allowed) or 'none'}"
    if kind == "missing":
        return f"missing: add it ({hint})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys (key: value), not {short(error['input'])}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return f"{error['msg'][0].lower()}{error['msg'][1:]} (got {short(error['input'])})"


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> set[str]:
    """The keys allowed at `loc`, following the models' field types."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif get_origin(current) in (dict, list, tuple):
            current = get_args(current)[-1]
        else:
            return set()
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return set(current.model_fields)
    return set()


def _unwrap(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        models = [a for a in get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if models else tp
    return tp


# --- loading ------------------------------------------------------------------------------------------------


def load(path: Path) -> CloudSpec:
    """Read and validate cloudy.yml. Relative ssh.private_key paths are taken from its folder."""
    located = read_yaml(path, "write one with `cloudy init`")
    if not isinstance(located.data, dict):
        raise BadInput(
            f"{path}:1: the spec must be a mapping of keys (cloud:, overlay:, sources:, ...), not"
            f" {type(located.data).__name__}: start from the file `cloudy init` writes"
        )
    try:
        spec = CloudSpec.model_validate(located.data)
    except ValidationError as exc:
        raise validation_error(located, CloudSpec, exc, "e.g. cloud: gcodis") from None
    key = spec.ssh.private_key
    if key and not key.startswith("~") and not Path(key).is_absolute():
        spec = spec.model_copy(
            update={"ssh": spec.ssh.model_copy(update={"private_key": str(path.parent.absolute() / key)})}
        )
    spec = _resolve_files(spec, path, located)
    spec = _resolve_artifacts(spec, path, located)
    spec._origin = located
    return spec


def _readable_file(value: str, path: Path, where: str, other: str) -> Path:
    """VALUE as an absolute path from cloudy.yml's folder, a file this user can read; else BadInput
    (WHERE names the key, OTHER the alternative to a path)."""
    file = Path(value).expanduser()
    file = file if file.is_absolute() else path.parent.absolute() / file
    if file.is_dir():
        raise BadInput(f"{where}: {file}: is a folder: give the path of the file itself")
    try:
        with file.open("rb"):
            pass
    except FileNotFoundError:
        raise BadInput(
            f"{where}: {file}: no such file: fix the path (from {path.name}'s folder) or {other}"
        ) from None
    except OSError as exc:
        raise BadInput(f"{where}: {file}: cannot read it ({exc.strerror}): fix its permissions") from None
    return file


def _resolve_files(spec: CloudSpec, path: Path, located: Located) -> CloudSpec:
    """The services' files (FILE_KEYS) as absolute paths, from cloudy.yml's folder; BadInput when one
    is missing or unreadable. URLs are left to the boxes."""
    services = spec.services
    for service, key in FILE_KEYS:
        model = getattr(services, service)
        value = getattr(model, key) if model is not None else None
        if value is None or is_url(value):
            continue
        where = f"{path}:{located.line(('services', service, key))}: services.{service}.{key}"
        file = _readable_file(value, path, where, "give an http(s) URL")
        model = model.model_copy(update={key: str(file)})
        services = services.model_copy(update={service: model})
    return spec.model_copy(update={"services": services})


# Spec keys that hold an Artifact: (service, key).
ARTIFACT_KEYS = (
    ("peerstreamer", "artifact"),
    ("caracaldb", "artifact"),
    ("caracaldb", "api"),
    ("gvod", "artifact"),
)


def _resolve_artifacts(spec: CloudSpec, path: Path, located: Located) -> CloudSpec:
    """Artifacts given as files: absolute paths from cloudy.yml's folder, the file there and with the
    sha256 the spec says (BadInput otherwise, before anything runs). URLs are checked by the boxes."""
    services = spec.services
    for service, key in ARTIFACT_KEYS:
        model = getattr(services, service)
        artifact = getattr(model, key) if model is not None else None
        if artifact is None or artifact.src is None:
            continue
        where = f"{path}:{located.line(('services', service, key, 'src'))}: services.{service}.{key}.src"
        file = _readable_file(artifact.src, path, where, "give url:")
        with file.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != artifact.sha256:
            raise BadInput(
                f"{where}: {file} has sha256 {digest}, not {artifact.sha256}: fix the sha256 or the file"
            )
        model = model.model_copy(update={key: artifact.model_copy(update={"src": str(file)})})
        services = services.model_copy(update={service: model})
    return spec.model_copy(update={"services": services})
