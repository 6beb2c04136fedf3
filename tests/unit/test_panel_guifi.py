"""The Guifi menu: guifi.net's services (Proxy3, SNPServices, DNSServices), with the Flask test client
and the fake helper; and how the real helper turns their forms into a local run of their roles."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.unit import test_panel_helper as real
from tests.unit import test_panel_web as web
from tests.unit.test_panel_helper import call, code_of, fake_playbook, wait_job
from tests.unit.test_panel_web import buttons, run_job

# The fixtures of the panel's tests (the Flask app on a fake helper; the real helper's context).
admin, browse_file, helper, panel, ctx = web.admin, web.browse_file, web.helper, web.panel, real.ctx

PROXY3 = {
    "node_id": "4242",
    "federation": "https://guifi.net/ca/node/4242/view/federation",
    "cache_size": "2048",
    "cache_mem": "256",
    "language": "Catalan",
    "manager": "admin@example.org",
    "ldap_uri": "ldaps://ldap.guifi.net",
    "ldap_base": "o=proxyusers,dc=guifi,dc=net",
    "bind_dn": "cn=proxy,o=proxyusers,dc=guifi,dc=net",
    "bind_password": "s3cret pass{word}",
}
FORMS = {
    "proxy3": PROXY3,
    "snpservices": {"graph_server_id": "123", "cnml": "http://guifi.net/guifi/cnml/2413/zone"},
    "dnsservices": {"data": "https://guifi.net/guifi/dns/2413"},
}


def test_guifi_menu_lists_the_three_services(admin):
    assert 'href="/guifi/"' in admin.get("/").get_data(as_text=True)
    page = admin.get("/guifi/").get_data(as_text=True)
    for name in ("Proxy3", "SNPServices", "DNSServices"):
        assert name in page
    assert "Tahoe-LAFS" not in page and "state-not-installed" in page


@pytest.mark.parametrize("service", sorted(FORMS))
def test_settings_install_then_the_state_machine(admin, service):
    path = f"/clommunity/{service}"
    page = admin.get(path).get_data(as_text=True)
    # Not installed: no bare Install (the role needs the settings); the form's button installs.
    assert 'data-state="not-installed"' in page and buttons(page) == set() and "form-settings" in page
    run_job(admin, admin.post(f"{path}/configure/settings", FORMS[service], token_from=path))
    sent = admin.helper.config[service]
    assert sent["form"] == "settings" and set(sent) == {"form", *FORMS[service]}
    page = admin.get(path).get_data(as_text=True)
    assert 'data-state="running"' in page and buttons(page) == {"stop"} and "form-settings" not in page
    admin.post(f"{path}/stop", token_from=path)
    page = admin.get(path).get_data(as_text=True)
    assert (
        'data-state="stopped"' in page and buttons(page) == {"start", "uninstall"} and "form-settings" in page
    )
    admin.post(f"{path}/start", token_from=path)
    assert admin.helper.states[service] == "running"


def test_the_password_is_never_shown_again(admin):
    admin.helper.states["proxy3"] = "stopped"
    run_job(
        admin, admin.post("/clommunity/proxy3/configure/settings", PROXY3, token_from="/clommunity/proxy3")
    )
    admin.helper.states["proxy3"] = "stopped"
    page = admin.get("/clommunity/proxy3").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="settings-bind_password"[^>]*type="password"', page) or re.search(
        r'<input[^>]*type="password"[^>]*id="settings-bind_password"', page
    )
    assert "s3cret" not in page and "4242" in page  # the choice is shown, the secret is not
    bad = dict(PROXY3, node_id="x")
    answer = admin.post("/clommunity/proxy3/configure/settings", bad, token_from="/clommunity/proxy3")
    assert answer.status_code == 400 and "s3cret" not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("service", "change", "field"),
    [
        ("proxy3", {"node_id": "0"}, "node_id"),
        ("proxy3", {"node_id": "12a"}, "node_id"),
        ("proxy3", {"federation": "file:///etc/shadow"}, "federation"),
        ("proxy3", {"federation": "/etc/shadow"}, "federation"),
        ("proxy3", {"federation": "https://x/{{ lookup('pipe','id') }}"}, "federation"),
        ("proxy3", {"cache_size": "99999999"}, "cache_size"),
        ("proxy3", {"cache_mem": "1"}, "cache_mem"),
        ("proxy3", {"language": "../../etc"}, "language"),
        ("proxy3", {"manager": "not an e-mail"}, "manager"),
        ("proxy3", {"ldap_uri": "http://ldap.guifi.net"}, "ldap_uri"),
        ("proxy3", {"ldap_base": 'o=x" acl all'}, "ldap_base"),
        ("proxy3", {"bind_dn": "", "bind_password": "pw"}, "bind_password"),
        ("proxy3", {"bind_password": "{{ lookup('pipe', 'id') }}"}, "bind_password"),
        ("proxy3", {"bind_password": "a\nb"}, "bind_password"),
        ("snpservices", {"graph_server_id": ""}, "graph_server_id"),
        ("snpservices", {"cnml": "/root/zone.cnml"}, "cnml"),
        ("dnsservices", {"data": "ftp://guifi.net/dns"}, "data"),
    ],
)
def test_bad_settings_change_nothing(admin, service, change, field):
    admin.helper.calls.clear()
    path = f"/clommunity/{service}"
    answer = admin.post(f"{path}/configure/settings", FORMS[service] | change, token_from=path)
    assert answer.status_code == 400
    assert f'data-field="{field}"' in answer.get_data(as_text=True)
    assert "configure" not in [c[1].get("action") for c in admin.helper.calls]
    assert service not in admin.helper.config


def test_optional_fields_may_stay_empty(admin):
    values = PROXY3 | {"manager": "", "bind_dn": "", "bind_password": ""}
    run_job(
        admin, admin.post("/clommunity/proxy3/configure/settings", values, token_from="/clommunity/proxy3")
    )
    assert admin.helper.config["proxy3"]["manager"] == "" and admin.helper.config["proxy3"]["bind_dn"] == ""


def test_errors_in_the_users_language(admin):
    admin.post("/languages", {"lang": "ca"}, token_from="/languages")
    answer = admin.post(
        "/clommunity/snpservices/configure/settings",
        FORMS["snpservices"] | {"cnml": "/root/zone.cnml"},
        token_from="/clommunity/snpservices",
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Escriviu un URL http:// o https://." in page
    assert "Identificador del servidor de gràfiques" in page  # the form's labels too
    admin.post("/languages", {"lang": "es"}, token_from="/languages")
    page = admin.get("/guifi/").get_data(as_text=True)
    assert "El servidor DNS de guifi.net" in page


@pytest.mark.parametrize("service", sorted(FORMS))
def test_csrf_refused(admin, service):
    admin.helper.calls.clear()
    path = f"/clommunity/{service}/configure/settings"
    answer = admin.post(path, FORMS[service], token=None)
    assert answer.status_code == 400 and "service.action" not in [c[0] for c in admin.helper.calls]
    answer = admin.post(path, FORMS[service], token="forged")
    assert answer.status_code == 400 and service not in admin.helper.config


def test_no_bare_install(admin):
    answer = admin.post("/clommunity/dnsservices/install", token_from="/clommunity/dnsservices")
    assert answer.status_code == 302
    assert admin.helper.states["dnsservices"] == "not-installed"


# The real helper --------------------------------------------------------------------------------
def inventory(ctx, service):
    return json.loads((ctx.state_dir / "ansible" / f"{service}-inventory.json").read_text())


def test_proxy3_runs_its_role_with_the_forms_values_and_the_password_kept_secret(ctx, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake_playbook(ctx, tmp_path)
    values = {"form": "settings", **PROXY3}
    job = call(ctx, "service.action", service="proxy3", action="configure", values=values)["job"]
    status = wait_job(ctx, job)
    path = ctx.state_dir / "ansible" / "proxy3-inventory.json"
    # The playbook's argv: the inventory and the playbook, no value of the form.
    assert status["log_tail"] == [f"-i {path} clommunity.cloudy.proxy3"]
    assert path.stat().st_mode & 0o777 == 0o600
    data = inventory(ctx, "proxy3")
    assert list(g for g, v in data["all"]["children"].items() if v) == ["proxy3"]
    host = data["all"]["hosts"]["box1"]
    assert {k: v for k, v in host.items() if k.startswith("proxy3_")} == {
        "proxy3_node_id": 4242,
        "proxy3_federation_src": PROXY3["federation"],
        "proxy3_cache_size": 2048,
        "proxy3_cache_mem": 256,
        "proxy3_language": "Catalan",
        "proxy3_manager": "admin@example.org",
        "proxy3_ldap_uris": ["ldaps://ldap.guifi.net"],
        "proxy3_ldap_base": "o=proxyusers,dc=guifi,dc=net",
        "proxy3_ldap_bind_dn": "cn=proxy,o=proxyusers,dc=guifi,dc=net",
        "proxy3_ldap_bind_password": "s3cret pass{word}",
    }
    facts = json.loads(ctx.facts_file.read_text())
    assert facts["services"]["proxy3"]["node_id"] == 4242 and facts["groups"]["proxy3"] == ["proxy3"]
    assert "s3cret" not in ctx.facts_file.read_text() and "s3cret" not in caplog.text
    assert "bind_password" in caplog.text  # logged, masked


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            "snpservices",
            {"snpservices_graph_server_id": 123, "snpservices_cnml_src": FORMS["snpservices"]["cnml"]},
        ),
        ("dnsservices", {"dnsservices_data_src": FORMS["dnsservices"]["data"]}),
    ],
)
def test_snp_and_dns_run_their_roles(ctx, tmp_path, service, expected):
    fake_playbook(ctx, tmp_path)
    values = {"form": "settings", **FORMS[service]}
    wait_job(ctx, call(ctx, "service.action", service=service, action="configure", values=values)["job"])
    data = inventory(ctx, service)
    assert list(g for g, v in data["all"]["children"].items() if v) == [service]
    host = data["all"]["hosts"]["box1"]
    assert {k: v for k, v in host.items() if k.startswith(service + "_")} == expected


@pytest.mark.parametrize(
    "values",
    [
        {"form": "settings", **FORMS["dnsservices"], "data": "/etc/shadow"},
        {"form": "settings", "data": FORMS["dnsservices"]["data"], "extra": "x"},
        {"form": "other", **FORMS["dnsservices"]},
    ],
)
def test_helper_refuses_bad_settings(ctx, tmp_path, values):
    fake_playbook(ctx, tmp_path)
    assert (
        code_of(ctx, "service.action", service="dnsservices", action="configure", values=values) == "bad-args"
    )
    assert not (ctx.state_dir / "ansible" / "dnsservices-inventory.json").exists()


def test_helper_refuses_a_bare_install(ctx, tmp_path):
    fake_playbook(ctx, tmp_path)
    assert code_of(ctx, "service.action", service="proxy3", action="install") == "bad-args"
