"""
A FastAPI reference for the request rules refreshd reproduces: the four documents that come
from FastAPI (watchr, galileo, pathstack, almanac), rebuilt as FastAPI apps with the same
models, parameters and security. Validation, routing and body reading are FastAPI's own;
the handlers only stand in for the token engine (any token they get is refused with 401).

Run: python app.py  -> prints the port it listens on (127.0.0.1, an ephemeral port), then serves.
The differential test (test/http/fastapi-differential.test.ts) sends the same bytes to this
app and to refreshd and compares the answers. pathstack's exception handlers render its
document's own shapes (`{"error": {...}}`, the first validation error), as refreshd's
pathstack dialect does.
"""
import datetime
import socket
import sys
from typing import Annotated, Optional

import uvicorn
from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import UUID4, BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

SUPPORTED_API_VERSIONS = ["2024-03-27"]

app = FastAPI()


def refused(detail: str = "Token is malformed") -> HTTPException:
    return HTTPException(status_code=401, detail=detail)


# watchr: POST /auth/refresh, optional cookie
class AccessToken(BaseModel):
    access_token: str
    token_type: str


@app.post("/auth/refresh", response_model=AccessToken)
def post_auth_refresh(refresh_token: Annotated[Optional[str], Cookie()] = None):
    raise refused("Token is missing" if refresh_token is None else "Token is malformed")


# galileo: POST /v1/refresh_token, required cookie
@app.post("/v1/refresh_token")
def refresh_token_v1_refresh_token_post(refresh_token: Annotated[str, Cookie()]):
    raise refused()


# almanac: POST /v1/auth/token/refresh, HTTP bearer + a closed body model
class HostedLoginRefresh(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: Optional[str] = None
    refresh_token: str


bearer_auth = HTTPBearer()


@app.post("/v1/auth/token/refresh")
def refresh_token_v1_auth_token_refresh_post(
    body: HostedLoginRefresh, credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer_auth)]
):
    raise refused()


# pathstack: POST /refresh, x-api-version date header, its own error shapes
class RefreshToken(BaseModel):
    sub: UUID4
    refresh_token: str


class PathstackError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


@app.post("/refresh")
def refresh_refresh_post(
    body: RefreshToken,
    x_api_version: Annotated[datetime.date, Header()] = datetime.date(2024, 3, 27),
):
    if x_api_version.isoformat() not in SUPPORTED_API_VERSIONS:
        message = f"Unsupported API version {x_api_version.isoformat()}; supported versions: {', '.join(SUPPORTED_API_VERSIONS)}"
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("header", "x-api-version"), "msg": f"Value error, {message}", "input": None, "ctx": {"error": message}}]
        )
    raise PathstackError(401, "Invalid Refresh Token")


def is_pathstack(request: Request) -> bool:
    return request.url.path == "/refresh"


@app.exception_handler(PathstackError)
async def pathstack_error(request: Request, exc: PathstackError):
    return JSONResponse({"error": {"code": exc.status, "message": exc.message}}, status_code=exc.status)


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException):
    from fastapi.exception_handlers import http_exception_handler

    if not is_pathstack(request):
        return await http_exception_handler(request, exc)
    return JSONResponse({"error": {"code": exc.status_code, "message": exc.detail}}, status_code=exc.status_code, headers=exc.headers)


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError):
    from fastapi.exception_handlers import request_validation_exception_handler

    if not is_pathstack(request):
        return await request_validation_exception_handler(request, exc)
    first = exc.errors()[0]
    loc = list(first["loc"])
    return JSONResponse(
        {"error": {"code": 422, "message": first["msg"], "loc": loc, "msg": first["msg"], "type": first["type"]}},
        status_code=422,
    )


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
    sys.exit(0)
