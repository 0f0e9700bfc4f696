"""The OpenAPI 3.1 document; request bodies come from the same pydantic schemas the API validates.

The document states what the server enforces, so that a request the document allows is accepted:
the patterns of codes and phones, the characters text may hold (no control characters; at least
one visible character where a text is required, since text is trimmed), the codes of the reference
data (regions, taxonomy items, tags) as enumerations, and the formats of check-digit numbers
(``cn-resident-id``, ``cn-uscc``). Rules that JSON Schema cannot state (an offer's end on or after
its start, a deadline not in the past, lat and lon together) are in the descriptions. Every
operation documents 400 (a malformed request) and 422 (input that breaks a rule: a message per
field, nothing stored).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from marketplace.api.campaigns_openapi import campaign_paths
from marketplace.api.care_openapi import care_paths
from marketplace.api.casefile_openapi import (
    HOUSEHOLD_PATCH,
    NEED_PATCH,
    OFFER_PATCH,
    casefile_paths,
)
from marketplace.api.draws_openapi import claim_responses, draw_paths
from marketplace.api.monitoring_openapi import monitoring_paths, monitoring_schemas
from marketplace.api.patterns import text_pattern
from marketplace.api.projects_openapi import project_paths
from marketplace.api.records_openapi import record_paths
from marketplace.api.rounds_openapi import round_paths
from marketplace.api.suggest_openapi import suggest_paths
from marketplace.api.warnings_openapi import warning_paths, warning_schemas
from marketplace.config import Defaults
from marketplace.models import HOUSEHOLD_TAGS
from marketplace.schemas import DecisionIn, DeliveryIn, HouseholdIn, NeedIn, OfferIn, OrgIn
from marketplace.services.regions import region_rows
from matching import taxonomy

ERROR = {"$ref": "#/components/schemas/Error"}
CURSOR = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


def _text(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic string schema with the characters and the visible length the server wants."""
    out = {k: v for k, v in schema.items() if k != "minLength"}
    visible = int(schema.get("minLength", 0))
    out["pattern"] = text_pattern(visible)
    if visible:
        out["minLength"] = visible
    return out


def _patch_schemas(schemas: dict[str, Any]) -> None:
    """The PATCH bodies of 一户一档: the fields of the create bodies with the same rules (the
    server checks an edit as it checks a registration), none required."""
    for name, source, patch in (
        ("HouseholdPatch", "HouseholdIn", HOUSEHOLD_PATCH),
        ("NeedPatch", "NeedIn", NEED_PATCH),
        ("OfferPatch", "OfferIn", OFFER_PATCH),
    ):
        created = schemas[source]["properties"]
        schemas[name] = {
            "type": "object",
            "description": patch["description"],
            "properties": {
                field: created.get(field, own) for field, own in patch["properties"].items()
            },
            "additionalProperties": False,
        }


def _reference_codes() -> dict[str, list[str]]:
    rows = region_rows()
    return {
        "community": [r.code for r in rows if r.level == "community"],
        "region": [r.code for r in rows if r.level in ("district", "street", "community")],
        "item": [item.code for item in taxonomy.items()],
    }


