"""The deployment files hold together: docker-compose.yml, deploy/nginx.conf, the Dockerfile,
bin/run-prod and `check --deploy`. No Docker engine is needed: the files are read, the
commands they run are resolved against the code, and the proxy config is checked by the
local nginx when one is installed."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
RUN_PROD = ROOT / "bin" / "run-prod"
BASH = shutil.which("bash") or "/bin/bash"

APP_SERVICES = {"migrate", "web", "realtime", "worker", "beat"}
ALL_SERVICES = APP_SERVICES | {"postgres", "redis", "proxy"}


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    # PyYAML comes with drf-spectacular, a runtime dependency.
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read docker-compose.yml")
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def nginx_text() -> str:
    return "\n".join(
        line for line in NGINX_CONF.read_text().splitlines() if not line.lstrip().startswith("#")
    )


def block(text: str, header: str) -> str:
    """The body of the first `<header> { ... }` block, braces balanced."""
    match = re.search(re.escape(header) + r"\s*\{", text)
    assert match, f"no block {header!r} in deploy/nginx.conf"
    depth, start = 1, match.end()
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start:index]
    raise AssertionError(f"unbalanced block {header!r}")


def command_tokens(service: dict) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def defines_top_level(module: str, name: str) -> bool:
    """Whether the module's source assigns `name` at top level (checked without importing:
    importing helpdesk.asgi would start the in-process ticker in the test process)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"module {module} not found"
    tree = ast.parse(Path(spec.origin).read_text())
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(extra)
    return env


# --- docker-compose.yml --------------------------------------------------------------------


def test_compose_has_every_process_of_the_production_topology(compose):
    assert set(compose["services"]) >= ALL_SERVICES


def test_compose_images_and_healthchecks(compose):
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:7")
    assert services["proxy"]["image"] == "nginx:1.27"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in web_check
    assert "deploy/healthcheck.py" in web_check
    assert (ROOT / "deploy" / "healthcheck.py").is_file()


def test_compose_database_lives_on_a_named_volume(compose):
    volumes = compose["volumes"]
    mounts = compose["services"]["postgres"]["volumes"]
    assert any(m.split(":")[0] in volumes and "/var/lib/postgresql/data" in m for m in mounts)


def test_compose_app_services_wait_for_the_one_shot_migrate(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert "manage.py migrate" in " ".join(command_tokens(migrate))
    assert str(migrate.get("restart", "no")) == "no"
    for name in APP_SERVICES - {"migrate"}:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_compose_environment_is_production_and_requires_a_secret(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
        assert str(env["DEBUG"]) == "0"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        for key in ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PUBLIC_BASE_URL"):
            assert key in env, (name, key)
        assert "SECURE_SSL_REDIRECT" in env
        assert int(env["WEBHOOK_MAX_BODY"]) == settings.WEBHOOK_MAX_BODY == 25 * 1024 * 1024


def test_compose_commands_point_at_code_that_exists(compose):
    services = compose["services"]
    web = command_tokens(services["web"])
    assert web[0] == "gunicorn"
    assert "helpdesk.wsgi:application" in web
    workers = next(t for t in web if t.startswith("--workers"))
    assert int(re.search(r"(\d+)\}?$", workers).group(1)) >= 2

    realtime = command_tokens(services["realtime"])
    assert realtime[0] == "uvicorn"
    assert "helpdesk.asgi:application" in realtime

    for name, role in (("worker", "worker"), ("beat", "beat")):
        tokens = command_tokens(services[name])
        assert tokens[:4] == ["celery", "-A", "helpdesk", role], name

    for token in web + realtime:
        if re.fullmatch(r"[a-z_.]+:[a-z_]+", token):
            module, attribute = token.split(":")
            assert defines_top_level(module, attribute), token

    from celery import Celery
    from celery.app.utils import find_app

    app = find_app("helpdesk")
    assert isinstance(app, Celery)
    assert app.main == "helpdesk"


def test_compose_proxy_mounts_the_nginx_config_and_static_volume(compose):
    proxy = compose["services"]["proxy"]
    mounts = proxy["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in mounts
    static = next(m for m in mounts if m.split(":")[1] == "/srv/static")
    assert static.split(":")[0] in compose["volumes"]
    assert any(port.endswith(":80") for port in proxy["ports"])
    # Upstreams in nginx.conf are the compose services on the port their commands bind.
    for name in ("web", "realtime"):
        assert any("8000" in token for token in command_tokens(compose["services"][name]))


# --- deploy/nginx.conf ---------------------------------------------------------------------


def test_nginx_routes_websockets_to_realtime_with_upgrade_headers(nginx_text):
    ws = block(nginx_text, "location /ws/")
    assert "proxy_pass http://helpdesk_realtime;" in ws
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", ws)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", ws)
    assert "proxy_http_version 1.1;" in nginx_text
    upgrade_map = block(nginx_text, "map $http_upgrade $connection_upgrade")
    assert "default upgrade;" in upgrade_map
    assert "server realtime:8000;" in block(nginx_text, "upstream helpdesk_realtime")
    assert "server web:8000;" in block(nginx_text, "upstream helpdesk_web")


def test_nginx_sends_everything_else_to_web_with_forwarded_headers(nginx_text):
    root = block(nginx_text, "location /")
    assert "proxy_pass http://helpdesk_web;" in root
    for location in (root, block(nginx_text, "location /ws/")):
        assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\S+;", location)
        assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\S+;", location)
        assert re.search(r"proxy_set_header\s+Host\s+\$http_host;", location)


def test_nginx_serves_static_files_but_leaves_attachments_to_django(nginx_text):
    static = block(nginx_text, "location /static/")
    assert "alias /srv/static/;" in static
    # Attachments are customer data served to signed-in operators only: never by the proxy.
    assert "location /media/" not in nginx_text
    assert not re.search(r"(alias|root)\s+\S*media", nginx_text)


def test_nginx_body_limit_matches_the_webhook_limit(nginx_text):
    match = re.search(r"client_max_body_size\s+(\d+)m;", nginx_text)
    assert match
    assert int(match.group(1)) * 1024 * 1024 == settings.WEBHOOK_MAX_BODY


# --- Dockerfile and .dockerignore ----------------------------------------------------------


def test_dockerfile_builds_a_slim_non_root_image_without_dev_dependencies():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"pip install \.(\s|$)", text)
    installs = re.findall(r"^RUN .*pip install.*$", text, re.M)
    assert installs and not any("dev" in line for line in installs)
    collect = re.search(r"^RUN .*collectstatic", text, re.M | re.S)
    assert collect and "SECRET_KEY=" in text
    assert (ROOT / "README.md").is_file()  # pyproject.toml's readme, copied before pip install


def test_dockerignore_keeps_local_state_out_of_the_image():
    entries = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "var", "staticfiles", "tests"} <= entries
    assert "deploy" not in entries


