"""The resource APIs over real HTTP on the local stack, as packs and users call them (api-contract §1-3, 6, 7)."""

import json
import re
from pathlib import Path

import pytest
import yaml

from flyte_local.gateway import is_default
from flyte_local.openapi import handler_paths

pytestmark = pytest.mark.e2e
QUICK_START = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"
PROBLEM = "application/problem+json"


def url(api, path):
    return api.base + path


def assert_problem(response, status, *words):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body


# --- discovery ----------------------------------------------------------------------------------


def test_v1_links_are_absolute_and_built_from_the_request(api, stack):
    host = stack.url.split("://", 1)[1]
    links = api.get(url(api, "/v1")).json()["links"]
    assert links[0] == {"href": f"http://{host}/v1", "rel": "self"}
    assert [link["rel"].rsplit("#", 1)[-1] for link in links[3:8]] == [
        "!/info/health",
        "!/pack/listPacks",
        "!/flow/listFlows",
        "!/datastore/listDatastoreItems",
        "!/flowAudit/findFlows",
    ]


def test_v1_says_which_release_serves_it(api):
    """Issue 26: a support question starts with the version; /v1 answers the layer's, the CHANGELOG's."""
    import flyte_core

    assert api.get(url(api, "/v1")).json()["version"] == flyte_core.__version__


def test_forged_forwarded_headers_do_not_reach_links_or_location(api, stack):
    """Issue 19, item 7: links come from the host the request was sent to, not from headers any client
    may send (the original's X-Flyte-Host and X-Forwarded-Host count only behind a trusted proxy)."""
    own = f"http://{stack.url.split('://', 1)[1]}/"
    forged = {"X-Forwarded-Host": "evil.example", "X-Flyte-Host": "evil.example", "X-Forwarded-Proto": "https"}
    links = api.get(url(api, "/v1"), headers=forged)
    assert links.json()["links"][0] == {"href": f"{own}v1", "rel": "self"}
    assert "evil.example" not in links.text
    registered = api.post(url(api, "/v1/packs"), json={"name": "Forged", "labels": {}}, headers=forged)
    assert registered.status_code == 201 and registered.headers["Location"].startswith(own)
    assert "evil.example" not in registered.text
    assert api.delete(registered.headers["Location"]).status_code == 204


def test_health_answers_200_while_the_tables_answer(api):
    assert api.get(url(api, "/health")).status_code == 200


def test_unknown_routes_are_404(api):
    assert api.get(url(api, "/v2/nothing")).status_code == 404


# --- packs --------------------------------------------------------------------------------------

SHELL = {
    "name": "Shell",
    "labels": {"env": "dev"},
    "commands": [{"name": "Shell", "events": ["Output"]}],
    "events": [{"name": "Output"}],
    "links": [{"href": "https://example.com/help", "rel": "help"}],
}


def test_pack_lifecycle_register_get_list_delete(api, stack, backend):
    registered = api.post(url(api, "/v1/packs"), json=SHELL)
    assert registered.status_code == 201
    assert registered.headers["Location"] == url(api, "/v1/packs/Shell.env.dev")
    pack = registered.json()
    assert pack["id"] == "Shell.env.dev" and pack["status"] == "live"
    take = next(link["href"] for link in pack["links"] if link["rel"].endswith("takeAction"))
    assert take == url(api, "/v1/packs/Shell.env.dev/actions/take")
    queues = backend.client("sqs").list_queues()["QueueUrls"]
    assert any("Shell_env_dev" in queue for queue in queues)

    assert api.get(url(api, "/v1/packs/Shell.env.dev")).json()["lastSeen"] == pack["lastSeen"]
    listed = api.get(url(api, "/v1/packs")).json()
    assert [p["id"] for p in listed["packs"]] == ["Shell.env.dev"]

    assert api.delete(url(api, "/v1/packs/Shell.env.dev")).status_code == 204
    assert_problem(api.get(url(api, "/v1/packs/Shell.env.dev")), 404, "Shell.env.dev")
    assert_problem(api.delete(url(api, "/v1/packs/Shell.env.dev")), 404)
    assert not any("Shell_env_dev" in q for q in backend.client("sqs").list_queues().get("QueueUrls", []))


def test_reserved_rels_are_400_with_the_field(api):
    response = api.post(url(api, "/v1/packs"), json={"name": "Bad", "links": [{"href": "x", "rel": "self"}]})
    assert_problem(response, 400, "reserved")
    assert response.json()["field"] == "links[0].rel"


