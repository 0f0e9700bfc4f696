"""The OpenAPI 3.1 document; request bodies come from the same pydantic schemas the API validates."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from marketplace.api.rounds_openapi import round_paths
from marketplace.schemas import DecisionIn, DeliveryIn, HouseholdIn, NeedIn, OfferIn, OrgIn

ERROR = {"$ref": "#/components/schemas/Error"}
OBJECT = {"type": "object", "additionalProperties": True}
ID_OBJECT = {
    "type": "object",
    "properties": {"id": {"type": "integer"}},
    "required": ["id"],
    "additionalProperties": True,
}


def _body(model: type[BaseModel] | dict[str, Any], required: bool = True) -> dict[str, Any]:
    schema = (
        {"$ref": f"#/components/schemas/{model.__name__}"} if isinstance(model, type) else model
    )
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: int = 200,
    *,
    body: Any = None,
    auth: bool = True,
    params: list[dict[str, Any]] | None = None,
    ok_schema: dict[str, Any] | None = None,
    tag: str = "",
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(ok): {
            "description": "OK",
            "content": {"application/json": {"schema": ok_schema or OBJECT}},
        }
    }
    for code, why in (
        ("401", "Missing or invalid bearer token"),
        ("403", "Not allowed for your role or area"),
        ("404", "Not found or outside your area"),
        ("409", "Conflict with the current state"),
        ("422", "Invalid input: a message per field; nothing stored"),
        ("429", "Too many requests"),
    ):
        if code in ("401", "403") and not auth:
            continue
        responses[code] = {"description": why, "content": {"application/json": {"schema": ERROR}}}
    op: dict[str, Any] = {"summary": summary, "responses": responses, "tags": [tag] if tag else []}
    if auth:
        op["security"] = [{"bearer": []}]
    else:
        op["security"] = []
    if body is not None:
        op["requestBody"] = body
    if params:
        op["parameters"] = params
    return op


def _path_id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


@cache
def build_spec() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (HouseholdIn, NeedIn, OrgIn, OfferIn, DeliveryIn, DecisionIn):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "message": {
                "type": "string",
                "description": "In English; in Chinese with ?lang=zh_CN",
            },
            "code": {"type": "string", "description": "The message's stable code"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["error", "message"],
    }
    schemas["TokenIn"] = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "minLength": 1},
            "password": {"type": "string", "minLength": 1},
        },
        "required": ["username", "password"],
    }
    schemas["VetIn"] = {
        "type": "object",
        "properties": {
            "approve": {"type": "boolean"},
            "note": {"type": "string", "maxLength": 500},
        },
    }
    wid, nid, hid, cid, oid, rid = (
        _path_id(n)
        for n in ("wish_id", "need_id", "household_id", "claim_id", "org_id", "offer_id")
    )
    paths: dict[str, Any] = {
        "/tokens": {
            "post": _op(
                "Exchange username and password for a bearer token",
                201,
                body=_body(schemas["TokenIn"]),
                auth=False,
                tag="auth",
            )
        },
        "/households": {
            "post": _op(
                "Register a household (hub staff)",
                201,
                body=_body(HouseholdIn),
                ok_schema=ID_OBJECT,
                tag="households",
            ),
            "get": _op(
                "Search households in your area by name, pinyin initials or ID tail",
                params=[_query("q", {"type": "string"}), _query("cursor", {"type": "integer"})],
                tag="households",
            ),
        },
        "/households/{household_id}": {
            "get": {
                **_op("A household with its needs (audited view)", tag="households"),
                "parameters": [hid],
            }
        },
        "/needs": {
            "post": _op(
                "Record a need (wish or service) for a household",
                201,
                body=_body(NeedIn),
                ok_schema=ID_OBJECT,
                tag="needs",
            )
        },
        "/items/suggest": {
            "get": _op(
                "Suggest taxonomy items for a free-text wish (top 3)",
                params=[
                    {
                        "name": "text",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 500},
                    }
                ],
                tag="needs",
            )
        },
        "/needs/{need_id}": {
            "get": {**_op("A need with its active claim", tag="needs"), "parameters": [nid]}
        },
        "/needs/{need_id}/publish": {
            "post": {**_op("Publish a reviewed need", tag="needs"), "parameters": [nid]}
        },
        "/needs/{need_id}/cancel": {
            "post": {
                **_op("Cancel a need with a reason", body=_body(DecisionIn), tag="needs"),
                "parameters": [nid],
            }
        },
        "/needs/{need_id}/confirm": {
            "post": {**_op("Confirm a reported delivery", tag="needs"), "parameters": [nid]}
        },
        "/needs/{need_id}/reject": {
            "post": {
                **_op(
                    "Reject a reported delivery with a reason", body=_body(DecisionIn), tag="needs"
                ),
                "parameters": [nid],
            }
        },
        "/wishes": {
            "get": _op(
                "Browse open micro-wishes (masked)",
                params=[
                    _query("item", {"type": "string", "pattern": r"^\d{2}-\d{2}$"}),
                    _query("region", {"type": "string", "pattern": r"^\d{6}(\d{3}(\d{3})?)?$"}),
                    _query("lat", {"type": "number", "minimum": -90, "maximum": 90}),
                    _query("lon", {"type": "number", "minimum": -180, "maximum": 180}),
                    _query("radius_km", {"type": "number", "minimum": 0.1, "maximum": 100}),
                    _query("cursor", {"type": "integer"}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                ],
                tag="wishes",
            )
        },
        "/wishes/{wish_id}": {
            "get": {**_op("One wish (masked)", tag="wishes"), "parameters": [wid]}
        },
        "/wishes/{wish_id}/claim": {
            "post": {
                **_op(
                    "Claim a wish (members; exactly one winner)",
                    201,
                    ok_schema=ID_OBJECT,
                    tag="wishes",
                ),
                "parameters": [wid],
            }
        },
        "/claims": {"get": _op("Your claims", tag="wishes")},
        "/claims/{claim_id}/deliver": {
            "post": {
                **_op(
                    "Report delivery with a note (and a photo as multipart)",
                    body=_body(DeliveryIn, required=False),
                    tag="wishes",
                ),
                "parameters": [cid],
            }
        },
        "/orgs": {
            "post": _op(
                "Register an organisation (pending vetting)",
                201,
                body=_body(OrgIn),
                ok_schema=ID_OBJECT,
                tag="orgs",
            )
        },
        "/orgs/{org_id}/vet": {
            "post": {
                **_op(
                    "Vet (approve or reject) an organisation (admin)",
                    body=_body(schemas["VetIn"], required=False),
                    tag="orgs",
                ),
                "parameters": [oid],
            }
        },
        "/offers": {
            "post": _op(
                "Publish an offer (organisation accounts)",
                201,
                body=_body(OfferIn),
                ok_schema=ID_OBJECT,
                tag="offers",
            ),
            "get": _op("Your organisation's offers", tag="offers"),
        },
        "/offers/{offer_id}": {
            "get": {
                **_op("One of your offers, with remaining capacity", tag="offers"),
                "parameters": [rid],
            }
        },
        "/happiness/{token}": {
            "get": {
                **_op("A household's 幸福清单 by its opaque token", auth=False, tag="households"),
                "parameters": [
                    {
                        "name": "token",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 64},
                    }
                ],
            }
        },
        "/openapi.json": {"get": _op("This document", auth=False, tag="meta")},
    }
    # Wrong credentials or a locked account: the one unauthenticated operation that answers 401.
    paths["/tokens"]["post"]["responses"]["401"] = {
        "description": "Wrong username or password, or the account is locked or disabled",
        "content": {"application/json": {"schema": ERROR}},
    }
    paths.update(round_paths(_op, _path_id))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Zhongfu 众扶 API",
            "version": "1.0.0",
            "description": "Needs, offers, claims and confirmations. Errors are JSON with a message per field.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }
