"""The gateway as a process: gunicorn starts it with its config, and it never monkey-patches.

Both run in subprocesses, so they hold whatever the test session itself has imported or patched."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def test_the_gateway_does_not_monkey_patch_eventlet():
    code = ("import gateway.app, eventlet.patcher as p; gateway.app.create_app({'TESTING': True}); "
            "import sys; sys.exit(1 if any(p.is_monkey_patched(m) for m in "
            "('socket', 'thread', 'time', 'select', 'os')) else 0)")
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:eventlet", "-c", code],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Eventlet is deprecated" not in result.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.path.exists(GUNICORN), reason="gunicorn is not installed next to this Python")
def test_gunicorn_starts_the_gateway_with_its_config_and_stops_on_sigterm():
    port = free_port()
    env = {**os.environ, "DZIENNIK_GATEWAY_BIND": f"127.0.0.1:{port}", "DZIENNIK_GATEWAY_WORKERS": "1",
           "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"}
    proc = subprocess.Popen([GUNICORN, "-c", "gateway/gunicorn.conf.py", "gateway.app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert body == '{"status":"ok"}\n', proc.stderr.read() if proc.poll() is not None else body
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, stderr = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, stderr
    assert "gthread" in stderr
    assert '"logger": "gateway.access"' in stderr   # the structured access log line
