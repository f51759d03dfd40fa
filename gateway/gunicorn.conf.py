"""gunicorn settings of the gateway:

    gunicorn -c gateway/gunicorn.conf.py "gateway.app:create_app()"

gthread workers (the gateway needs no eventlet); each worker process builds the app after the
fork, and with it its own pool of RPC proxies (gateway/rpc.py). Environment:
DZIENNIK_GATEWAY_BIND (default 127.0.0.1:8000), DZIENNIK_GATEWAY_WORKERS (default 2)."""
import os

bind = os.environ.get("DZIENNIK_GATEWAY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DZIENNIK_GATEWAY_WORKERS", "2"))
worker_class = "gthread"
threads = 4                 # as many as RPC proxies per process (DZIENNIK_RPC_POOL_SIZE, default 4)
graceful_timeout = 30       # SIGTERM: running requests get this long to finish
timeout = 30                # a silent worker is restarted after this long
keepalive = 5
preload_app = False         # the app (and its RPC pool) is made in each worker, after the fork
accesslog = None            # the app writes its own structured JSON access log (gateway/logs.py)
errorlog = "-"
loglevel = os.environ.get("DZIENNIK_LOG_LEVEL", "INFO").lower()
proc_name = "dziennik-gateway"
# gunicorn 25+ opens a control socket at one fixed per-user path ($HOME/.gunicorn/gunicorn.ctl):
# a second instance on the same machine (tests, a second gateway) would take it over.
control_socket_disable = True


def worker_exit(server, worker):
    """Close this worker's idle RPC connections cleanly."""
    try:
        from gateway.rpc import close_all_pools
        close_all_pools()
    except Exception:   # noqa: BLE001  (a worker exiting must not fail on cleanup)
        pass
