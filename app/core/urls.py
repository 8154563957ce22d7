"""The URLs the API hands out (`Link`, `Location`): on PUBLIC_BASE_URL when it is set, else on the request's own
Host when it is one of ALLOWED_HOSTS, else relative — never on a Host a client made up."""

from starlette.requests import Request
from starlette.types import Scope

HEAD = "head"
"""The request state's flag of a HEAD answered as its GET (see app.ops.middleware.HeadAsGet)."""


def route_path(scope: Scope) -> str:
    """The path routes match: the request's, without the root path a proxy serves the API under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def public_url(request: Request, path: str, query: str = "") -> str:
    """`path` (with the server's root path already in it) and `query`, on the public origin."""
    settings = request.app.state.settings
    if settings.public_base_url:
        origin = settings.public_base_url
    elif request.url.hostname in settings.allowed_hosts:
        origin = f"{request.url.scheme}://{request.url.netloc}"
    else:
        origin = ""
    return f"{origin}{path}?{query}" if query else f"{origin}{path}"


def url_for(request: Request, name: str, **path_params: str) -> str:
    """The public URL of the route `name`."""
    return public_url(request, request.url_for(name, **path_params).path)


def this_url_with(request: Request, **params: str) -> str:
    """The public URL of this request, with the query parameters `params` set (a next page's cursor)."""
    url = request.url.include_query_params(**params)
    return public_url(request, url.path, url.query)
