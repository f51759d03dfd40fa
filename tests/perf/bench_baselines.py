"""Baselines measured in the same run, so that every other number can be read as a ratio on
this (noisy, shared) machine:

- ``bare``: a bare gunicorn + Flask endpoint (tests.perf.apps:bare_app, the gateway's gunicorn
  settings), the floor of the web tier;
- ``noop-rpc``: a gateway endpoint that makes one no-op RPC (``perf_echo.noop``) through the
  gateway's RpcPool: the floor of anything that asks a service;
- ``sql``: a gateway endpoint that runs one indexed SQL query (identity's ``accounts`` by its
  unique ``login``): the floor of anything that reads a database.

Each at 16 and 64 connections. The runner measures them at the start and again at the end of
the run and compares every result with their mean."""
NAME = "baselines"

ENDPOINTS = (("bare", "bare_url", "/bare"), ("noop-rpc", "gateway_url", "/perf/noop-rpc"),
             ("sql", "gateway_url", "/perf/sql"))


def run(ctx, when="start"):
    out = {}
    for name, attr, path in ENDPOINTS:
        base = getattr(ctx.cluster, attr)
        for conns in (16, 64):
            st = ctx.wrk_or_python(base, [("GET", path, None, None)], conns)
            out[(name, conns)] = st
            ctx.add(bench="baseline", variant=f"{name} ({when})", name=name, clients=conns, when=when, **st)
    return out
