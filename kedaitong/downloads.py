"""The name a downloaded file is saved under (issue 18 item 7).

A file is named in its reader's language (放款模板.xlsx), as RFC 6266 allows: `filename*=UTF-8''…`
(RFC 5987, percent-encoded UTF-8) for every current browser, and before it an ASCII `filename="…"`
for a client that reads only that (curl -J, older mail and download tools).
"""

from __future__ import annotations

from urllib.parse import quote


def disposition(name: str, fallback: str, *, inline: bool = False) -> str:
    """The Content-Disposition value for a file called `name`, or `fallback` (ASCII) where UTF-8 is not read."""
    if not fallback.isascii() or any(c in fallback for c in '"\\\r\n'):
        raise ValueError(f"the fallback file name must be plain ASCII: {fallback!r}")
    kind = "inline" if inline else "attachment"
    if name == fallback:
        return f'{kind}; filename="{fallback}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
