"""Serving newsdesk: the HTTP API, the web chat's logic, uploads, the client, and the server.

- :mod:`qa.serve.server`: the one ``serve`` entry point (``newsdesk serve``) and the ASGI app
  that mounts the web chat (app.py) and its static assets on the HTTP API.
- :mod:`qa.serve.startup`: answering HTTP at once while the page is built and models load.
- :mod:`qa.serve.http_api`: the HTTP API (FastAPI) and the article view.
- :mod:`qa.serve.chat`, :mod:`qa.serve.examples`, :mod:`qa.serve.archive`: what the web chat
  does (a turn, the export, example questions, the archive tab); app.py lays out the page.
- :mod:`qa.serve.uploads`: uploaded files checked, stored and ingested (web and HTTP).
- :mod:`qa.serve.client`: a thin Python client of a running server.
"""
