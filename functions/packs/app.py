"""Packs: register, list, get, delete (spec 3)."""

from dataclasses import replace

from flyte_core.adapters import packs_table
from flyte_core.domain import packs, times
from flyte_core.domain.errors import NotFound
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import registry

app = create_app()


@app.get("/v1/packs", summary="List packs", tags=["pack"], operation_id="listPacks")
def list_packs():
    request = Request(app)
    return request.respond(packs.list_representation(list(packs_table.list_all()), request.base, times.now(), request.start()))


@app.post("/v1/packs", summary="Register a pack (creates its action queue)", tags=["pack"], operation_id="registerPack")
def register_pack():
    request = Request(app)
    pack = registry.register(replace(packs.parse_registration(request.json_body("pack registration")),
                                     registered_by=request.actor))
    return request.respond(packs.representation(pack, request.base, times.now()), 201,
                           headers={"Location": packs.pack_url(request.base, pack.id)})


@app.get("/v1/packs/<packId>", summary="Get a pack", tags=["pack"], operation_id="getPack")
def get_pack(packId: str):
    request = Request(app)
    pack = packs_table.get(path_value(packId, "packId"))
    if pack is None:
        raise NotFound(f"No pack {path_value(packId, 'packId')!r} is registered.")
    return request.respond(packs.representation(pack, request.base, times.now()))


@app.delete("/v1/packs/<packId>", summary="Delete a pack and its action queue", tags=["pack"], operation_id="deletePack")
def delete_pack(packId: str):
    if registry.unregister(path_value(packId, "packId")) is None:
        raise NotFound(f"No pack {path_value(packId, 'packId')!r} is registered.")
    return empty(204)


lambda_handler = http_entrypoint(app)
