"""The panel's Flask app through the test client, over a fake helper on a real Unix socket."""

from __future__ import annotations

import dataclasses
import http.server
import re
import sys
import threading
from pathlib import Path

import pytest

from cloudy_panel.web import create_app
from tests.browser.fake_helper import MAX_FAILURES, FakeHelper

BASE = "https://box-1.local"
FURL = "pb://" + "a" * 32 + "@tcp:10.99.0.3:3458/swissnum0123"
HOSTILE = "<script>alert(1)</script>"
BROWSE_LINES = [
    "+;tap0;IPv4;Grid\\032intro;_tahoe-introducer._tcp;local",
    "=;tap0;IPv4;Grid\\032intro;_tahoe-introducer._tcp;local;box-2.local;10.99.0.3;3458;"
    f'"grid=cloudy" "furl={FURL}"',
    '=;tap0;IPv4;panel\\032on\\032box-3;_cloudy-web._tcp;local;box-3.local;10.99.0.4;7443;"sha256=ab"',
    f'=;tap0;IPv4;{HOSTILE};_cloudy._tcp;local;evil.local;10.99.0.9;22;"furl=\\"><img src=x>"',
]


class Panel:
    """The test client over HTTPS with a same-origin Referer, as a browser sends it."""

    def __init__(self, app, helper: FakeHelper) -> None:
        self.app = app
        self.helper = helper
        self.client = app.test_client()

    def get(self, path: str, **kw):
        return self.client.get(path, base_url=BASE, **kw)

    def token(self, path: str = "/login") -> str:
        page = self.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict | None = None, token: str | None = "auto", **kw):
        data = dict(data or {})
        if token == "auto":
            data["csrf_token"] = self.token(kw.pop("token_from", "/login" if path == "/login" else "/user"))
        elif token is not None:
            data["csrf_token"] = token
        headers = {"Referer": BASE + "/"} | kw.pop("headers", {})
        return self.client.post(path, data=data, base_url=BASE, headers=headers, **kw)

    def login(self, user: str = "admin", password: str = "admin-pass-1"):
        return self.post("/login", {"user": user, "password": password})


def set_cookie(answer) -> str:
    """The panel's cookie as this answer sets it (the same on Werkzeug 2.2 and 3.x)."""
    found = [h for h in answer.headers.get_all("Set-Cookie") if h.startswith("cloudy_panel=")]
    assert found, "no session cookie set"
    return found[-1].split(";", 1)[0].split("=", 1)[1]


@pytest.fixture
def browse_file(tmp_path: Path) -> Path:
    path = tmp_path / "browse.txt"
    path.write_text("\n".join(BROWSE_LINES) + "\n")
    return path


@pytest.fixture
def helper(tmp_path: Path):
    with FakeHelper(tmp_path / "helper.sock") as fake:
        yield fake


@pytest.fixture
def panel(tmp_path: Path, helper: FakeHelper, browse_file: Path) -> Panel:
    key = tmp_path / "secret"
    key.write_text("k" * 48)
    app = create_app(
        {
            "helper_socket": helper.path,
            "secret_key_file": str(key),
            "overlay_ip": "10.99.0.2",
            "cloud": "cloudy",
            "node": "box-1",
            "session_idle_minutes": 30,
            # avahi-browse's output from a file: the app runs the command as it runs avahi-browse.
            "avahi_browse": ["cat", str(browse_file)],
        }
    )
    return Panel(app, helper)


@pytest.fixture
def admin(panel: Panel) -> Panel:
    assert panel.login().status_code == 302
    return panel


PAGES = ["/", "/user", "/avahi", "/clommunity/", "/clommunity/tahoe", "/system", "/jobs/job-1"]


# Before login ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_pages_need_login_and_show_nothing_before(panel, path):
    answer = panel.get(path)
    assert answer.status_code == 302
    assert answer.location.startswith("/login?next=")
    assert panel.helper.calls == []


@pytest.mark.parametrize("path", ["/avahi.json", "/jobs/job-1/status.json"])
def test_json_needs_login(panel, path):
    assert panel.get(path).status_code == 401


