"""The seeds' FastAPI streaming pattern, as a benchmark peer.

StreamingResponse over an async generator that reads the upstream with httpx and checks
request.is_disconnected() between chunks. One shared AsyncClient without a connection cap, so the
peer is not held back by httpx's default pool of 100 connections.

Runs on Debian bookworm's packages (python3-fastapi, python3-uvicorn, python3-httpx). Their
httpcore 0.16.3 leaves the upstream connection open when the generator is cancelled by a client
disconnect (fixed upstream in httpcore 0.17.3); the cancel scenario measures what that costs.
"""
import os

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

UPSTREAM_BASE_URL = os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
UPSTREAM_HEADERS = {"authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', '')}"}

app = FastAPI()
client = httpx.AsyncClient(timeout=None, limits=httpx.Limits(max_connections=None, max_keepalive_connections=1000))


@app.get("/healthz")
async def healthz():
    return {"ok": True}


@app.post("/v1/chat/completions")
async def chat_completions(request: Request):
    body = await request.json()
    url = f"{UPSTREAM_BASE_URL}/chat/completions"
    if not body.get("stream"):
        upstream = await client.post(url, json=body, headers=UPSTREAM_HEADERS)
        return Response(upstream.content, status_code=upstream.status_code, media_type="application/json")

    async def relay():
        async with client.stream("POST", url, json=body, headers=UPSTREAM_HEADERS) as upstream:
            async for chunk in upstream.aiter_raw():
                if await request.is_disconnected():
                    break
                yield chunk

    return StreamingResponse(relay(), media_type="text/event-stream", headers={"cache-control": "no-cache"})
