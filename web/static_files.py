"""The app's static files, sent precompressed where the browser accepts it (docs/web.md, "Static files").

Beside a large vendored script lie its compressed copies, made once when the vendored files are built
(``web/frontend/compress.mjs``): ``mermaid.min.js.br`` and ``mermaid.min.js.gz``. A browser that accepts
Brotli gets the ``.br`` (Mermaid: 1.25 MB instead of 5.76 MB), one that accepts gzip the ``.gz``
(1.67 MB), any other the file itself; nothing is compressed while a request waits. Each answer says
``Vary: Accept-Encoding`` so that a cache keeps the forms apart, keeps the file's own ``Content-Type``,
and is conditional (``ETag``, ``Last-Modified``, 304) as every static file is. Paths are resolved with
Flask's ``send_from_directory`` (``safe_join``), so no path leaves the static folder.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, send_from_directory

# The encodings sent precompressed, best first, with the file suffix each is kept under.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def serve(filename: str) -> Any:
    """The static file ``filename``, in the best encoding both the browser and the folder have."""
    folder = Path(current_app.static_folder or "")
    compressed = [(encoding, suffix) for encoding, suffix in ENCODINGS if _beside(folder, filename, suffix)]
    for encoding, suffix in compressed:
        if request.accept_encodings[encoding] > 0:
            mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            response = send_from_directory(folder, filename + suffix, mimetype=mimetype)
            response.headers["Content-Encoding"] = encoding
            response.vary.add("Accept-Encoding")
            return response
    response = current_app.send_static_file(filename)
    if compressed:
        response.vary.add("Accept-Encoding")
    return response


def _beside(folder: Path, filename: str, suffix: str) -> bool:
    """Whether ``filename`` has a compressed copy with ``suffix`` in ``folder`` (a name holding ``..`` or
    an absolute path has none: the file itself is then refused as Flask refuses it)."""
    if ".." in Path(filename).parts or Path(filename).is_absolute():
        return False
    return (folder / (filename + suffix)).is_file()


def init_app(app: Flask) -> None:
    """Serve the app's ``static`` endpoint through :func:`serve`."""
    app.view_functions["static"] = serve