def test_login_page_names_no_service(panel):
    page = panel.get("/login").get_data(as_text=True)
    assert "Tahoe" not in page and "Clommunity" not in page
    assert panel.helper.calls == []


# Login -------------------------------------------------------------------------------------
def test_login_makes_a_new_session_and_logout_kills_it(panel):
    before = set_cookie(panel.get("/login"))
    answer = panel.login()
    assert answer.status_code == 302 and answer.location.endswith("/")
    after = set_cookie(answer)
    assert after != before
    assert panel.helper.calls[0] == ("auth.login", {"user": "admin", "password": "admin-pass-1"})
    replay = panel.app.test_client(use_cookies=False)
    cookie = {"Cookie": f"cloudy_panel={after}"}
    assert replay.get("/", base_url=BASE, headers=cookie).status_code == 200
    assert panel.post("/logout", token_from="/user").status_code == 302
    assert panel.get("/").status_code == 302
    # The cookie from before logout does not come back to life: the session id is gone on the box.
    assert replay.get("/", base_url=BASE, headers=cookie).status_code == 302


def test_session_cookie_flags(panel):
    answer = panel.login()
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "/%09/evil.example/x", "/%0A/evil.example/x", "/%5Cevil.example", "http://e"],
)
def test_login_next_stays_on_the_panel(panel, target):
    token = panel.token()
    data = {"csrf_token": token, "user": "admin", "password": "admin-pass-1"}
    answer = panel.client.post(
        f"/login?next={target}", data=data, base_url=BASE, headers={"Referer": BASE + "/"}
    )
    assert answer.location == "/"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/system", True),
        ("/jobs/x?back=/", True),
        ("/\tevil", False),
        ("/\t/evil", False),
        ("/\\evil", False),
    ],
)
def test_only_paths_on_the_panel_are_followed(panel, target, kept):
    from cloudy_panel.web.auth import safe_next

    with panel.app.test_request_context():
        assert (safe_next(target) == target) is kept


def test_wrong_password_then_lockout(panel):
    for _ in range(MAX_FAILURES):
        answer = panel.login(password="wrong")
        assert answer.status_code == 401
        assert "Wrong user name or password" in answer.get_data(as_text=True)
    answer = panel.login()  # the right password, too late
    assert answer.status_code == 401
    assert "locked for a while" in answer.get_data(as_text=True)
    assert panel.get("/").status_code == 302


def test_only_panel_admins_log_in(panel):
    answer = panel.login("mallory", "mallory-pass")
    assert answer.status_code == 401
    assert panel.get("/").status_code == 302


@pytest.mark.parametrize(("user", "password"), [("Root;id", "x"), ("", "x"), ("admin", ""), ("a" * 40, "x")])
def test_login_form_errors_reach_no_helper(panel, user, password):
    answer = panel.login(user, password)
    assert answer.status_code == 400
    assert 'class="error"' in answer.get_data(as_text=True)
    assert panel.helper.calls == []


def test_helper_down_is_said(panel, tmp_path):
    panel.app.config["PANEL_HELPER"] = str(tmp_path / "nothing.sock")
    answer = panel.login()
    assert answer.status_code == 401
    assert "helper failed" in answer.get_data(as_text=True)


def test_idle_timeout(admin):
    store = admin.app.extensions["cloudy_sessions"]
    for entry in store._entries.values():
        entry.seen -= 31 * 60
    answer = admin.get("/")
    assert answer.status_code == 302
    page = admin.get(answer.location).get_data(as_text=True)
    assert "without use" in page


# CSRF --------------------------------------------------------------------------------------
def test_post_without_token_is_refused(panel):
    answer = panel.post("/login", {"user": "admin", "password": "admin-pass-1"}, token=None)
    assert answer.status_code == 400
    assert panel.helper.calls == []


def test_forged_posts_refused_when_logged_in(admin):
    admin.helper.calls.clear()
    for path, data in [
        ("/logout", {}),
        ("/clommunity/tahoe/install", {}),
        ("/clommunity/tahoe/configure/join", {"furl": FURL, "nickname": "box-1"}),
        ("/user", {"old": "admin-pass-1", "new": "evil-pass-1", "confirm": "evil-pass-1"}),
        ("/system/upgrade", {}),
    ]:
        assert admin.post(path, data, token=None).status_code == 400, path
        assert admin.post(path, data, token="forged-token").status_code == 400, path
    assert admin.helper.calls == []
    assert admin.get("/").status_code == 200  # still logged in