def _constrain(schemas: dict[str, Any]) -> None:
    """Say in the document what the validators behind the pydantic schemas enforce."""
    codes = _reference_codes()
    schemas["CommunityCode"] = {
        "type": "string",
        "description": "A 12-digit community (社区/村) code",
        "enum": codes["community"],
    }
    schemas["RegionCode"] = {
        "type": "string",
        "description": "A district (6 digits), street (9) or community (12) code",
        "enum": codes["region"],
    }
    schemas["ItemCode"] = {
        "type": "string",
        "description": "A taxonomy item (帮扶事项) code such as 07-02",
        "enum": codes["item"],
    }
    for name in ("HouseholdIn", "NeedIn", "OrgIn", "OfferIn", "DeliveryIn", "DecisionIn"):
        for prop in schemas[name].get("properties", {}).values():
            if prop.get("type") == "string" and "format" not in prop and "enum" not in prop:
                prop.update(_text(prop))
    household = schemas["HouseholdIn"]["properties"]
    household["id_number"] = {
        "type": "string",
        "format": "cn-resident-id",
        "pattern": "^[0-9]{17}[0-9X]$",
        "description": "Resident ID number (GB 11643): a real birth date and the ISO 7064 "
        "MOD 11-2 check character",
    }
    household["phone"] = {
        "type": "string",
        "pattern": r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$",
        "description": "An 11-digit mobile number or a landline such as 0571-88888888",
    }
    household["community_code"] = {"$ref": "#/components/schemas/CommunityCode"}
    household["tags"]["items"] = {"type": "string", "enum": list(HOUSEHOLD_TAGS)}
    need = schemas["NeedIn"]
    need["properties"]["item"] = {"$ref": "#/components/schemas/ItemCode"}
    need["properties"]["household_id"] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    need["properties"]["value_yuan"] = {
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": 1_000_000},
            {"type": "string", "pattern": r"^(?:[0-9]{1,6}(?:\.[0-9]{1,2})?|1000000(?:\.00?)?)$"},
        ],
        "description": "Yuan, at most 1,000,000, at most two decimals",
    }
    need["properties"]["deadline"]["description"] = "Not before today (Beijing time)"
    need["properties"]["campaign_id"] = {
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, {"type": "null"}],
        "default": None,
        "description": "A running campaign (专项活动) that targets the household's community "
        "and has the need's item as a theme item",
    }
    schemas["OrgIn"]["properties"]["credit_code"] = {
        "type": "string",
        "format": "cn-uscc",
        "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        "description": "Unified social credit code (GB 32100) with its check character",
    }
    offer = schemas["OfferIn"]
    offer["properties"]["items"]["items"] = {"$ref": "#/components/schemas/ItemCode"}
    offer["properties"]["regions"]["items"] = {"$ref": "#/components/schemas/RegionCode"}
    offer["properties"]["unit"] = {
        "anyOf": [{"type": "string", "enum": list(taxonomy.UNITS)}, {"type": "null"}],
        "default": None,
        "description": "What capacity counts (份 portion, 次 session, 小时 hour, 人 person); "
        "null: the default unit of the first item",
    }
    offer["description"] = (
        "``end`` is on or after ``start``; the service area is ``regions`` and/or ``radius_km`` "
        "around ``lat``/``lon``; ``lat`` and ``lon`` come together and ``radius_km`` needs them"
    )
    # A JSON delivery report carries no photo, so its note must say something: at least
    # DELIVERY_NOTE_MIN_CHARS visible characters (the default; a multipart report with a photo may
    # leave it empty).
    note = dict(schemas["DeliveryIn"]["properties"]["note"])
    schemas["DeliveryNoteIn"] = {
        "type": "object",
        "title": "DeliveryNoteIn",
        "properties": {
            "note": {**note, **_text({**note, "minLength": Defaults.DELIVERY_NOTE_MIN_CHARS})}
        },
        "required": ["note"],
    }
    # The decisions that need a reason (cancel, reject, hold) say so.
    reason = dict(schemas["DecisionIn"]["properties"]["reason"])
    schemas["ReasonIn"] = {
        "type": "object",
        "title": "ReasonIn",
        "properties": {"reason": {**reason, **_text({**reason, "minLength": 1})}},
        "required": ["reason"],
    }


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
        if ok != 204
        else {"description": "Done; no content"}
    }
    for code, why in (
        ("400", "Malformed request (not JSON where JSON is expected, a NUL character…)"),
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
            "otp": {
                "type": "string",
                "description": "The code of the authenticator app (or a recovery code), for "
                "an account with two-step sign-in",
            },
        },
        "required": ["username", "password"],
    }
    schemas["Token"] = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "current": {"type": "boolean", "description": "The token of this request"},
        },
        "required": ["id", "created_at", "expires_at", "last_used_at", "current"],
    }
    _constrain(schemas)
    _patch_schemas(schemas)
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
                "Exchange username and password (and the code of two-step sign-in) for a bearer "
                "token; throttled per client address and per username, with the login form",
                201,
                body=_body(schemas["TokenIn"]),
                auth=False,
                tag="auth",
            ),
            "get": _op(
                "Your live tokens (never their secrets); current marks the one you call with",
                ok_schema={
                    "type": "object",
                    "properties": {
                        "tokens": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}
                    },
                    "required": ["tokens"],
                },
                tag="auth",
            ),
        },
        "/tokens/current": {
            "delete": _op("Revoke the token you call with (log out)", 204, tag="auth"),
        },
        "/tokens/{token_id}": {
            "delete": {
                **_op("Revoke one of your tokens", 204, tag="auth"),
                "parameters": [_path_id("token_id")],
            }
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
                params=[_query("q", {"type": "string"}), _query("cursor", CURSOR)],
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
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 500,
                            "pattern": text_pattern(1),
                        },
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
                **_op("Cancel a need with a reason", body=_body(schemas["ReasonIn"]), tag="needs"),
                "parameters": [nid],
            }
        },
        "/needs/{need_id}/confirm": {
            "post": {
                **_op(
                    "Confirm a reported delivery; its service record gets the hours given here"
                    " (default: those the deliverer declared)",
                    body=_body(
                        {
                            "type": "object",
                            "properties": {
                                "hours": {"type": "number", "minimum": 0, "maximum": 24}
                            },
                        },
                        required=False,
                    ),
                    tag="needs",
                ),
                "parameters": [nid],
            }
        },
        "/needs/{need_id}/reject": {
            "post": {
                **_op(
                    "Reject a reported delivery with a reason",
                    body=_body(schemas["ReasonIn"]),
                    tag="needs",
                ),
                "parameters": [nid],
            }
        },
        "/wishes": {
            "get": _op(
                "Browse open micro-wishes (masked): by priority (risk level, raised for 急难型 "
                "and for an open important warning), then waiting time, oldest first; near me: by "
                "distance within priority. The cursor is the id of the last wish of a page",
                params=[
                    _query("item", {"type": "string", "pattern": r"^[0-9]{2}-[0-9]{2}$"}),
                    _query(
                        "region", {"type": "string", "pattern": r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"}
                    ),
                    {
                        # lat and lon come together: one object parameter, sent as its fields
                        # (?lat=…&lon=…&radius_km=…).
                        "name": "near",
                        "in": "query",
                        "required": False,
                        "style": "form",
                        "explode": True,
                        "description": "Wishes near a point: lat and lon together, radius_km "
                        "(default 3)",
                        "schema": {
                            "type": "object",
                            "properties": {
                                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                                "radius_km": {"type": "number", "minimum": 0.1, "maximum": 100},
                            },
                            "required": ["lat", "lon"],
                            "additionalProperties": False,
                        },
                    },
                    _query(
                        "campaign",
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        "Only the wishes of this campaign (专项活动, GET /campaigns)",
                    ),
                    _query("cursor", CURSOR),
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
                    "Claim a wish (members; exactly one winner). While the wish's claim window "
                    "is open (CLAIM_WINDOW_MINUTES after publication) this registers interest "
                    "instead (202): a weighted draw at the window's close picks the claimer",
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
                    body=_body({"$ref": "#/components/schemas/DeliveryNoteIn"}),
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
    # The one unauthenticated operation that answers 401 and 403; its 429 says when to retry.
    token_answers = paths["/tokens"]["post"]["responses"]
    token_answers["401"] = {
        "description": "Wrong username or password (or a disabled account: the same answer), "
        "or a missing or wrong code of two-step sign-in",
        "content": {"application/json": {"schema": ERROR}},
    }
    token_answers["403"] = {
        "description": "The account must first change its temporary password, or set up the "
        "two-step sign-in its role requires, on the web",
        "content": {"application/json": {"schema": ERROR}},
    }
    token_answers["429"] = {
        "description": "Too many attempts from this address or for this username: retry after "
        "the Retry-After seconds (the wait doubles with each further failure)",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        "content": {"application/json": {"schema": ERROR}},
    }
    paths.update(round_paths(_op, _path_id))
    paths["/wishes/{wish_id}/claim"]["post"]["responses"].update(claim_responses())
    paths.update(draw_paths(_op, _path_id))
    paths.update(record_paths(_op, _query))
    paths.update(suggest_paths(_op, _query))
    paths.update(project_paths(_op, _path_id, _query, text_pattern))
    paths.update(campaign_paths(_op, _path_id, _query, text_pattern))
    paths.update(monitoring_paths(_op, _path_id))
    for path, operations in casefile_paths(_op, _path_id, _query).items():
        paths.setdefault(path, {}).update(operations)  # PATCH beside an existing GET
    paths.update(care_paths(_op, _path_id, _query, text_pattern))
    schemas.update(monitoring_schemas())
    paths.update(warning_paths(_op, _path_id, _query))
    schemas.update(warning_schemas(text_pattern))
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
