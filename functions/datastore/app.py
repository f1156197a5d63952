"""Datastore: multipart PUT, raw GET, list, delete (api-contract §7)."""

from dataclasses import replace

from flyte_core.adapters import Adapters
from flyte_core.domain.datastore import list_representation, parse_upload, serving_headers
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value, raw
from flyte_core.services import datastore
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get("/v1/datastore", summary="List datastore items (without values)", tags=["datastore"], operation_id="listDatastoreItems")
def list_items():
    request = Request(app)
    return request.respond(list_representation(datastore.all_items(adapters), request.base, request.start()))


@app.get("/v1/datastore/<key>", summary="Get an item's raw value", tags=["datastore"], operation_id="getDatastoreItem")
def get_item(key: str):
    item = datastore.item(adapters, path_value(key, "key"))
    return raw(item.value, item.content_type, headers=serving_headers(item))


@app.put(
    "/v1/datastore/<key>",
    summary="Store an item (multipart/form-data: value file, description)",
    tags=["datastore"],
    operation_id="storeDatastoreItem",
)
def put_item(key: str):
    request = Request(app)
    item = replace(parse_upload(path_value(key, "key"), request.raw_body(), request.content_type), updated_by=request.actor)
    return empty(201 if datastore.store(adapters, item) else 204)


@app.delete("/v1/datastore/<key>", summary="Delete an item", tags=["datastore"], operation_id="deleteDatastoreItem")
def delete_item(key: str):
    datastore.delete(adapters, path_value(key, "key"), Request(app).caller.record())
    return empty(204)


lambda_handler = http_entrypoint(app)