# --- deploy/healthcheck.py -----------------------------------------------------------------


def _load_healthcheck():
    spec = importlib.util.spec_from_file_location(
        "deploy_healthcheck", ROOT / "deploy/healthcheck.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_healthcheck_sends_an_allowed_host_and_reads_the_status(monkeypatch):
    healthcheck = _load_healthcheck()
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers["Host"]
            status = 200 if self.path == "/healthz" else 503
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        monkeypatch.setenv("ALLOWED_HOSTS", ".example.com,other.example")
        assert healthcheck.main(["healthcheck", f"{base}/healthz"]) == 0
        assert seen["host"] == "example.com"
        assert healthcheck.main(["healthcheck", f"{base}/down"]) == 1
    finally:
        server.shutdown()
    assert healthcheck.main(["healthcheck", "http://127.0.0.1:9/healthz"]) == 1
    monkeypatch.setenv("ALLOWED_HOSTS", "*")
    assert healthcheck.host_header() == "localhost"


# --- bin/run-prod --------------------------------------------------------------------------


def test_run_prod_is_an_executable_bash_script():
    assert os.access(RUN_PROD, os.X_OK)
    result = subprocess.run([BASH, "-n", str(RUN_PROD)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_run_prod_refuses_to_start_without_its_services():
    result = subprocess.run(
        [str(RUN_PROD)], capture_output=True, text=True, env=clean_env(), timeout=60
    )
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr and "SECRET_KEY" in result.stderr


def test_run_prod_without_nginx_says_how_to_install_it():
    env = clean_env(
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
        SECRET_KEY=secrets.token_urlsafe(50),
        NGINX_BIN="/nonexistent/nginx",
    )
    result = subprocess.run([str(RUN_PROD)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "apt-get install -y nginx" in result.stderr


def test_run_prod_renders_a_config_nginx_accepts(tmp_path):
    result = subprocess.run(
        [str(RUN_PROD), "--nginx-config"],
        capture_output=True,
        text=True,
        env=clean_env(HOST="127.0.0.1", PORT="8000"),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    assert "server 127.0.0.1:8001;" in rendered
    assert "server 127.0.0.1:8002;" in rendered
    assert "listen 127.0.0.1:8000;" in rendered
    assert f"alias {Path(settings.STATIC_ROOT).resolve()}/;" in rendered
    assert "web:8000" not in rendered and "/srv/" not in rendered

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        pytest.skip("nginx is not installed: the rendered config was not syntax-checked")
    conf = tmp_path / "nginx.conf"
    conf.write_text(rendered.replace("/tmp/nginx", str(tmp_path / "nginx")))
    check = subprocess.run(
        [nginx, "-e", "stderr", "-p", str(tmp_path), "-c", str(conf), "-t"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


# --- manage.py check --deploy --------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = clean_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
        HELPDESK_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
