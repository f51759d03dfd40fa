# shellcheck shell=bash
# Shared by scripts/start and scripts/test (sourced, not run): messages, the .venv, RabbitMQ,
# PostgreSQL. Every function either succeeds or stops the script with a message that says what
# to do (die). Functions assume the .venv exists once ensure_venv has run ($PY).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"   # rabbitmq-server, rabbitmqctl for root on Debian
export PIP_DISABLE_PIP_VERSION_CHECK=1
PG_INSTALLED_NOW=0   # set to 1 by ensure_postgres when it installed PostgreSQL (read by scripts/test)
export PG_INSTALLED_NOW

if [ -t 1 ]; then
    _B=$'\e[1m'; _R=$'\e[31m'; _Y=$'\e[33m'; _G=$'\e[32m'; _N=$'\e[0m'
else
    _B=; _R=; _Y=; _G=; _N=
fi

step() { printf '%s==> %s%s\n' "$_B" "$*" "$_N"; }        # one line per step
note() { printf '    %s\n' "$*"; }
ok()   { printf '    %s%s%s\n' "$_G" "$*" "$_N"; }
warn() { printf '%s    warning: %s%s\n' "$_Y" "$*" "$_N" >&2; }
die()  { printf '\n%serror: %s%s\n' "$_R" "$*" "$_N" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }
with_systemd() { [ -d /run/systemd/system ] && have systemctl; }

is_local_host() {
    case "$1" in
        127.*|localhost|::1|0.0.0.0|"$(hostname 2>/dev/null)") return 0 ;;
        *) return 1 ;;
    esac
}

apt_install() {   # apt_install PACKAGE...: only as root with apt-get; returns its status
    is_root && have apt-get || return 1
    note "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# ------------------------------------------------------------------------------------ Python

_py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }

find_python() {   # prints the first interpreter that is Python 3.11 or newer
    local c
    for c in python3.11 python3.12 python3.13 python3.14 python3; do
        if have "$c" && _py_ok "$c"; then echo "$c"; return 0; fi
    done
    return 1
}

_hash() { cat "$@" | sha256sum | cut -c1-64; }

# ensure_venv requirements.txt|requirements-dev.txt: create .venv if needed, pip install the file
# unless it is unchanged since the last install (hash stamps in .venv).
ensure_venv() {
    local req="$1" base stamp hash
    if [ ! -x "$PY" ] || ! _py_ok "$PY"; then
        base="$(find_python)" || die "Python 3.11 or newer is needed and none was found.
    Debian 12 / Ubuntu 24.04: sudo apt-get install -y python3 python3-venv
    Older releases: install Python 3.11 (e.g. with pyenv) and make python3.11 available on PATH."
        step "Creating .venv with $base ($("$base" --version 2>&1))"
        rm -rf "$VENV"
        if ! "$base" -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            local pkg="python3-venv"
            [ "$base" = python3 ] || pkg="${base}-venv"
            apt_install "$pkg" || die "'$base -m venv' failed (the venv module is missing).
    Install it: sudo apt-get install -y $pkg   and run this script again."
            "$base" -m venv "$VENV" || die "'$base -m venv $VENV' failed"
        fi
    fi
    stamp="$VENV/.stamp-$(basename "$req" .txt)"
    if [ "$req" = requirements.txt ]; then
        hash="$(_hash "$ROOT/requirements.txt")"
    else
        hash="$(_hash "$ROOT/requirements.txt" "$ROOT/$req")"
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
        step "Python packages: $req unchanged since the last install (.venv, $("$PY" --version 2>&1))"
        return 0
    fi
    step "Installing Python packages: pip install -r $req (a few minutes the first time)"
    # (lines about missing local index folders are pip.conf noise on some machines: hidden)
    "$PY" -m pip install -q -r "$ROOT/$req" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
    [ "${PIPESTATUS[0]}" = 0 ] || die "pip install -r $req failed (see above).
    Behind a proxy? Set https_proxy. Offline? Point pip at a local index (PIP_INDEX_URL)."
    echo "$hash" >"$stamp"
    if [ "$req" != requirements.txt ]; then   # the dev file includes the runtime one
        _hash "$ROOT/requirements.txt" >"$VENV/.stamp-requirements"
    fi
}

