"""The ``zhongfu`` command (a Flask CLI group: ``flask --app marketplace`` works too)."""

from __future__ import annotations

import csv
import signal
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from marketplace import jobs
from marketplace.db import get_engine, session_scope
from marketplace.jobs import housekeeping


def _create_app() -> Flask:
    from marketplace import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Zhongfu 众扶 — matching households in hardship with the help a city can offer."""


def migrate(app: Flask) -> None:
    """Create or upgrade the schema with Alembic, then load regions, hubs and the taxonomy."""
    from marketplace.migrations import upgrade
    from marketplace.services.regions import load_reference_data

    upgrade(get_engine(app))
    with session_scope(get_engine(app)) as session:
        added = load_reference_data(session)
    if any(added.values()):
        click.echo(
            f"Loaded {added['regions']} regions, {added['hubs']} hubs, {added['items']} taxonomy items."
        )


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or migrate the schema and load reference data. Safe to run twice."""
    migrate(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("Database ready: " + _safe_url(current_app.config["DATABASE_URL"]))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("seed")
@click.option(
    "--demo", is_flag=True, help="Demo data: accounts, organisations, households, wishes, offers."
)
@click.option("--city", is_flag=True, help="A synthetic full-size Hangzhou (bulk-loaded).")
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.0001, 10),
    help="With --city: fraction of the full city.",
)
@click.option("--seed", "rng_seed", default=20261123, show_default=True, help="Random seed.")
@with_appcontext
def seed_command(demo: bool, city: bool, scale: float, rng_seed: int) -> None:
    """Fill the database with demo data or a synthetic city."""
    from marketplace.demo import seed_demo

    if demo == city:
        raise click.UsageError("Say what to seed: --demo or --city")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    migrate(app)
    if demo:
        with session_scope(get_engine(app)) as session:
            click.echo(seed_demo(session, seed=rng_seed))
        _print_accounts()
        return
    import time

    from marketplace.city import CITY_PASSWORD, Scale, seed_city

    size = Scale.of(scale)
    total = size.members + size.offers + size.households + size.needs + size.events
    started = time.perf_counter()
    with click.progressbar(
        length=total, label="Seeding the city", show_eta=True, show_percent=True
    ) as bar:
        counts = seed_city(
            get_engine(app), scale=size, seed=rng_seed, progress=lambda stage, n: bar.update(n)
        )
    click.echo(
        f"Loaded {counts} in {time.perf_counter() - started:.1f} s. Members' password: {CITY_PASSWORD}"
    )


def _print_accounts() -> None:
    from marketplace.demo import accounts_lines

    for line in accounts_lines():
        click.echo(line)


PRODUCTION_COMMAND = "gunicorn -c gunicorn.conf.py 'marketplace.wsgi:app'"