def test_token_of_another_session_is_refused(admin, helper, tmp_path):
    other = Panel(admin.app, helper)
    stolen = other.token()
    assert admin.post("/clommunity/tahoe/install", token=stolen).status_code == 400


def test_logout_is_post_only(admin):
    assert admin.get("/logout").status_code == 405
    assert admin.get("/").status_code == 200


# Pages -------------------------------------------------------------------------------------
def test_home(admin):
    page = admin.get("/").get_data(as_text=True)
    for text in ("box-1", "1.0 GiB free of 2.0 GiB", "15.0 GiB free of 20.0 GiB", "10.99.0.2"):
        assert text in page
    assert "2 of 3: box-2, box-3" in page and "2 cores, load 0.25" in page


def test_home_when_the_helper_fails(admin, tmp_path):
    admin.app.config["PANEL_HELPER"] = str(tmp_path / "gone.sock")
    answer = admin.get("/")
    assert answer.status_code == 200
    assert "helper failed" in answer.get_data(as_text=True)


def test_change_password(admin):
    good = {"old": "admin-pass-1", "new": "new-pass-22", "confirm": "new-pass-22"}
    assert admin.post("/user", good).status_code == 302
    assert admin.helper.passwords["admin"] == "new-pass-22"
    assert "password was changed" in admin.get("/user").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"old": "wrong-one", "new": "new-pass-22", "confirm": "new-pass-22"},
            "old",
            "current password is wrong",
        ),
        ({"old": "admin-pass-1", "new": "short", "confirm": "short"}, "new", "from 8 to 128"),
        (
            {"old": "admin-pass-1", "new": "new-pass-22", "confirm": "other-pass"},
            "confirm",
            "passwords differ",
        ),
        ({"old": "", "new": "new-pass-22", "confirm": "new-pass-22"}, "old", "current password"),
    ],
)
def test_change_password_errors(admin, data, field, message):
    answer = admin.post("/user", data)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert re.search(rf'data-field="{field}">[^<]*{message}', page)
    assert admin.helper.passwords["admin"] == "admin-pass-1"


# Languages ---------------------------------------------------------------------------------
def test_english_by_default_then_accept_language_then_the_session(admin):
    assert ">Home<" in admin.get("/").get_data(as_text=True)
    assert ">Inicio<" in admin.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
    assert admin.post("/languages", {"lang": "ca"}, token_from="/languages").status_code == 302
    page = admin.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert ">Inici<" in page and 'lang="ca"' in page


def test_language_choice_survives_login(panel):
    panel.post("/languages", {"lang": "es"}, token_from="/languages")
    panel.login()
    assert ">Inicio<" in panel.get("/").get_data(as_text=True)


def test_unknown_language_refused(admin):
    answer = admin.post("/languages", {"lang": "xx"}, token_from="/languages")
    assert answer.status_code == 400
    assert ">Home<" in admin.get("/").get_data(as_text=True)


def test_form_error_in_the_users_language(admin):
    admin.post("/languages", {"lang": "ca"}, token_from="/languages")
    admin.helper.states["tahoe"] = "installed"
    answer = admin.post(
        "/clommunity/tahoe/configure/join",
        {"furl": "http://x", "nickname": "box-1"},
        token_from="/clommunity/tahoe",
    )
    assert answer.status_code == 400
    assert "Això no és un FURL d&#39;introductor" in answer.get_data(as_text=True)


