"""``GET /api/docs``: a self-contained page listing the API from its OpenAPI document
(``/api/openapi.json``). Rendered on the server, no scripts and no CDN (the machine may be
offline); WCAG-friendly plain HTML."""
from flask import Blueprint, current_app, render_template_string

bp = Blueprint("docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")

PAGE = """<!doctype html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ info.title }} – dokumentacja API</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 62rem; padding: 0 1rem;
        line-height: 1.5; color: #1a1a1a; }
 code { background: #f2f2f2; padding: 0 .25rem; }
 table { border-collapse: collapse; width: 100%; margin-bottom: 2rem; }
 th, td { border: 1px solid #999; padding: .35rem .5rem; text-align: left; vertical-align: top; }
 th { background: #e8e8e8; }
 .m { font-weight: bold; font-family: monospace; }
</style>
</head>
<body>
<header>
<h1>{{ info.title }} <small>(wersja {{ info.version }})</small></h1>
<p>Dokument OpenAPI {{ openapi }}: <a href="{{ json_url }}"><code>{{ json_url }}</code></a>.
Uwierzytelnianie: nagłówek <code>Authorization: Bearer &lt;token&gt;</code> (token z
<code>POST /api/v1/auth/login</code>) albo ciasteczko <code>dz_session</code>; żądania zmieniające
dane wysyłane z ciasteczkiem wymagają nagłówka <code>X-CSRF-Token</code>
(<code>GET /api/v1/auth/csrf</code>). Błędy mają postać
<code>{"error": kod, "message": komunikat, "fields": {...}}</code>.</p>
</header>
<main>
{% for tag in tags %}
<section>
<h2>{{ tag.name }}</h2>
{% if tag.description %}<p>{{ tag.description }}</p>{% endif %}
<table>
<thead><tr><th scope="col">Metoda</th><th scope="col">Ścieżka</th><th scope="col">Opis</th>
<th scope="col">Role</th><th scope="col">Odpowiedzi</th></tr></thead>
<tbody>
{% for op in tag.operations %}
<tr><td class="m">{{ op.method }}</td><td><code>{{ op.path }}</code></td>
<td>{{ op.summary }}{% if op.description %}<br><small>{{ op.description }}</small>{% endif %}</td>
<td>{{ op.roles }}</td><td>{{ op.responses }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% endfor %}
</main>
</body>
</html>"""


@bp.route("/api/docs", methods=["GET"])
def docs():
    spec = current_app.extensions["dziennik_api"].spec.to_dict()
    tags = {t["name"]: {"name": t["name"], "description": t.get("description"), "operations": []}
            for t in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            for tag in op.get("tags") or ["inne"]:
                tags.setdefault(tag, {"name": tag, "description": None, "operations": []})
                if op.get("security") == []:
                    roles = "bez logowania"
                else:
                    roles = ", ".join(op.get("x-required-roles") or []) or "każdy zalogowany"
                tags[tag]["operations"].append({
                    "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                    "description": op.get("description", ""), "roles": roles,
                    "responses": ", ".join(sorted(op.get("responses", {})))})
    return render_template_string(PAGE, info=spec["info"], openapi=spec.get("openapi"),
                                  json_url="/api/openapi.json",
                                  tags=[t for t in tags.values() if t["operations"]])
