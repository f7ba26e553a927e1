"""Talking to the engine: the Engine API over the standard library's http.client, and connecting to it.

    api.py        a small Engine API client: images inspected, containers created, attached, waited for, removed
    transport.py  http.client over the unix socket, TCP or TLS; the TLS settings read once
    connect.py    connect to the Docker engine (or Podman's: --engine), or say clearly that none answers
    kind.py       which engine answers (Docker or Podman, rootful or rootless), what it enforces, which socket
"""