# Avahi search ------------------------------------------------------------------------------
def test_search_tabs_columns_and_actions(admin):
    page = admin.get("/avahi").get_data(as_text=True)
    for t in ("_tahoe-introducer._tcp", "_cloudy-web._tcp", "_cloudy._tcp"):
        assert f'data-type="{t}"' in page
    assert "Grid intro" in page and "box-2.local" in page and "10.99.0.3" in page and "3458" in page
    assert 'href="https://10.99.0.4:7443/"' in page  # Open another box's panel
    join = re.search(r'href="(/clommunity/tahoe\?[^"]+)">Join grid', page)
    assert join and "pb:" not in join.group(1)  # the FURL stays out of URLs
    admin.helper.states["tahoe"] = "installed"
    form = admin.get(join.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<input[^>]*id="join-furl"[^>]*value="{re.escape(FURL)}"', form)
    assert "card chosen" in form


def test_hostile_announcement_is_text(admin):
    page = admin.get("/avahi").get_data(as_text=True)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = admin.get("/avahi.json").get_json()
    names = [a["name"] for a in data["announcements"]]
    assert HOSTILE in names  # data as it is in JSON; the page's script sets it as text
    assert admin.get("/avahi.json").headers["Content-Type"] == "application/json"


def test_search_script_never_writes_html():
    script = (Path(create_app.__code__.co_filename).parent / "static" / "search.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "textContent" in script


def test_search_without_avahi(admin):
    admin.app.config["PANEL_BROWSE"] = ("/nonexistent/avahi-browse",)
    page = admin.get("/avahi").get_data(as_text=True)
    assert "No service is announced" in page
    assert admin.get("/avahi.json").get_json() == {"announcements": []}


# Clommunity: the state machine ---------------------------------------------------------------
def buttons(page: str) -> set[str]:
    return set(re.findall(r'id="do-([a-z]+)"', page))


def run_job(panel: Panel, answer) -> str:
    assert answer.status_code == 302 and "/jobs/" in answer.location, answer.get_data(as_text=True)
    job = answer.location.split("/jobs/")[1].split("?")[0]
    assert "job-state" in panel.get(answer.location).get_data(as_text=True)
    assert panel.get(f"/jobs/{job}/status.json").get_json()["state"] == "done"
    return job


def test_service_states_and_buttons(admin):
    h = admin.helper
    page = admin.get("/clommunity/tahoe").get_data(as_text=True)
    assert 'data-state="not-installed"' in page and buttons(page) == {"install"}
    assert "form-join" not in page
    run_job(admin, admin.post("/clommunity/tahoe/install", token_from="/clommunity/tahoe"))
    page = admin.get("/clommunity/tahoe").get_data(as_text=True)
    assert 'data-state="installed"' in page and buttons(page) == {"uninstall"}
    assert "form-create" in page and "form-join" in page
    data = {"furl": FURL, "nickname": "box-1"}
    run_job(admin, admin.post("/clommunity/tahoe/configure/join", data, token_from="/clommunity/tahoe"))
    assert h.config["tahoe"] == {"form": "join", "furl": FURL, "nickname": "box-1"}
    page = admin.get("/clommunity/tahoe").get_data(as_text=True)
    assert 'data-state="running"' in page and buttons(page) == {"stop"} and 'id="gateway"' in page
    assert "tahoe-node.service" in page and re.search(
        r'id="choice">.*Join a grid.*Nickname: box-1', page, re.S
    )
    assert "tahoe" in admin.get("/").get_data(as_text=True)  # services running on Home
    assert admin.post("/clommunity/tahoe/stop", token_from="/clommunity/tahoe").status_code == 302
    page = admin.get("/clommunity/tahoe").get_data(as_text=True)
    assert 'data-state="stopped"' in page and buttons(page) == {"start", "uninstall"} and "form-join" in page
    admin.post("/clommunity/tahoe/start", token_from="/clommunity/tahoe")
    assert h.states["tahoe"] == "running"
    index = admin.get("/clommunity/").get_data(as_text=True)
    assert "Tahoe-LAFS" in index and "state-running" in index


def test_create_grid(admin):
    admin.helper.states["tahoe"] = "installed"
    data = {"grid": "mygrid", "nickname": "box-1"}
    run_job(admin, admin.post("/clommunity/tahoe/configure/create", data, token_from="/clommunity/tahoe"))
    assert admin.helper.config["tahoe"] == {"form": "create", "grid": "mygrid", "nickname": "box-1"}


@pytest.mark.parametrize(
    ("form", "data", "field"),
    [
        ("join", {"furl": "pb://short@tcp:1.2.3.4:1/x", "nickname": "box-1"}, "furl"),
        ("join", {"furl": FURL + "; rm -rf /", "nickname": "box-1"}, "furl"),
        ("join", {"furl": FURL, "nickname": "-bad-"}, "nickname"),
        ("join", {"furl": FURL, "nickname": "a" * 64}, "nickname"),
        ("join", {"furl": FURL, "nickname": "box_1"}, "nickname"),
        ("create", {"grid": "bad grid", "nickname": "box-1"}, "grid"),
        ("create", {"grid": "g" * 16, "nickname": "box-1"}, "grid"),
        ("create", {"grid": "", "nickname": "box-1"}, "grid"),
    ],
)
def test_bad_values_change_nothing(admin, form, data, field):
    admin.helper.states["tahoe"] = "installed"
    admin.helper.calls.clear()
    answer = admin.post(f"/clommunity/tahoe/configure/{form}", data, token_from="/clommunity/tahoe")
    assert answer.status_code == 400
    assert f'data-field="{field}"' in answer.get_data(as_text=True)
    assert "configure" not in [c[1].get("action") for c in admin.helper.calls]
    assert "tahoe" not in admin.helper.config


def test_join_grid_prefilled_from_the_announcement_and_escaped(admin):
    admin.helper.states["tahoe"] = "installed"
    page = admin.get("/clommunity/tahoe", query_string={"form": "join", "pick": "Grid intro"}).get_data(
        as_text=True
    )
    assert re.search(rf'<input[^>]*id="join-furl"[^>]*value="{re.escape(FURL)}"', page)
    # Values in the query string are not taken: only an announcement's.
    page = admin.get("/clommunity/tahoe", query_string={"form": "join", "furl": FURL}).get_data(as_text=True)
    assert FURL not in page
    # A hostile TXT value is prefilled as text (the form checks it when sent).
    services = admin.app.extensions["cloudy_services"]
    tahoe = services["tahoe"]
    hostile = dataclasses.replace(tahoe.discovery[0], avahi_type="_cloudy._tcp")
    services["tahoe"] = dataclasses.replace(tahoe, discovery=(hostile,))
    page = admin.get("/clommunity/tahoe", query_string={"form": "join", "pick": HOSTILE}).get_data(
        as_text=True
    )
    assert '"><img src=x>' not in page and "&#34;&gt;&lt;img src=x&gt;" in page
    assert admin.get("/clommunity/tahoe", query_string={"form": "join", "pick": "gone"}).status_code == 200


def test_join_grid_on_a_box_without_tahoe(admin):
    # The search page's "Join grid" on a box where Tahoe is not installed: the join form, prefilled;
    # sending it installs with the FURL (the plain page still offers Install only).
    assert admin.helper.states["tahoe"] == "not-installed"
    page = admin.get("/clommunity/tahoe").get_data(as_text=True)
    assert "form-join" not in page and buttons(page) == {"install"}
    page = admin.get("/clommunity/tahoe", query_string={"form": "join", "pick": "Grid intro"}).get_data(
        as_text=True
    )
    assert re.search(rf'<input[^>]*id="join-furl"[^>]*value="{re.escape(FURL)}"', page)
    data = {"furl": FURL, "nickname": "box-1"}
    run_job(admin, admin.post("/clommunity/tahoe/configure/join", data, token_from="/clommunity/tahoe"))
    assert admin.helper.config["tahoe"] == {"form": "join", "furl": FURL, "nickname": "box-1"}


def test_install_when_dpkg_is_busy(admin):
    admin.helper.busy = True
    answer = admin.post("/clommunity/tahoe/install", token_from="/clommunity/tahoe")
    assert answer.status_code == 302
    assert "installing packages now" in admin.get(answer.location).get_data(as_text=True)
    assert admin.helper.states["tahoe"] == "not-installed"


def test_services_without_a_role_are_not_shown(admin):
    assert admin.get("/clommunity/nope").status_code == 404  # every service has its role now
    page = admin.get("/clommunity/").get_data(as_text=True)
    for name in ("Proxy3",):  # Proxy3: in the Guifi menu
        assert name not in page


@pytest.mark.parametrize("path", ["/clommunity/tahoe/reboot", "/clommunity/nope/install"])
def test_unknown_service_or_action(admin, path):
    token = admin.token("/clommunity/tahoe")
    admin.helper.calls.clear()
    assert admin.post(path, token=token).status_code == 404
    assert "service.action" not in admin.helper.verbs()


def test_bad_job_id(admin):
    assert admin.get("/jobs/..%2Fetc").status_code == 404
    assert admin.get("/jobs/no-such-job").status_code == 404


# The gateway -------------------------------------------------------------------------------
@pytest.fixture
def gateway():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"<html>tahoe at {self.path}</html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Set-Cookie", "x=1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_gateway_behind_login(panel, gateway):
    services = panel.app.extensions["cloudy_services"]
    services["tahoe"] = dataclasses.replace(services["tahoe"], gateway_port=gateway)
    assert panel.get("/clommunity/tahoe/gateway/").status_code == 302
    panel.login()
    answer = panel.get("/clommunity/tahoe/gateway/uri?t=json")
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "<html>tahoe at /uri?t=json</html>"
    assert answer.headers["Content-Security-Policy"] == "sandbox"
    assert "x=1" not in " ".join(answer.headers.get_all("Set-Cookie"))


def test_gateway_path_with_a_space(admin, gateway):
    services = admin.app.extensions["cloudy_services"]
    services["tahoe"] = dataclasses.replace(services["tahoe"], gateway_port=gateway)
    answer = admin.get("/clommunity/tahoe/gateway/a%20b")
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "<html>tahoe at /a%20b</html>"


def test_gateway_down(admin):
    services = admin.app.extensions["cloudy_services"]
    services["tahoe"] = dataclasses.replace(services["tahoe"], gateway_port=1)
    assert admin.get("/clommunity/tahoe/gateway/").status_code == 502


# System ------------------------------------------------------------------------------------
def test_system_check_then_upgrade(admin):
    page = admin.get("/system").get_data(as_text=True)
    assert "openssl" not in page and "system.upgradable" not in admin.helper.verbs()
    page = admin.post("/system", token_from="/system").get_data(as_text=True)
    assert "<strong>openssl</strong> 3.0.14-1~deb12u2 → 3.0.15-1~deb12u1" in page
    job = run_job(admin, admin.post("/system/upgrade", token_from="/system"))
    assert admin.get(f"/jobs/{job}/status.json").get_json()["log_tail"] == ["apt-get upgrade", "done"]


def test_system_up_to_date(admin):
    admin.helper.packages = []
    assert "up to date" in admin.post("/system", token_from="/system").get_data(as_text=True)


# Configuration -----------------------------------------------------------------------------
def test_bad_configuration(tmp_path):
    with pytest.raises(ValueError, match="helper_socket"):
        create_app({"secret_key_file": "/x"})
    short = tmp_path / "key"
    short.write_text("short")
    with pytest.raises(ValueError, match="shorter than 32"):
        create_app({"helper_socket": "/x", "secret_key_file": str(short)})


def test_security_headers(admin):
    headers = admin.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_web_never_imports_the_controller():
    import subprocess

    code = "import cloudy_panel.web.app, sys; print(any(m.startswith('cloudy_deploy') for m in sys.modules))"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.stdout.strip() == "False", done.stderr


def test_a_descriptor_adds_a_page_and_its_menu(admin):
    services = admin.app.extensions["cloudy_services"]
    proxy = dataclasses.replace(services["tahoe"], id="proxy3", name="Proxy3", category="guifi", discovery=())
    services["proxy3"] = admin.helper.services["proxy3"] = proxy
    admin.helper.states["proxy3"] = "not-installed"
    assert 'href="/guifi/"' in admin.get("/").get_data(as_text=True)
    page = admin.get("/guifi/").get_data(as_text=True)
    assert "Proxy3" in page and "Tahoe-LAFS" not in page
    assert 'id="do-install"' in admin.get("/clommunity/proxy3").get_data(as_text=True)
