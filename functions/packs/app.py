"""Packs: register, list, get, delete (api-contract §3)."""

from flyte_core.adapters import Adapters
from flyte_core.domain import times
from flyte_core.domain.delivery import parse_registration as parse_delivery
from flyte_core.domain.packs import list_representation, pack_url, parse_registration, representation
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import registry
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get("/v1/packs", summary="List packs", tags=["pack"], operation_id="listPacks")
def list_packs():
    request = Request(app)
    return request.respond(list_representation(registry.all_packs(adapters), request.base, times.now(), request.start()))


@app.post("/v1/packs", summary="Register a pack (creates its action queue)", tags=["pack"], operation_id="registerPack")
def register_pack():
    request = Request(app)
    body = request.json_body("pack registration")
    pack = parse_registration(body)
    delivery = parse_delivery(body.get("delivery"), adapters.settings.delivery_bounds)  # issue 20: a push pack
    pack = registry.register(adapters, pack, request.caller, delivery, request.base)
    return request.respond(
        representation(pack, request.base, times.now()), 201, headers={"Location": pack_url(request.base, pack.id)}
    )


@app.get("/v1/packs/<packId>", summary="Get a pack", tags=["pack"], operation_id="getPack")
def get_pack(packId: str):
    request = Request(app)
    return request.respond(representation(registry.pack(adapters, path_value(packId, "packId")), request.base, times.now()))


@app.delete("/v1/packs/<packId>", summary="Delete a pack and its action queue", tags=["pack"], operation_id="deletePack")
def delete_pack(packId: str):
    registry.remove(adapters, path_value(packId, "packId"), Request(app).caller)
    return empty(204)


lambda_handler = http_entrypoint(app)