# ------------------------------------------------------------------------------------ sockets

url_host_port() {   # url_host_port URL DEFAULT_PORT -> "host port"
    "$PY" - "$1" "$2" <<'EOF'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
try:
    port = u.port
except ValueError:
    port = None
print(u.hostname or "127.0.0.1", port or int(sys.argv[2]))
EOF
}

port_open() {   # port_open HOST PORT: something accepts TCP connections there
    "$PY" - "$1" "$2" <<'EOF' >/dev/null 2>&1
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
EOF
}

wait_port() {   # wait_port HOST PORT SECONDS
    local deadline=$((SECONDS + $3))
    until port_open "$1" "$2"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 1
    done
}

port_free() {   # port_free HOST PORT: nothing listens there, we could bind it
    "$PY" - "$1" "$2" <<'EOF' >/dev/null 2>&1
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.close()
EOF
}

# ------------------------------------------------------------------------------------ RabbitMQ

safe_uri() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }

rabbitmq_node_running() {   # the local node answers (needs root for the Erlang cookie)
    is_root || return 1
    if have rabbitmq-diagnostics; then
        rabbitmq-diagnostics -q ping >/dev/null 2>&1
    else
        have rabbitmqctl && rabbitmqctl -q status >/dev/null 2>&1
    fi
}

_start_rabbitmq() {
    is_root || die "RabbitMQ is installed but not running. Start it:
    sudo systemctl start rabbitmq-server      (or: sudo rabbitmq-server -detached)"
    if with_systemd && systemctl start rabbitmq-server 2>/dev/null; then
        note "started: systemctl start rabbitmq-server"
    else
        note "starting: rabbitmq-server -detached"
        rabbitmq-server -detached >/dev/null 2>&1 || die "'rabbitmq-server -detached' failed; see /var/log/rabbitmq/"
    fi
}

# _amqp_check URI: AMQP handshake and login. Exit 0 ok; 3 vhost missing (prints "vhost user");
# 4 credentials refused; 5 anything else (e.g. the broker is still booting).
_amqp_check() {
    "$PY" - "$1" <<'EOF'
import sys
from urllib.parse import unquote, urlsplit
import amqp
from amqp import exceptions as ex
u = urlsplit(sys.argv[1])
vhost = unquote(u.path[1:]) if len(u.path) > 1 else "/"
try:
    conn = amqp.Connection(host=f"{u.hostname or '127.0.0.1'}:{u.port or 5672}",
                           userid=unquote(u.username or "guest"), password=unquote(u.password or "guest"),
                           virtual_host=vhost, connect_timeout=3, ssl=u.scheme == "amqps")
    conn.connect()
    conn.close()
except ex.NotAllowed as e:
    if "vhost" in str(e):
        print(vhost, unquote(u.username or "guest"))
        sys.exit(3)
    print(e); sys.exit(5)
except ex.AccessRefused as e:
    print(e); sys.exit(4)
except Exception as e:
    print(f"{type(e).__name__}: {e}"); sys.exit(5)
EOF
}

