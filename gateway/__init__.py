"""The gateway: the only door for people and programs (HTTP, Flask under gunicorn).

It owns no domain data. It authenticates (sessions of identity), checks permissions (defence in
depth: the services check again), routes each request to one service RPC through a pool of
standalone nameko proxies, maps typed errors to HTTP statuses, and publishes the OpenAPI
document. See gateway/README.md.
"""
import services  # noqa: F401  (first: silences eventlet's deprecation warning before nameko loads)

VERSION = "0.1.0"