def test_pack_registration_accepts_yaml_and_answers_yaml_when_asked(api):
    response = api.post(
        url(api, "/v1/packs"),
        data="name: Yamlish\nlabels: {env: prod}\n",
        headers={"Content-Type": "application/x-yaml", "Accept": "application/x-yaml"},
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/x-yaml; charset=utf-8"
    assert yaml.safe_load(response.text)["id"] == "Yamlish.env.prod"


# --- flows --------------------------------------------------------------------------------------


def test_the_seed_quick_start_curl_works_as_written(api):
    with open(QUICK_START, "rb") as flow_file:  # curl -X POST .../v1/flows -H 'content-type: application/x-yaml' -T flow.yaml
        response = api.post(url(api, "/v1/flows"), data=flow_file, headers={"content-type": "application/x-yaml"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == url(api, "/v1/flows/next_uk_bank_holidays")
    flow = api.get(response.headers["Location"]).json()
    assert flow["steps"][0]["criteria"] == yaml.safe_load(QUICK_START.read_text())["steps"][0]["criteria"]
    as_yaml = api.get(response.headers["Location"], headers={"Accept": "application/x-yaml"})
    assert yaml.safe_load(as_yaml.text)["name"] == "next_uk_bank_holidays"
    names = [f["name"] for f in api.get(url(api, "/v1/flows")).json()["flows"]]
    assert "next_uk_bank_holidays" in names


def test_flows_post_as_json_replace_and_delete(api):
    flow = {
        "name": "echo",
        "steps": [
            {
                "id": "a",
                "event": {"packName": "Slack", "name": "ReceivedMessage"},
                "command": {"packName": "Shell", "name": "Shell", "input": "echo 1"},
            }
        ],
    }
    assert api.post(url(api, "/v1/flows"), json=flow).status_code == 201
    flow["description"] = "second version"
    assert api.post(url(api, "/v1/flows"), json=flow).status_code == 201
    assert api.get(url(api, "/v1/flows/echo")).json()["description"] == "second version"
    assert api.delete(url(api, "/v1/flows/echo")).status_code == 204
    assert_problem(api.get(url(api, "/v1/flows/echo")), 404, "echo")


def test_every_saved_version_is_listed_oldest_first_even_after_the_flow_is_deleted(api):
    flow = {
        "name": "history",
        "steps": [{"id": "a", "event": {"packName": "P", "name": "E"}, "command": {"packName": "Q", "name": "C", "input": 1}}],
    }
    for number in (1, 2, 3):
        flow["description"] = f"version {number}"
        assert api.post(url(api, "/v1/flows"), json=flow).status_code == 201
    listed = api.get(url(api, "/v1/flows/history/versions"))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [v["flow"]["description"] for v in body["versions"]] == ["version 1", "version 2", "version 3"]
    assert [v["current"] for v in body["versions"]] == [False, False, True]
    assert len({v["uuid"] for v in body["versions"]}) == 3
    assert body["versions"][0]["createdAt"] <= body["versions"][2]["createdAt"]
    assert {link["rel"]: link["href"] for link in body["links"]} == {
        "self": url(api, "/v1/flows/history/versions"),
        "up": url(api, "/v1/flows/history"),
        "help": url(api, "/swagger#/flow"),
    }
    assert api.delete(url(api, "/v1/flows/history")).status_code == 204
    after = api.get(url(api, "/v1/flows/history/versions")).json()["versions"]
    assert [v["flow"]["description"] for v in after] == ["version 1", "version 2", "version 3"]
    assert not any(v["current"] for v in after)  # deleted: nothing current, the history stays
    assert_problem(api.get(url(api, "/v1/flows/never-saved/versions")), 404, "never-saved")
    assert_problem(api.get(url(api, "/v1/flows/history/versions?start=x")), 400, "start")


@pytest.mark.parametrize(
    "body, content_type, status, words",
    [
        ("", "application/json", 400, ["empty"]),
        ("{not json", "application/json", 400, ["not valid JSON"]),
        ("name: [unclosed", "application/x-yaml", 400, ["not valid YAML"]),
        ('{"name": "x"}', "application/json", 400, ["steps"]),
        (
            '{"name": "x", "steps": [{"id": "a", "event": {"packName": "P", "name": "E"}, "command": {"packName": "Q", "name": "C"},'
            ' "dependsOn": ["ghost"]}]}',
            "application/json",
            400,
            ["ghost"],
        ),
    ],
)
def test_bad_flows_are_400_problems_not_500(api, body, content_type, status, words):
    assert_problem(api.post(url(api, "/v1/flows"), data=body, headers={"content-type": content_type}), status, *words)


# --- datastore ----------------------------------------------------------------------------------


def test_datastore_put_get_list_delete(api):
    teams = json.dumps({"teama": {"email": "teama@example.com"}}).encode()
    created = api.put(
        url(api, "/v1/datastore/teams"),
        files={"value": ("teams.json", teams, "application/json")},
        data={"description": "Team contacts"},
    )
    assert created.status_code == 201
    replaced = api.put(url(api, "/v1/datastore/teams"), files={"value": ("teams.json", teams, "application/json")})
    assert replaced.status_code == 204
    item = api.get(url(api, "/v1/datastore/teams"))
    assert item.headers["content-type"] == "application/json"
    assert item.content == teams
    listing = api.get(url(api, "/v1/datastore")).json()["datastore"]
    assert {
        "key": "teams",
        "contentType": "application/json",
        "updatedBy": {"sub": "anonymous"},  # an open API: no token, so no issuer vouches for who it was
        "links": [{"href": url(api, "/v1/datastore/teams"), "rel": "self"}],
    } in listing
    assert api.delete(url(api, "/v1/datastore/teams")).status_code == 204
    assert_problem(api.get(url(api, "/v1/datastore/teams")), 404)


def test_datastore_refuses_values_dynamodb_cannot_hold(api):
    big = b"x" * 400_000
    assert_problem(api.put(url(api, "/v1/datastore/big"), files={"value": ("big.txt", big, "text/plain")}), 413, "at most")


def test_datastore_binary_values_round_trip(api):
    data = bytes(range(256)) * 4
    assert api.put(url(api, "/v1/datastore/blob"), files={"value": ("b", data, "application/octet-stream")}).status_code == 201
    assert api.get(url(api, "/v1/datastore/blob")).content == data


# --- documentation --------------------------------------------------------------------------------


def test_openapi_document_lists_every_route(api, template_app):
    document = api.get(url(api, "/v1/swagger")).json()
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert documented == {
        (route.method, path) for route in template_app.routes if not is_default(route) for path in handler_paths(route.path)
    }


@pytest.mark.parametrize("page_path", ["/swagger", "/swagger/"])
def test_swagger_ui_5_and_its_assets_are_served_by_the_api_itself(api, page_path):
    page = api.get(url(api, page_path))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    assert assets and all(asset.startswith(url(api, "/swagger/")) for asset in assets)  # the API's own, no CDN
    for asset in assets:  # absolute, so they load from /swagger/ as well as /swagger
        assert api.get(asset).status_code == 200, asset
    assert "SwaggerUIBundle" in api.get(url(api, "/swagger/swagger_ui_start.js")).text  # a file: the CSP allows no inline script
    script = api.get(url(api, "/swagger/swagger-ui-bundle.js")).text
    assert 'PACKAGE_VERSION:"5.' in script  # swagger-ui 5 reads OpenAPI 3.1 (4.x said "Unable to render")
    assert "sourceMappingURL" not in api.get(url(api, "/swagger/swagger-ui.css")).text
    assert api.get(url(api, "/swagger/swagger-ui-bundle.js.map")).status_code == 404
    assert api.get(url(api, "/swagger/..%2Ftemplate.yaml")).status_code == 404


def test_the_deployed_info_function_carries_no_source_maps():
    info = Path(__file__).resolve().parents[2] / "functions" / "info"
    assert not list(info.rglob("*.map"))
    assert sum(f.stat().st_size for f in info.rglob("*") if f.is_file()) < 3_000_000  # swagger-ui-dist is 11 MB


# --- robustness -----------------------------------------------------------------------------------

GARBAGE = [
    b"",
    b"null",
    b"[]",
    b"42",
    b'"x"',
    b"{",
    b"\xff\xfe\x00",
    b'{"name": {"a": 1}}',
    b"name: [1, 2]",
    b'{"name": "x", "labels": [1], "links": "no"}',
    b'{"steps": {}}',
    b"- - -",
]


@pytest.mark.parametrize("method, path", [("POST", "/v1/packs"), ("POST", "/v1/flows"), ("PUT", "/v1/datastore/k")])
def test_garbage_input_is_a_4xx_problem_and_the_api_keeps_working(api, method, path):
    for body in GARBAGE:
        for content_type in ("application/json", "application/x-yaml", "multipart/form-data; boundary=x", None):
            headers = {"content-type": content_type} if content_type else {}
            response = api.request(method, url(api, path), data=body, headers=headers)
            assert 400 <= response.status_code < 500, (body, content_type, response.status_code, response.text)
            assert response.headers["content-type"] == PROBLEM
    assert api.get(url(api, "/health")).status_code == 200