# ensure_rabbitmq URI: RabbitMQ reachable at the URI's host and port and the URI's vhost usable.
# A local broker that is down is started, or installed (root with apt-get).
ensure_rabbitmq() {
    local uri="$1" host port out rc deadline default_port=5672
    case "$uri" in amqps://*) default_port=5671 ;; esac
    read -r host port < <(url_host_port "$uri" "$default_port")
    step "RabbitMQ at $host:$port ($(safe_uri "$uri"))"
    if ! port_open "$host" "$port"; then
        is_local_host "$host" || die "RabbitMQ at $host:$port does not answer.
    Start it there, or point AMQP_URI at a running broker."
        if ! have rabbitmq-server; then
            apt_install rabbitmq-server || die "RabbitMQ is not installed and nothing listens on $host:$port.
    Install and start it:  sudo apt-get install -y rabbitmq-server && sudo systemctl start rabbitmq-server
    or point AMQP_URI at a running broker (amqp://user:password@host:5672/vhost)."
        fi
        if rabbitmq_node_running; then
            die "a RabbitMQ node runs on this machine, but nothing listens on $host:$port.
    Is the port in AMQP_URI right? (rabbitmq-diagnostics listeners shows the node's ports)"
        fi
        port_open "$host" "$port" || _start_rabbitmq
        note "waiting for RabbitMQ to accept connections on $host:$port"
        wait_port "$host" "$port" 120 || die "RabbitMQ did not open $host:$port within 120 s.
    Look at /var/log/rabbitmq/ (a different port? set AMQP_URI)."
    fi
    deadline=$((SECONDS + 60))   # a local broker may still be booting; a remote one had its time
    is_local_host "$host" || deadline=$((SECONDS + 10))
    while :; do
        out="$(_amqp_check "$uri" 2>&1)"; rc=$?
        case $rc in
            0) ok "accepts connections"; return 0 ;;
            3)
                local vhost user
                read -r vhost user <<<"$out"
                if is_local_host "$host" && is_root && have rabbitmqctl; then
                    note "creating vhost '$vhost' (rabbitmqctl add_vhost; permissions for '$user')"
                    rabbitmqctl -q add_vhost "$vhost" >/dev/null 2>&1
                    rabbitmqctl -q set_permissions -p "$vhost" "$user" '.*' '.*' '.*' >/dev/null 2>&1 ||
                        die "could not create vhost '$vhost' with rabbitmqctl"
                    continue
                fi
                die "RabbitMQ has no vhost '$vhost' (from AMQP_URI). Create it:
    sudo rabbitmqctl add_vhost '$vhost' && sudo rabbitmqctl set_permissions -p '$vhost' '$user' '.*' '.*' '.*'" ;;
            4) die "RabbitMQ refused the credentials in AMQP_URI ($(safe_uri "$uri")): $out
    The 'guest' user may only connect from localhost; create a user with rabbitmqctl add_user." ;;
        esac
        [ "$SECONDS" -ge "$deadline" ] && die "RabbitMQ at $host:$port does not complete an AMQP handshake: $out"
        sleep 1
    done
}

mgmt_url() { echo "${TEST_RABBIT_MGMT:-http://127.0.0.1:15672}"; }

mgmt_ok() {
    "$PY" - "$(mgmt_url)" <<'EOF' >/dev/null 2>&1
import base64, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/overview")
req.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
urllib.request.urlopen(req, timeout=3).read()
EOF
}

# ensure_rabbitmq_management: the management API the test harness uses to make a vhost per run.
ensure_rabbitmq_management() {
    step "RabbitMQ management API at $(mgmt_url)"
    if mgmt_ok; then ok "answers"; return 0; fi
    if have rabbitmq-plugins && is_root; then
        note "rabbitmq-plugins enable rabbitmq_management"
        rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 ||
            warn "rabbitmq-plugins enable rabbitmq_management failed"
        local deadline=$((SECONDS + 60))
        until mgmt_ok; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                warn "the management API does not answer after 60 s; the tests fall back to rabbitmqctl"
                return 0
            fi
            sleep 1
        done
        ok "answers"
    else
        warn "the management API does not answer and rabbitmq-plugins cannot be run here
    (enable it: sudo rabbitmq-plugins enable rabbitmq_management); the tests fall back to rabbitmqctl"
    fi
}

# ------------------------------------------------------------------------------------ PostgreSQL

