"""Issue 8 over HTTP on the local stack: every input bounded, a clear 4xx with a problem+json body
naming what is wrong, never a 5xx, nothing stored lost or changed. One test (or more) per numbered
case of the issue, named `test_item<N>_...`."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from flyte_core.domain import bounds

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"
YAML = {"content-type": "application/x-yaml"}


def problem(response: requests.Response, status: int, *words: str) -> dict:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"] or word in json.dumps(body), body
    return body


def flow(
    name: str, input_: object = "{{ Event.Payload }}", pack: str = "BoundsSrc", event: str = "Go", destination: str = "BoundsDst"
) -> dict:
    return {
        "name": name,
        "steps": [
            {
                "id": "run",
                "event": {"packName": pack, "name": event},
                "command": {"packName": destination, "name": "Do", "input": input_},
            }
        ],
    }


@pytest.fixture
def url(stack):
    return stack.url


# --- 1: sizes --------------------------------------------------------------------------------------


def test_item1_a_500_kb_event_payload_is_413_naming_the_limit(make_pack):
    pack = make_pack("BoundsBig")
    response = pack.session.post(pack.events_url, json={"event": "Big", "payload": {"blob": "x" * 500_000}})
    body = problem(response, 413, str(bounds.MAX_PAYLOAD_BYTES))
    assert body["maxBytes"] == bounds.MAX_PAYLOAD_BYTES


def test_item1_a_20_mb_body_is_413_not_a_dropped_connection(url):
    response = requests.post(f"{url}/v1/flows", data=b"[" * 20_000_000, headers={"content-type": "application/json"})
    problem(response, 413)


def test_item1_a_refused_result_leaves_the_action_pending_and_a_good_one_still_completes_it(url, make_pack, post_flow):
    post_flow(flow("bounds_result"))
    source, target = make_pack("BoundsSrc"), make_pack("BoundsDst")
    source.send_event("Go", {"n": 1})
    taken = target.take_until()
    problem(target.post_result(taken, "Done", {"out": "y" * 500_000}), 413, "maxBytes")
    audit = requests.get(f"{url}/v1/audit/flows", params={"flowName": "bounds_result"}).json()["flows"][0]
    assert audit["actions"]["run"]["state"]["value"] == "PENDING"
    assert target.post_result(taken, "Done", {"out": "small"}).status_code == 202


def test_item1_a_pack_with_thousands_of_commands_or_huge_labels_is_refused(url):
    commands = [{"name": f"Command{i}", "events": [f"Event{i}{j}" for j in range(10)]} for i in range(3000)]
    problem(requests.post(f"{url}/v1/packs", json={"name": "Crowded", "commands": commands}), 413, "maxBytes")
    body = problem(requests.post(f"{url}/v1/packs", json={"name": "Labelled", "labels": {"big": "v" * 10_000}}), 400)
    assert body["field"] == "labels.big" and body["maxBytes"] == bounds.MAX_NAME_BYTES


def test_item1_a_flow_larger_than_an_item_holds_is_413(url):
    big = flow("bounds_big_flow", input_={f"k{i}": "v" * 1000 for i in range(300)})
    problem(requests.post(f"{url}/v1/flows", json=big), 413, str(bounds.MAX_FLOW_BYTES))
    assert requests.get(f"{url}/v1/flows/bounds_big_flow").status_code == 404


# --- 2: depth --------------------------------------------------------------------------------------

DEEP_JSON = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize("what", ["flow", "event", "pack", "result"])
def test_item2_json_and_yaml_10000_levels_deep_are_400_for_every_document(url, make_pack, what):
    pack = make_pack("BoundsDeep")
    target = {
        "flow": f"{url}/v1/flows",
        "pack": f"{url}/v1/packs",
        "event": pack.events_url,
        "result": f"{url}/v1/packs/{pack.id}/actions/000000000000000000000000/result",
    }[what]
    as_json = requests.post(target, data='{"payload": ' + DEEP_JSON + "}", headers={"content-type": "application/json"})
    assert problem(as_json, 400, "64 levels")["maxDepth"] == bounds.MAX_DEPTH
    as_yaml = requests.post(target, data="payload: " + "[" * 10_000, headers=YAML)
    assert problem(as_yaml, 400, "64 levels")["maxDepth"] == bounds.MAX_DEPTH


# --- 3: YAML aliases and types ---------------------------------------------------------------------


def alias_bomb(indent: str) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "".join(f"{indent}{line}\n" for line in lines)


def test_item3_an_alias_bomb_in_a_command_input_or_an_event_payload_is_400_at_once(url, make_pack):
    flow_yaml = (
        "name: bomb\nsteps:\n  - id: a\n    event: {packName: P, name: E}\n"
        "    command:\n      packName: P\n      name: C\n      input:\n" + alias_bomb("        ")
    )
    started = time.monotonic()
    problem(requests.post(f"{url}/v1/flows", data=flow_yaml, headers=YAML), 400, "aliases")
    pack = make_pack("BoundsAlias")
    problem(pack.session.post(pack.events_url, data="event: E\npayload:\n" + alias_bomb("  "), headers=YAML), 400, "aliases")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("value, kind", [("!!binary aGVsbG8=", "binary"), ("!!set {a, b}", "set")])
def test_item3_yaml_binary_and_set_are_400_naming_the_field(make_pack, value, kind):
    pack = make_pack("BoundsTypes")
    body = problem(pack.session.post(pack.events_url, data=f"event: E\npayload:\n  odd: {value}\n", headers=YAML), 400, kind)
    assert body["field"] == "payload.odd"


def test_item3_unquoted_dates_and_timestamps_are_kept_as_the_text_written(url):
    flow_yaml = (
        "name: dated\nsteps:\n  - id: a\n    event: {packName: P, name: E}\n"
        "    command: {packName: P, name: C, input: {day: 2026-12-25, at: 2001-12-14 21:59:43.10 -5}}\n"
    )
    assert requests.post(f"{url}/v1/flows", data=flow_yaml, headers=YAML).status_code == 201
    stored = requests.get(f"{url}/v1/flows/dated").json()
    assert stored["steps"][0]["command"]["input"] == {"day": "2026-12-25", "at": "2001-12-14 21:59:43.10 -5"}


# --- 4: numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000])
def test_item4_nan_infinity_and_huge_numbers_are_400_naming_the_field(make_pack, number):
    pack = make_pack("BoundsNumbers")
    response = pack.session.post(
        pack.events_url, data='{"event": "E", "payload": {"n": ' + number + "}}", headers={"content-type": "application/json"}
    )
    assert problem(response, 400)["field"] == "payload.n"


# --- 5: lone surrogates ----------------------------------------------------------------------------


def test_item5_lone_surrogates_are_400_for_flows_and_events(url, make_pack):
    problem(
        requests.post(f"{url}/v1/flows", data='{"name": "x\\ud800", "steps": []}', headers={"content-type": "application/json"}),
        400,
        "surrogate",
    )
    pack = make_pack("BoundsSurrogate")
    response = pack.session.post(
        pack.events_url, data='{"event": "E", "payload": {"t": "\\udc00"}}', headers={"content-type": "application/json"}
    )
    assert problem(response, 400, "surrogate")["field"] == "payload.t"
    assert requests.get(f"{url}/health").status_code == 200


# --- 6: response splitting -------------------------------------------------------------------------


def test_item6_a_pack_name_or_label_with_cr_lf_is_400_and_writes_no_header(url):
    for body, field in [
        ({"name": "x\r\nX-Injected: yes\r\nSet-Cookie: session=evil"}, "name"),
        ({"name": "Fine", "labels": {"k": "v\r\nX-Injected: yes"}}, "labels.k"),
        ({"name": "Fine", "labels": {"k\r\nX: y": "v"}}, "labels"),
    ]:
        response = requests.post(f"{url}/v1/packs", json=body)
        assert problem(response, 400, "control character")["field"].startswith(field)
        assert "x-injected" not in response.headers and "set-cookie" not in response.headers


# --- 7: every link leads back ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a#b", "what?", "100%2F", "sp ace", "x%y", "a.b", "..a"])
def test_item7_links_of_packs_with_url_characters_in_their_names_lead_back_to_them(url, name):
    response = requests.post(f"{url}/v1/packs", json={"name": name, "labels": {"env": "a#b"}})
    assert response.status_code == 201, response.text
    pack = response.json()
    self_link = next(link["href"] for link in pack["links"] if link["rel"] == "self")
    assert response.headers["location"] == self_link
    assert requests.get(self_link).json()["id"] == pack["id"]
    events = next(link["href"] for link in pack["links"] if link["rel"].endswith("event"))
    assert requests.post(events, json={"event": "E"}).status_code == 202
    listed = next(p for p in requests.get(f"{url}/v1/packs").json()["packs"] if p["id"] == pack["id"])
    assert requests.get(listed["links"][0]["href"]).json()["id"] == pack["id"]


@pytest.mark.parametrize("name", ["q?x", "h#x", "p%2Fx", "sp ace"])
def test_item7_flow_location_and_list_links_lead_back_to_the_flow(url, name):
    response = requests.post(f"{url}/v1/flows", json=flow(name))
    assert response.status_code == 201, response.text
    assert requests.get(response.headers["location"]).json()["name"] == name
    listed = next(f for f in requests.get(f"{url}/v1/flows").json()["flows"] if f["name"] == name)
    assert requests.get(listed["links"][0]["href"]).json()["name"] == name


@pytest.mark.parametrize("name", ["a/b", ".", ".."])
def test_item7_names_no_url_can_carry_are_400_saying_why(url, name):
    assert "field" in problem(requests.post(f"{url}/v1/packs", json={"name": name}), 400)
    assert "field" in problem(requests.post(f"{url}/v1/flows", json=flow(name)), 400)


def test_item7_a_datastore_key_with_a_slash_is_400_and_dot_keys_never_reach_the_api(url):
    problem(requests.put(f"{url}/v1/datastore/a%2Fb", files={"value": ("v", b"1", "text/plain")}), 400, "'/'")
    # clients remove dot segments before sending: `/v1/datastore/..` arrives as `/v1/`
    problem(requests.put(f"{url}/v1/datastore/..", files={"value": ("v", b"1", "text/plain")}), 404)


# --- 8: long names ---------------------------------------------------------------------------------


def test_item8_10_kb_names_are_400_naming_the_limit(url):
    long = "n" * 10_000
    assert problem(requests.post(f"{url}/v1/flows", json=flow(long)), 400)["maxBytes"] == bounds.MAX_NAME_BYTES
    assert problem(requests.post(f"{url}/v1/packs", json={"name": long}), 400)["maxBytes"] == bounds.MAX_NAME_BYTES
    assert problem(requests.post(f"{url}/v1/packs", json={"name": "P", "labels": {long: "v"}}), 400)["maxBytes"]
    key = requests.put(f"{url}/v1/datastore/{long}", files={"value": ("v", b"1", "text/plain")})
    assert problem(key, 400)["maxBytes"] == bounds.MAX_KEY_BYTES
    for path in (f"/v1/flows/{long}", f"/v1/packs/{long}", f"/v1/datastore/{long}"):
        assert requests.get(url + path).status_code == 400


# --- 9: non-Latin-1 and invisible characters -------------------------------------------------------


@pytest.mark.parametrize("name", ["🚀", "日本語", "déjà"])
def test_item9_non_latin1_names_get_a_percent_encoded_location_that_resolves(url, name):
    response = requests.post(f"{url}/v1/flows", json=flow(name))
    assert response.status_code == 201
    assert response.headers["location"].isascii()
    assert requests.get(response.headers["location"]).json()["name"] == name
    pack = requests.post(f"{url}/v1/packs", json={"name": name})
    assert pack.status_code == 201 and pack.headers["location"].isascii()
    assert requests.get(pack.headers["location"]).json()["name"] == name


@pytest.mark.parametrize("name", ["evil\u202etxt", "zero\u200bwidth", "bom\ufeff"])
def test_item9_bidi_and_invisible_characters_are_400(url, name):
    problem(requests.post(f"{url}/v1/flows", json=flow(name)), 400, "invisible")
    problem(requests.post(f"{url}/v1/packs", json={"name": name}), 400, "invisible")


# --- 10: responses Lambda can carry ----------------------------------------------------------------


def test_item10_large_payloads_are_cut_in_the_audit_list_with_a_link_to_the_full_record(url, make_pack, post_flow):
    post_flow(
        flow("bounds_audit", input_={"copy": "{{ Event.Payload.blob }}"}, pack="BoundsAuditSrc", destination="BoundsAuditDst")
    )
    source = make_pack("BoundsAuditSrc")
    for n in range(3):
        source.send_event("Go", {"n": n, "blob": "z" * 90_000})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listing = requests.get(f"{url}/v1/audit/flows", params={"flowName": "bounds_audit"})
        if len(listing.json()["flows"]) == 3:
            break
        time.sleep(0.3)
    assert len(listing.content) < 100_000  # 3 x 180 KB of payloads, cut
    action = listing.json()["flows"][0]["actions"]["run"]
    assert action["input"]["truncated"] is True and action["input"]["bytes"] > 90_000
    full = requests.get(action["input"]["href"]).json()
    assert full["actions"]["run"]["input"] == {"copy": "z" * 90_000}


# --- 11: a take by a pack deleted meanwhile --------------------------------------------------------


def test_item11_a_pack_deleted_while_it_long_polls_learns_it_at_once(url, make_pack):
    """The take in flight ends empty or 404 (since issue 21 it parks exactly `wait` on the queue and asks
    nothing more, where it used to end with one more receive that met the deleted queue); the pack's
    very next take is the 404 that tells it to register again, never a poll on a queue that is gone."""
    pack = make_pack("BoundsDeleted")
    answers: list[requests.Response] = []
    polling = threading.Thread(target=lambda: answers.append(requests.post(pack.take_url, params={"wait": 4})))
    polling.start()
    time.sleep(1)
    assert requests.delete(f"{url}/v1/packs/{pack.id}").status_code == 204
    polling.join()
    assert answers[0].status_code in (204, 404), answers[0].text
    problem(requests.post(pack.take_url, params={"wait": 0}), 404, "register")


# --- 12: every error is problem+json ---------------------------------------------------------------


def test_item12_unknown_routes_are_problem_json_404(url):
    problem(requests.get(f"{url}/v1/nowhere"), 404, "/v1/nowhere")
    problem(requests.get(f"{url}/v2"), 404)


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("DELETE", "/v1/packs", "GET, POST"),
        ("PUT", "/v1/flows/x", "DELETE, GET"),
        ("TRACE", "/v1", "GET"),
        ("PATCH", "/v1/datastore/k", "DELETE, GET, PUT"),
    ],
)
def test_item12_methods_a_route_does_not_have_are_problem_json_405_with_allow(url, method, path, allowed):
    response = requests.request(method, url + path)
    problem(response, 405, method)
    assert response.headers["allow"] == allowed


def test_item12_health_answers_with_a_content_type(url):
    response = requests.get(f"{url}/health")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")


# --- 13: {{ self }} --------------------------------------------------------------------------------


def test_item13_self_in_a_template_is_an_undefined_name(make_pack, post_flow):
    post_flow(flow("bounds_self", input_="[{{ self }}]", pack="BoundsSelfSrc", destination="BoundsSelfDst"))
    make_pack("BoundsSelfSrc").send_event("Go")
    assert make_pack("BoundsSelfDst").take_until().input == "[]"


# --- the rest: parameters and headers --------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"flowName": ""},
        {"flowName": "x" * 10_000},
        {"limit": "9" * 5000},
        {"actionPackLabels": "k:" + "v" * 10_000},
        {"start": "-1"},
    ],
)
def test_audit_query_parameters_are_bounded(url, params):
    response = requests.get(f"{url}/v1/audit/flows", params=params)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        problem(response, 400)


def test_a_huge_accept_or_content_type_header_is_400_naming_it(url):
    assert problem(requests.get(f"{url}/v1/flows", headers={"Accept": "x" * 5000}), 400)["field"] == "header accept"
    response = requests.post(f"{url}/v1/flows", data="{}", headers={"content-type": "y" * 5000})
    assert problem(response, 400)["field"] == "header content-type"


def test_a_host_header_that_is_not_a_host_does_not_reach_links_or_location(url):
    response = requests.post(f"{url}/v1/packs", json={"name": "HostCheck"}, headers={"Host": "evil.example\u00e9/x?"})
    assert response.status_code == 400


def test_datastore_keys_descriptions_and_content_types_are_bounded(url):
    problem(requests.put(f"{url}/v1/datastore/a%0Db", files={"value": ("v", b"1", "text/plain")}), 400, "control")
    problem(
        requests.put(f"{url}/v1/datastore/desc", files={"value": ("v", b"1", "text/plain"), "description": (None, "d" * 10_000)}),
        400,
        "description",
    )
    assert requests.put(f"{url}/v1/datastore/kept", files={"value": ("v", b"1", "text/plain")}).status_code == 201
    assert requests.get(f"{url}/v1/datastore/kept").content == b"1"
