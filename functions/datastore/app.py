"""Datastore: multipart PUT, raw GET, list, delete (spec 7)."""

from dataclasses import replace

from flyte_core.adapters import datastore_table
from flyte_core.domain import datastore
from flyte_core.domain.errors import NotFound
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value, raw

app = create_app()


@app.get("/v1/datastore", summary="List datastore items (without values)", tags=["datastore"],
         operation_id="listDatastoreItems")
def list_items():
    request = Request(app)
    return request.respond(datastore.list_representation(list(datastore_table.list_all()), request.base, request.start()))


@app.get("/v1/datastore/<key>", summary="Get an item's raw value", tags=["datastore"], operation_id="getDatastoreItem")
def get_item(key: str):
    item = datastore_table.get(path_value(key, "key"))
    if item is None:
        raise NotFound(f"No datastore item {path_value(key, 'key')!r}.")
    return raw(item.value, item.content_type)


@app.put("/v1/datastore/<key>", summary="Store an item (multipart/form-data: value file, description)",
         tags=["datastore"], operation_id="storeDatastoreItem")
def put_item(key: str):
    request = Request(app)
    item = replace(datastore.parse_upload(path_value(key, "key"), request.raw_body(), request.content_type),
                   updated_by=request.actor)
    return empty(201 if datastore_table.put(item) else 204)


@app.delete("/v1/datastore/<key>", summary="Delete an item", tags=["datastore"], operation_id="deleteDatastoreItem")
def delete_item(key: str):
    if not datastore_table.delete(path_value(key, "key")):
        raise NotFound(f"No datastore item {path_value(key, 'key')!r}.")
    return empty(204)


lambda_handler = http_entrypoint(app)