_start_postgres() {   # _start_postgres PORT
    is_root || die "PostgreSQL is installed but not running. Start it:
    sudo systemctl start postgresql      (or: sudo pg_ctlcluster <version> main start)"
    if with_systemd && systemctl start postgresql 2>/dev/null; then
        note "started: systemctl start postgresql"
        return 0
    fi
    local ver name cport status others="" _
    if have pg_lsclusters; then
        while read -r ver name cport status _; do
            [ -n "$ver" ] || continue
            if [ "$cport" != "$1" ]; then
                others="$others $ver/$name:$cport($status)"
                continue
            fi
            [ "$status" = online ] && return 0
            note "starting: pg_ctlcluster --skip-systemctl-redirect $ver $name start"
            pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start ||
                die "could not start the PostgreSQL cluster $ver/$name; see /var/log/postgresql/"
            return 0
        done < <(pg_lsclusters -h 2>/dev/null)
        die "no PostgreSQL cluster on this machine uses port $1 (clusters:${others:- none}).
    Fix the port in the URL, or create a cluster: sudo pg_createcluster <version> main --start"
    fi
    for ver in /etc/postgresql/*/; do
        ver="$(basename "$ver")"
        [ -d "/etc/postgresql/$ver/main" ] || continue
        note "starting: pg_ctlcluster --skip-systemctl-redirect $ver main start"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main start && return 0
    done
    die "could not start PostgreSQL: no cluster found.
    Create one: sudo pg_createcluster <version> main --start"
}

# ensure_postgres HOST PORT: PostgreSQL accepts TCP connections there; a local one that is down
# is started, or installed (root with apt-get).
ensure_postgres() {
    local host="$1" port="$2"
    step "PostgreSQL at $host:$port"
    if port_open "$host" "$port"; then ok "reachable"; return 0; fi
    is_local_host "$host" || die "PostgreSQL at $host:$port does not answer. Start it there, or fix the URL."
    if ! have pg_ctlcluster && ! have pg_ctl && ! have postgres; then
        apt_install postgresql || die "PostgreSQL is not installed and nothing listens on $host:$port.
    Install it:  sudo apt-get install -y postgresql   (then: sudo systemctl start postgresql)"
        PG_INSTALLED_NOW=1
    fi
    port_open "$host" "$port" || _start_postgres "$port"
    note "waiting for PostgreSQL to accept connections on $host:$port"
    wait_port "$host" "$port" 60 || die "PostgreSQL did not open $host:$port within 60 s.
    Look at /var/log/postgresql/ (another port? set the URL's port)."
    ok "reachable"
}

# ------------------------------------------------------------------ fonts and the browser
# PDFs need the DejaVu fonts (Polish characters); the browser tests need Chromium, Node.js/npm
# (axe-core) and the npm packages of tests/browser.
ensure_fonts() {
    for d in /usr/share/fonts/truetype/dejavu /usr/share/fonts/dejavu "${DZIENNIK_FONT_DIR:-}"; do
        [ -n "$d" ] && [ -f "$d/DejaVuSans.ttf" ] && { ok "DejaVu fonts for PDFs: $d"; return 0; }
    done
    step "Installing the DejaVu fonts (Polish characters in PDFs)"
    apt_install fonts-dejavu-core || die "the DejaVu fonts are missing.
    Install them: sudo apt-get install -y fonts-dejavu-core   (or set DZIENNIK_FONT_DIR)"
}

ensure_browser_tools() {
    if [ ! -x /usr/bin/chromium ]; then
        step "Installing Chromium for the browser tests"
        apt_install chromium || die "Chromium is missing (/usr/bin/chromium).
    Install it: sudo apt-get install -y chromium"
    fi
    if ! have npm; then
        step "Installing Node.js and npm (axe-core for the accessibility checks)"
        apt_install nodejs npm || die "npm is missing. Install it: sudo apt-get install -y nodejs npm"
    fi
    local stamp="$ROOT/tests/browser/node_modules/.dz-lock-hash"
    local want; want="$(_hash "$ROOT/tests/browser/package-lock.json")"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        step "npm ci in tests/browser (axe-core)"
        (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --silent) ||
            die "npm ci failed in tests/browser"
        echo "$want" > "$stamp"
    fi
    ok "Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), axe-core installed"
}
