"""Container healthcheck: exit 0 when GET <url> answers 200, 1 otherwise. Stdlib only.

The request carries the first name of ALLOWED_HOSTS as its Host header, so Django does not
refuse it as a disallowed host. Usage: python deploy/healthcheck.py [URL]
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def host_header() -> str:
    for name in os.environ.get("ALLOWED_HOSTS", "").split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return "localhost"


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        print(f"not an http(s) URL: {url}", file=sys.stderr)
        return 1
    request = urllib.request.Request(url, headers={"Host": host_header()})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            body = response.read(500).decode(errors="replace")
            print(response.status, body)
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.code, exc.read(500).decode(errors="replace"), file=sys.stderr)
    except OSError as exc:
        print(f"unreachable: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