def start_message(host: str, port: int, *, worker: bool) -> list[str]:
    """What `zhongfu serve` says before it serves: the address to open, that this server is for
    one machine, and the production way in one line (gunicorn.conf.py, marketplace/wsgi.py)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    lines = [
        f"Zhongfu 众扶 is running: open http://{shown}:{port}/ in a browser (Ctrl-C to stop).",
        "This built-in server is for one machine (trying it out, a single office)"
        + ("" if worker else "; background jobs are off (--no-worker): run `zhongfu worker`")
        + ".",
        f"Production: {PRODUCTION_COMMAND} plus `zhongfu worker` (see Deployment in README.md).",
    ]
    return lines


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data on an empty database.")
@click.option(
    "--no-worker", is_flag=True, help="Do not run the background-job worker in this process."
)
def serve_command(host: str, port: int, no_demo: bool, no_worker: bool) -> None:
    """Run the product: migrate, seed demo data on first run, start the job worker and the server."""
    from marketplace import create_app
    from marketplace.demo import seed_demo

    app = create_app({"NO_DEMO": no_demo})
    migrate(app)
    if not no_demo:
        with session_scope(get_engine(app)) as session:
            summary = seed_demo(session)
        click.echo(summary)
        _print_accounts()
    if not no_worker:
        _start_worker(app)
    click.echo("")
    for line in start_message(host, port, worker=not no_worker):
        click.echo(line)
    sys.stdout.flush()
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def _start_worker(app: Flask) -> None:
    """Huey consumer threads inside this process (the embedded single-machine set-up)."""
    consumer = jobs.queue(app).create_consumer(workers=2, worker_type="thread", periodic=True)
    consumer.start()
    # Huey installs its own SIGINT/SIGTERM handlers for a standalone consumer; here Ctrl-C must
    # stop the whole server.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@click.command("worker")
@click.option("--workers", default=2, show_default=True)
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the background-job worker on its own (production: one or more per machine)."""
    jobs.queue().create_consumer(workers=workers, worker_type="thread", periodic=True).run()


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "hub_staff", "member", "org", "dept"]),
    help="dept: another department's system (API only: pushes monitoring events).",
)
@click.option("--hub", "hub_code", help="Hub region code (hub staff).")
@click.option("--org", "org_id", type=int, help="Organisation id (organisation accounts).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="")
@with_appcontext
def user_create(
    username: str,
    role: str,
    hub_code: str | None,
    org_id: int | None,
    password: str,
    display_name: str,
) -> None:
    """Create an account."""
    from flask_babel import force_locale

    from marketplace.services.accounts import create_user
    from marketplace.services.errors import ServiceError
    from marketplace.web.messages import render

    try:
        with session_scope(get_engine()) as session:
            user = create_user(
                session,
                actor=None,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                hub_code=hub_code,
                org_id=org_id,
            )
            click.echo(f"Created {role} account {user.username} (id {user.id}).")
    except ServiceError as exc:
        with force_locale("en"):  # the operator's console speaks English
            for field, message in (exc.errors or {"_": exc.message}).items():
                click.echo(f"Error: {field}: {render(message)}", err=True)
        sys.exit(2)


@click.group("regions")
def regions_group() -> None:
    """Reference data."""


DATUMS = click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"])
DATUM_HELP = (
    "Datum of the file's coordinates: wgs84 (GPS, phones) or cgcs2000 (天地图) are stored as "
    "they are; gcj02 (AMap/高德, Tencent, DataV) and bd09 (Baidu) are converted to WGS-84."
)


@regions_group.command("import-coords")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--datum", type=DATUMS, required=True, help=DATUM_HELP)
@with_appcontext
def import_coords(path: str, datum: str) -> None:
    """Import real coordinates from a CSV with columns code,lat,lon (converted to WGS-84)."""
    from marketplace.services.geo import Datum, rows_to_wgs84
    from marketplace.services.regions import import_coordinates

    with open(path, encoding="utf-8-sig") as f, session_scope(get_engine()) as session:
        count = import_coordinates(session, rows_to_wgs84(csv.DictReader(f), Datum(datum)))
    click.echo(f"Updated coordinates of {count} regions.")


@regions_group.command("import-boundaries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--datum", type=DATUMS, required=True, help=DATUM_HELP)
@click.option("--within", default=None, help="Match names only below this region code.")
@click.option(
    "--tolerance-m",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Drop outline points closer than this to the simplified line (0 keeps all).",
)
@with_appcontext
def import_boundaries_command(
    path: str, datum: str, within: str | None, tolerance_m: float
) -> None:
    """Import district and street outlines for the map from a GeoJSON FeatureCollection.

    Features are matched to regions by a code property (code, adcode: 6, 9 or 12 digits) or
    else by name; the file itself is not kept. Re-importing a region replaces its outline."""
    import json
    from pathlib import Path

    from marketplace.services.boundaries import BoundaryFileError, import_boundaries
    from marketplace.services.geo import Datum

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(
            f"{path} is not a GeoJSON file: {exc}. Nothing was imported."
        ) from exc
    try:
        with session_scope(get_engine()) as session:
            report = import_boundaries(
                session, data, datum=Datum(datum), within=within, tolerance_m=tolerance_m
            )
    except BoundaryFileError as exc:
        raise click.ClickException(f"{path}: {exc}. Nothing was imported.") from exc
    click.echo(
        f"Imported {report.stored['district']} district and {report.stored['street']} street "
        f"outlines (converted from {datum} to WGS-84)."
    )
    for label, features in (
        ("Matched no district or street", report.unknown),
        ("Matched several regions (use --within or a code property)", report.ambiguous),
        ("Skipped", report.skipped),
    ):
        if features:
            click.echo(f"{label}: {len(features)}", err=True)
            for feature in features:
                click.echo(f"  {feature}", err=True)


@click.command("housekeeping")
@with_appcontext
def housekeeping_command() -> None:
    """Expire overdue claims and needs, send the periodic alerts and rebuild the dashboards'
    counts now (the worker does this every minute)."""
    click.echo(housekeeping.run(current_app._get_current_object()))  # type: ignore[attr-defined]


@click.group("indicators")
def indicators_group() -> None:
    """The care indicators (关爱指标): visit rate, pairing coverage, delivery rate, satisfaction."""


@indicators_group.command("rebuild")
@with_appcontext
def indicators_rebuild() -> None:
    """Recompute the snapshot for the city, districts, streets and communities; print the time."""
    from marketplace.services import indicators

    with session_scope(get_engine(current_app._get_current_object())) as session:  # type: ignore[attr-defined]
        result = indicators.rebuild(session)
    click.echo(f"care indicators: {result['regions']} regions in {result['seconds']:.2f} s")


@click.group("draw")
def draw_group() -> None:
    """The claim window's draws (认领抽签, DESIGN §12): re-run one from its record."""


@draw_group.command("verify")
@click.argument("wish_id", type=int)
@with_appcontext
def draw_verify(wish_id: int) -> None:
    """Re-run WISH_ID's draw from its recorded seed and candidates: the seed, each candidate's
    weight, the recorded and the recomputed winner, OK or MISMATCH (exit 1)."""
    from marketplace.services import draws
    from marketplace.services.errors import NotFound

    with session_scope(get_engine(current_app)) as session:
        try:
            result = draws.verify(session, wish_id)
        except NotFound:
            raise click.ClickException(f"wish {wish_id} has no recorded draw") from None
    total = sum(int(c["weight"]) for c in result.candidates)
    click.echo(f"wish {result.need_id}: window closed {result.closed_at.isoformat()}")
    seed_state = "ok" if result.seed == result.expected_seed else "MISMATCH"
    click.echo(f"seed {result.seed} ({seed_state})")
    click.echo(f"candidates ({len(result.candidates)}, total weight {total}):")
    for c in result.candidates:
        share = int(c["weight"]) / total if total else 0.0
        click.echo(
            f"  member {c['member_id']}: weight {c['weight']} ({share:.1%}), band {c['band']},"
            f" {c['recent_claims']} claims in 90 days"
        )
    for c in result.excluded:
        click.echo(f"  member {c['member_id']}: not eligible at the close ({c['reason']})")
    click.echo(f"recorded winner:   {result.recorded_winner}")
    click.echo(f"recomputed winner: {result.recomputed_winner}")
    click.echo("OK" if result.ok else "MISMATCH")
    if not result.ok:
        sys.exit(1)


@click.group("resilience")
def resilience_group() -> None:
    """The resilience score model (抗风险能力赋分): versions, loading one, rescoring the city."""


@resilience_group.command("versions")
@with_appcontext
def resilience_versions() -> None:
    """The loaded model versions, newest first; the first is in force."""
    from marketplace.services import resilience

    with session_scope(get_engine(current_app)) as session:
        for i, row in enumerate(resilience.model_versions(session)):
            mark = "*" if i == 0 else " "
            title = row.definition.get("title", "")
            click.echo(f"{mark} {row.version}  {row.loaded_at:%Y-%m-%d %H:%M}  {title}")


@resilience_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-rescore", is_flag=True, help="Only load it; rescore later.")
@with_appcontext
def resilience_load(path: str, no_rescore: bool) -> None:
    """Load the model file PATH as a new version (put in force) and rescore every household."""
    from flask_babel import force_locale

    from marketplace.services import resilience
    from marketplace.services.errors import ServiceError
    from marketplace.web.messages import render

    try:
        with session_scope(get_engine(current_app)) as session:
            model = resilience.parse_model_bytes(Path(path).read_bytes())
            resilience.active_row(session)  # the bundled version, if none was loaded yet
            row = resilience.load_model(session, model.definition)
            click.echo(f"Loaded model {row.version} ({len(model.indicators)} indicators).")
    except ServiceError as exc:
        with force_locale("en"):  # the operator's console speaks English
            for field, message in (exc.errors or {"_": exc.message}).items():
                click.echo(f"Error: {field}: {render(message)}", err=True)
        sys.exit(2)
    if not no_rescore:
        _rescore(row.version)


@resilience_group.command("rescore")
@click.option("--version", "version", default=None, help="Default: the version in force.")
@with_appcontext
def resilience_rescore(version: str | None) -> None:
    """Rescore every household under a model version, in bulk, and report what changed."""
    _rescore(version)


def _rescore(version: str | None) -> None:
    from marketplace.services import resilience

    def progress(done: int, total: int) -> None:
        if done == total or done % 100_000 == 0:
            click.echo(f"  {done:,} / {total:,}")

    with session_scope(get_engine(current_app)) as session:
        report = resilience.rescore_all(session, version=version, progress=progress)
    r = report.as_dict()
    click.echo(
        f"Rescored {r['households']:,} households under {r['model_version']} in {r['seconds']} s:"
        f" {r['changed_score']:,} changed score, {r['changed_level']:,} changed level"
        f" {r['transitions']}; by level {r['by_level']}"
        + (f"; {r['unprofiled']:,} without a profile kept their score" if r["unprofiled"] else "")
    )


@click.group("bench")
def bench_group() -> None:
    """Benchmarks on the loaded database (see BENCHMARKS in the README)."""


@bench_group.command("web")
@click.option("--repeat", default=40, show_default=True)
@click.option("--district", default="330102", show_default=True)
@click.option("--only", default="", help="Only the rows whose name contains this text.")
@with_appcontext
def bench_web_command(repeat: int, district: str, only: str) -> None:
    """p50/p95 server time of browsing, search, household page and dashboard."""
    from marketplace.bench import bench_web

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    bench_web(app, repeat=repeat, district=district, only=only)


@bench_group.command("round")
@with_appcontext
def bench_round_command() -> None:
    """A city-wide match round from query to stored proposals, with the split."""
    from marketplace.bench import bench_round

    bench_round(current_app._get_current_object())  # type: ignore[attr-defined]


@bench_group.command("rescore")
@click.option("--keep", is_flag=True, help="Commit the new scores (default: roll back).")
@with_appcontext
def bench_rescore_command(keep: bool) -> None:
    """Rescore every household under the model in force, in bulk (target: 150,000 in 60 s)."""
    from marketplace.bench import bench_rescore

    bench_rescore(current_app._get_current_object(), keep=keep)  # type: ignore[attr-defined]


@bench_group.command("events")
@click.option("-n", "count", default=10_000, show_default=True, help="Events to push.")
@click.option("--unknown", default=0.05, show_default=True, help="Share of unknown ID numbers.")
@click.option(
    "--batch", default=500, show_default=True, help="Events per request (1: single requests)."
)
@click.option(
    "--import-rows", default=None, type=int, help="Rows of the events import timed after (0: none)."
)
@with_appcontext
def bench_events_command(count: int, unknown: float, batch: int, import_rows: int | None) -> None:
    """Push events through POST /api/v1/monitoring-events as a dept account, BATCH per request,
    then import as many from a workbook (target: 10,000 in 60 s). The events, warnings and leads
    are kept."""
    from marketplace.bench import bench_events

    bench_events(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        n=count,
        unknown_share=unknown,
        batch=batch,
        import_rows=import_rows,
    )


def register(app: Flask) -> None:
    for command in (
        init_db_command,
        seed_command,
        user_group,
        regions_group,
        housekeeping_command,
        worker_command,
        bench_group,
        resilience_group,
        draw_group,
        indicators_group,
    ):
        app.cli.add_command(command)


main.add_command(serve_command)
