"""The pages and the JSON they need: who lands where, what the inspector app loads (and keeps
offline), the checklist definitions API, and the school's view of its suppliers — tenancy incl."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date, timedelta

import pytest

from foodsafety.vocabulary import VOCABULARIES, as_json
from forms import forms
from forms.mobile import routes as mobile_routes
from tests.factories import full_login

PAGES_DIRS = ("forms/mobile", "foodsafety/web")


def _log_in(client, user):
    answer, _ = full_login(client, user.username)
    assert answer.status_code == 200
    return client


# --- pages --------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "landing"), [("inspector", "/m/"), ("school", "/school/"),
                                               ("bureau", "/stats/"), ("admin", "/stats/"),
                                               ("auditor", "/audit/")])
def test_after_login_each_role_lands_on_its_screens(client, make_user, make_school, role, landing):
    user = make_user(role, school=make_school() if role == "school" else None)
    answer = _log_in(client, user).get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == landing


def test_a_bureau_lands_on_the_statistics_of_its_own_jurisdiction(client, make_user):
    bureau = _log_in(client, make_user("bureau", "510100"))
    page = bureau.get(bureau.get("/").headers["Location"])
    assert page.status_code == 200 and "stats.js" in page.get_data(as_text=True)
    first = bureau.get("/api/v1/statistics/options").get_json()["jurisdictions"][0]
    assert (first["code"], first["name"]) == ("510100", "成都市")  # what the page shows first


def test_anonymous_visitors_get_the_login_page(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="login"' in page.get_data(as_text=True)


def test_an_auditor_sees_the_audit_log_page_and_no_statistics(client, make_user):
    _log_in(client, make_user("auditor", "510100"))
    page = client.get("/audit/")
    assert page.status_code == 200 and "audit.js" in page.get_data(as_text=True)
    assert client.get("/stats/").status_code == 403
    assert client.get("/school/").status_code == 302


@pytest.mark.parametrize("role", [None, "inspector", "admin"])
def test_only_an_auditor_opens_the_audit_log_page(client, make_user, role):
    if role:
        _log_in(client, make_user(role, "510100"))
    page = client.get("/audit/")
    assert page.status_code == 302 and page.headers["Location"] == "/"


@pytest.mark.parametrize("role", [None, "inspector", "bureau"])
def test_only_a_school_opens_the_school_view(client, make_user, role):
    if role:
        _log_in(client, make_user(role, "510104"))
    answer = client.get("/school/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_pages_run_under_the_strict_csp_without_inline_script_or_style(client, make_user,
                                                                         make_school):
    pages = {"/": client.get("/"), "/m/": client.get("/m/")}
    pages["/school/"] = _log_in(client, make_user("school", school=make_school())).get("/school/")
    for url, page in pages.items():
        html = page.get_data(as_text=True)
        assert page.status_code == 200, url
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        # The one inline script allowed is an import map (data, allowed by its hash, tested below).
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"importmap\"))", html), f"inline script in {url}"
        assert not re.search(r"\sstyle\s*=", html), f"inline style in {url}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline handler in {url}"


def test_nothing_is_loaded_from_the_internet():
    """No CDN, no web fonts, no external scripts: the pages work on a network without internet."""
    from config import BASE_DIR

    for folder in PAGES_DIRS:
        for path in (BASE_DIR / folder).rglob("*"):
            if path.suffix in {".js", ".css", ".html", ".webmanifest"}:
                text = path.read_text(encoding="utf-8")
                assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path


# --- the inspector app shell, service worker and cache version -----------------------------

def test_the_service_worker_covers_the_app_and_precaches_everything_it_loads(client):
    shell = client.get("/m/").get_data(as_text=True)
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    source = worker.get_data(as_text=True)
    assets = re.search(r"const ASSETS = (\[.*?\]);", source).group(1)
    referenced = re.findall(r'(?:src|href)="(/[^"]+)"', shell)
    for url in referenced:
        assert f'"{url}"' in assets, f"{url} is not precached"
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', shell).group(1))["imports"]
    assert imports["/m/static/app.js"] in assets and imports["/static/web/api.js"] in assets
    modules = re.findall(r'"(/[^"]+\.js)"', assets)
    for url in re.findall(r'"(/[^"]+)"', assets):
        assert client.get(url).status_code == 200, url
    # ES module imports resolve, through the shell's import map, to precached files.
    for url in modules:
        for imported in re.findall(r"(?:from|import\()\s*'([^']+)'", client.get(url).get_data(as_text=True)):
            absolute = imported if imported.startswith("/") else url.rsplit("/", 1)[0] + imported[1:]
            assert f'"{imports.get(absolute)}"' in assets, f"{url} imports {imported}, which is not precached"


def test_the_apps_files_are_named_by_their_content_and_cached_for_a_year(client):
    shell = client.get("/m/")
    html = shell.get_data(as_text=True)
    files = re.findall(r'(?:src|href)="(/m/assets/[^"]+)"', html)
    assert any(url.endswith(".css") for url in files) and any(url.endswith(".js") for url in files)
    for url in files:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert "immutable" in answer.headers["Cache-Control"] and "max-age=31536000" in answer.headers["Cache-Control"]
        if int(answer.headers["Content-Length"]) > 1024:  # and compressed like any text
            packed = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert packed.headers["Content-Encoding"] == "gzip", url
    # A name whose hash is not the file's content belongs to another release: not found.
    stale = re.sub(r"\.[0-9a-f]{10}\.js$", ".0123456789.js", next(u for u in files if u.endswith(".js")))
    assert client.get(stale).status_code == 404
    # The inline import map runs under the page's policy only by its hash.
    import_map = re.search(r'<script type="importmap">(.*?)</script>', html).group(1)
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in shell.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in shell.headers["Content-Security-Policy"]


def test_the_service_worker_leaves_the_desks_files_alone_and_revalidates_what_the_page_loaded(client):
    source = client.get("/m/sw.js").get_data(as_text=True)
    assets = re.search(r"const ASSETS = (\[.*?\]);", source).group(1)
    for unused in ("/static/web/school.js", "/static/web/desk.js", "/static/web/desk.css",
                   "/static/web/audit.js", "/static/web/login-page.js"):
        assert f'"{unused}"' not in assets
    assert "cache: 'reload'" not in source  # the first visit's files are not downloaded twice


def test_the_cache_is_renamed_when_any_app_file_changes(app, tmp_path, monkeypatch):
    extra = tmp_path / "extra.js"
    extra.write_text("export const a = 1;\n")
    original = mobile_routes._static_files
    monkeypatch.setattr(mobile_routes, "_static_files",
                        lambda: [*original(), ("/m/static/extra.js", extra)])
    with app.test_request_context():
        before = mobile_routes.asset_version()
        assert mobile_routes.asset_version() == before
        extra.write_text("export const a = 2;\n")
        assert mobile_routes.asset_version() != before


def test_the_manifest_opens_the_app_full_screen(client):
    manifest = client.get("/m/manifest.webmanifest").get_json(force=True)
    assert manifest["start_url"] == "/m/" and manifest["scope"] == "/m/"


# --- the checklist definitions API ---------------------------------------------------------

def test_definitions_are_refused_without_login(anonymous):
    assert anonymous.get("/api/v1/forms").status_code == 401
    assert anonymous.get("/api/v1/forms/canteen/1").status_code == 401


@pytest.mark.parametrize("role", ["inspector", "bureau", "admin", "school"])
def test_every_logged_in_role_reads_the_definitions(login_as, make_school, role):
    api = login_as(role, "510104", school=make_school() if role == "school" else None)
    listed = api.get("/api/v1/forms").get_json()
    assert {(f["id"], f["version"]) for f in listed} == {(d.id, d.version) for d in forms.all()}
    in_force = {(f["id"], f["version"]): f["applies_to"] for f in listed if f["latest"]}
    assert in_force == {(d.id, d.version): {"unit_kinds": list(d.applies_to.unit_kinds),
                                            "business_types": list(d.applies_to.business_types)}
                        for d in forms.in_force()}
    assert in_force[("sales", 1)] == {"unit_kinds": ["periphery"], "business_types": ["sales"]}
    canteen = api.get("/api/v1/forms/canteen/1").get_json()
    assert canteen["result_rule"] == forms.get("canteen", 1).result_rule
    # As stored, an item without a basis sent with "basis": null.
    assert canteen["sections"] == [{**section, "items": [{"basis": None, **item} for item in section["items"]]}
                                   for section in forms.get("canteen", 1).sections]
    assert sum(len(s["items"]) for s in canteen["sections"]) == 30
    # The list carries every definition in full, as each one's own address answers it: the phone
    # downloads them all in one request.
    for form in listed:
        assert form["definition"] == api.get(f"/api/v1/forms/{form['id']}/{form['version']}").get_json()


@pytest.mark.parametrize("role", ["inspector", "school", "auditor"])
def test_the_vocabularies_come_with_the_definitions_as_defined_once(login_as, make_school, role):
    api = login_as(role, "510104", school=make_school() if role == "school" else None)
    sent = api.get("/api/v1/forms/vocabulary").get_json()
    assert sent == as_json()
    assert [term["label"] for term in sent["answer"]] == ["是", "否", "合理缺项"]


def test_the_vocabularies_are_refused_without_login(anonymous):
    assert anonymous.get("/api/v1/forms/vocabulary").status_code == 401


def test_the_openapi_document_lists_each_vocabularys_codes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    vocabulary = schemas["Vocabulary"]
    assert set(vocabulary["required"]) == set(VOCABULARIES)
    answer = schemas[vocabulary["properties"]["answer"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert answer["properties"]["code"]["enum"] == ["yes", "no", "na"]
    assert set(answer["required"]) == {"code", "label"}
    path = spec["paths"]["/api/v1/forms/vocabulary"]["get"]
    assert path["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Vocabulary")


@pytest.mark.parametrize("url", ["/api/v1/forms/canteen/99", "/api/v1/forms/nope/1"])
def test_an_unknown_definition_is_404(login_as, url):
    answer = login_as("inspector").get(url)
    assert answer.status_code == 404 and answer.get_json()["message"] == "记录不存在。"


# --- the school's view of its suppliers ----------------------------------------------------

def _supplier_inspection(login_as, new_inspection, unit, days_ago, answers=None, haccp="none"):
    doc = new_inspection(unit, answers=answers,
                         when=(date.today() - timedelta(days=days_ago)).isoformat() + "T10:00:00+08:00",
                         observed={"wuchang_6t": True, "haccp": haccp, "mingchu": [],
                                   "licence_displayed": True})
    answer = login_as("inspector", unit.jurisdiction_code).post("/api/v1/inspections", json=doc)
    assert answer.status_code == 201, answer.get_json()


def test_a_school_sees_its_current_suppliers_latest_result_and_haccp_status(
        login_as, make_school, make_unit, make_link, new_inspection):
    school = make_school()
    supplier = make_unit("supplier", name="蓉城配餐", haccp="certified",
                         haccp_cert_expires_on=date(2027, 6, 30))
    former = make_unit("supplier", name="已停止合作的配餐公司")
    make_link(supplier, school)
    make_link(former, school, starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31))
    _supplier_inspection(login_as, new_inspection, supplier, 30, answers={"4.2": "no", "4.1": "no"})
    _supplier_inspection(login_as, new_inspection, supplier, 2, haccp="established")

    listed = login_as("school", school=school).get("/api/v1/school-view/suppliers").get_json()
    assert [s["supplier"]["name"] for s in listed] == ["蓉城配餐"]
    (status,) = listed
    assert status["haccp_label"] == "已通过认证" and status["haccp_cert_expires_on"] == "2027-06-30"
    latest = status["latest_inspection"]
    assert latest["result_label"] == "符合"  # the newer inspection, not the failed older one
    assert latest["inspected_on"] == (date.today() - timedelta(days=2)).isoformat()
    assert latest["haccp_label"] == "已建立"


def test_a_supplier_never_inspected_shows_no_result(login_as, make_school, make_unit, make_link):
    school = make_school()
    make_link(make_unit("supplier"), school)
    (status,) = login_as("school", school=school).get("/api/v1/school-view/suppliers").get_json()
    assert status["latest_inspection"] is None


def test_another_school_sees_nothing_of_those_suppliers(login_as, make_school, make_unit,
                                                        make_link, new_inspection):
    mine, other = make_school(), make_school(jurisdiction="510105")
    supplier = make_unit("supplier")
    make_link(supplier, mine)
    _supplier_inspection(login_as, new_inspection, supplier, 1)
    assert login_as("school", school=other).get("/api/v1/school-view/suppliers").get_json() == []


@pytest.mark.parametrize("role", ["inspector", "bureau", "admin"])
def test_the_school_view_api_is_for_schools_only(login_as, role):
    assert login_as(role, "510104").get("/api/v1/school-view/suppliers").status_code == 403


def test_the_school_view_api_needs_a_login(anonymous):
    assert anonymous.get("/api/v1/school-view/suppliers").status_code == 401


def test_a_school_gets_404_for_another_schools_inspection(login_as, make_school, make_unit,
                                                          new_inspection):
    mine, other = make_school(), make_school(jurisdiction="510105")
    other_canteen = make_unit(school=other, jurisdiction="510105")
    doc = new_inspection(other_canteen)
    assert login_as("inspector", "510105").post("/api/v1/inspections", json=doc).status_code == 201
    school = login_as("school", school=mine)
    assert school.get(f"/api/v1/inspections/{doc['id']}").status_code == 404
    assert school.get("/api/v1/inspections").get_json()["total"] == 0
