"""The ``go4graph`` command: serve, simulator, export-schema, token."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import tempfile
from pathlib import Path


def _settings_or_exit():  # type: ignore[no-untyped-def]
    from gateway.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        if settings.schools_file is not None:  # trust mode: a bad file is one line, at start
            from gateway.trust import load_schools

            load_schools(settings.schools_file)
        if settings.cache_url.startswith(("redis://", "rediss://")):  # a refused password: one line
            from gateway.resources.redis_conn import check_redis

            check_redis(settings.cache_url, timeout=max(settings.cache_timeout, 1.0))
        _check_audit_log(settings.audit_log, "GO4GRAPH_AUDIT_LOG")
        if settings.access_log != "off":
            _check_audit_log(settings.access_log, "GO4GRAPH_ACCESS_LOG")
        return settings
    except SettingsError as exc:
        print(f"go4graph: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _check_audit_log(target: str, variable: str) -> None:
    """A file audit (or access) log must be writable now: a write refused later would lose a record."""
    from gateway.settings import SettingsError

    if target in ("", "stdout", "-", "stderr"):
        return
    try:
        directory = os.path.dirname(os.path.abspath(target))
        os.makedirs(directory, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as exc:
        raise SettingsError(f"invalid configuration: {variable}: cannot write {target}: "
                            f"{exc.strerror or exc}") from None


def _check_port(host: str, port: int) -> None:
    """Fail with one line, before anything else is printed, when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = ("address already in use" if exc.errno == errno.EADDRINUSE
                      else exc.strerror or str(exc))
            print(f"go4graph: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
            raise SystemExit(1) from None


def app_factory():  # type: ignore[no-untyped-def]
    """uvicorn's factory (also used by --reload and --workers)."""
    from gateway import logs
    from gateway.app import create_app

    settings = _settings_or_exit()
    logs.configure(settings.log_level)
    return create_app(settings)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings_or_exit()  # fail fast, with one line, before uvicorn starts
    _check_port(args.host, args.port)
    metrics_dir = None
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its metric values here; a scrape of any worker adds them up.
        # Set before the workers start (they read it when they import prometheus_client).
        metrics_dir = tempfile.TemporaryDirectory(prefix="go4graph-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir.name
    mode = "demo school (built-in simulator)" if settings.demo else "upstream"
    print(f"go4graph: serving {mode} on http://{args.host}:{args.port}/graphql", file=sys.stderr)
    try:
        uvicorn.run("gateway.cli:app_factory", factory=True, host=args.host, port=args.port,
                    reload=args.reload, workers=args.workers, log_level="warning",
                    access_log=False, timeout_graceful_shutdown=settings.shutdown_timeout)
    finally:
        if metrics_dir is not None:
            metrics_dir.cleanup()


def simulator(args: argparse.Namespace) -> None:
    from gateway.simulator import SimulatorConfig, run

    config = SimulatorConfig(students=args.students, page_size=args.page_size,
                             latency_ms=args.latency_ms)
    print(f"go4graph: simulator on http://{args.host}:{args.port}/customer/v1", file=sys.stderr)
    run(args.host, args.port, config)


def export_schema(args: argparse.Namespace) -> None:
    from gateway.graph.schema import schema

    text = schema.as_str() + "\n"
    if args.check:
        if not Path(args.out).is_file():
            print(f"go4graph: {args.out}: no such file (run from the repository root, or pass "
                  f"--out PATH)", file=sys.stderr)
            raise SystemExit(2)
        current = Path(args.out).read_text()
        if current != text:
            print(f"go4graph: {args.out} is out of date; run 'go4graph export-schema'", file=sys.stderr)
            raise SystemExit(1)
        return
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"go4graph: wrote {args.out}", file=sys.stderr)


def token(args: argparse.Namespace) -> None:
    import orjson

    from gateway import categories
    from gateway.trust import new_token, parse_expiry, token_hash

    scopes = None
    if args.scopes:
        try:
            scopes = sorted(c.value for c in categories.parse(args.scopes))
        except ValueError as exc:
            print(f"go4graph: --scopes: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    expires = None
    if args.expires:
        try:
            expires = parse_expiry(args.expires)
        except ValueError as exc:
            print(f"go4graph: --expires: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    value = new_token()
    # The token once, on stdout, for the client; the file keeps only its hash.
    print(value)
    entry = token_hash(value)
    if expires is not None or scopes is not None:
        fields: dict[str, object] = {"hash": entry}
        if expires is not None:
            fields["expires"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        if scopes is not None:
            fields["scopes"] = scopes
        entry = orjson.dumps(fields).decode()
    print(entry, flush=True)
    schools = ", ".join(args.school)
    print(f"go4graph: give the first line to the client (it is shown only this once); add the "
          f"second to the \"tokens\" of school(s) {schools} in GO4GRAPH_SCHOOLS_FILE (the "
          f"gateway picks the change up within seconds, or at once on SIGHUP)", file=sys.stderr)


def manifest(args: argparse.Namespace) -> None:
    import orjson

    from gateway.http.trusted import manifest_for
    from gateway.setting_values import sha256

    files = _graphql_files(args.paths)
    if not files:
        print("go4graph: no .graphql files given", file=sys.stderr)
        raise SystemExit(2)
    manifest = manifest_for(files)
    if args.categories:
        # What each registered operation reveals, beside the manifest (whose format stays
        # sha256 -> document): a deployment can see which data categories each one reads.
        needs = _categories_of(files)
        record = {sha256(file.read_text()): {"file": str(file), "categories": needs[file]}
                  for file in files}
        Path(args.categories).write_text(orjson.dumps(
            record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")
        for file in files:
            print(f"go4graph: {file}: {','.join(needs[file]) or '-'}", file=sys.stderr)
    sys.stdout.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")


def _graphql_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files += sorted(path.glob("*.graphql")) if path.is_dir() else [path]
    return files


def _categories_of(files: list[Path]) -> dict[Path, list[str]]:
    """The data categories each document's operations need (exit 2 on a bad document)."""
    from graphql import GraphQLError, parse, validate

    from gateway.graph import scopes as data_scopes
    from gateway.graph.schema import schema

    out: dict[Path, list[str]] = {}
    for file in files:
        try:
            document = parse(file.read_text())
        except (OSError, GraphQLError) as exc:
            print(f"go4graph: {file}: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        errors = validate(schema._schema, document)
        if errors:
            print(f"go4graph: {file}: not valid against the schema: {errors[0].message}", file=sys.stderr)
            raise SystemExit(2)
        out[file] = data_scopes.names(data_scopes.needed(schema._schema, document))
    return out


def scopes(args: argparse.Namespace) -> None:
    """Print the data categories a set of operations needs (to fill in a token request)."""
    files = _graphql_files(args.paths)
    if not files:
        print("go4graph: no .graphql files given", file=sys.stderr)
        raise SystemExit(2)
    needed = {c for cats in _categories_of(files).values() for c in cats}
    print(",".join(sorted(needed)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="go4graph", description="A GraphQL gateway over GO4Schools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the gateway (the demo school when GO4GRAPH_UPSTREAM_URL is unset)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (use one per core)")
    p.set_defaults(func=serve)

    p = sub.add_parser("simulator", help="run the fake GO4Schools and Assembly upstream")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--students", type=int, default=1200)
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.set_defaults(func=simulator)

    p = sub.add_parser("export-schema", help="write schema/schema.graphql from the code")
    p.add_argument("--out", default="schema/schema.graphql")
    p.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    p.set_defaults(func=export_schema)

    p = sub.add_parser("token", help="make a gateway token for trust mode (GO4GRAPH_SCHOOLS_FILE)")
    p.add_argument("--school", action="append", required=True, metavar="CODE",
                   help="the school code the token will read (repeat for several)")
    p.add_argument("--expires", metavar="WHEN",
                   help="when the token stops working: 2026-12-31 (midnight UTC) or 2026-12-31T00:00:00Z")
    p.add_argument("--scopes", metavar="CATEGORIES",
                   help="the data categories the token may read, e.g. basic,attendance,attendance-write "
                        "(default: all; 'go4graph scopes DOCUMENT...' lists what an app's operations need)")
    p.set_defaults(func=token)

    p = sub.add_parser("scopes", help="print the data categories a set of operations needs (for go4graph token --scopes)")
    p.add_argument("paths", nargs="+", metavar="DOCUMENT", help=".graphql files or folders")
    p.set_defaults(func=scopes)

    p = sub.add_parser("manifest", help="print a trusted-documents manifest (sha256 -> document) for .graphql files or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--categories", metavar="FILE",
                   help="also write, to FILE, the data categories each document reads (by its sha256)")
    p.set_defaults(func=manifest)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":  # pragma: no cover
    main()
