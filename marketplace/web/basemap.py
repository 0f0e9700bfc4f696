"""The map's base layer, for every page with a map (the staff map, the offer form's circle): 天地图
(Tianditu) with ``ZHONGFU_TIANDITU_KEY``, else a configured tile server (``MAP_TILE_URL``), else none
(the pages draw region outlines and names instead)."""

from __future__ import annotations

from urllib.parse import quote, urlparse

from flask import current_app

# 天地图 (Tianditu) WMTS in Web Mercator (the "_w" services): the vector map ("vec") and its
# annotation layer ("cva", the place names), on the hosts t0–t7. The key ("tk") is a browser key.
TIANDITU_HOSTS = tuple(f"https://t{i}.tianditu.gov.cn" for i in range(8))
TIANDITU_WMTS = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)


def _tianditu(layer: str, key: str) -> str:
    """A Leaflet URL template for one Tianditu layer ({s}, {z}, {x}, {y} are Leaflet's)."""
    return TIANDITU_WMTS.replace("{layer}", layer).replace("{tk}", quote(key, safe=""))


def _tile_origin() -> str | None:
    url = str(current_app.config.get("MAP_TILE_URL") or "")
    parsed = urlparse(url.replace("{", "").replace("}", ""))
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return f"{parsed.scheme}://{parsed.netloc}"
    return None


def base_map() -> tuple[dict[str, str], str | None]:
    """The base map's data attributes for map.js, and the image origins the CSP must allow:
    Tianditu with a key, else a configured tile server, else none (outlines only)."""
    key = str(current_app.config.get("TIANDITU_KEY") or "").strip()
    if key:
        layers = {
            "tiles": _tianditu("vec", key),
            "tiles-overlay": _tianditu("cva", key),
            "subdomains": "01234567",
            "max-zoom": "18",
            "attribution": "tianditu",
        }
        return layers, " ".join(TIANDITU_HOSTS)
    url = str(current_app.config.get("MAP_TILE_URL") or "")
    return ({"tiles": url} if url else {}), _tile_origin()
