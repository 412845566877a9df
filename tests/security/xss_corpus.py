"""Classic cross-site scripting payloads. Each one, if it ever ran, would call
window.__xss(<n>) (the browser tests define that function and fail when it is called), so a
payload that executes is caught whatever the Content-Security-Policy does."""

from __future__ import annotations

PAYLOADS: list[str] = [
    "<script>__xss(1)</script>",
    "<img src=x onerror=__xss(2)>",
    "<svg onload=__xss(3)>",
    '"><script>__xss(4)</script>',
    "'><img src=x onerror=__xss(5)>",
    "javascript:__xss(6)",
    '<a href="javascript:__xss(7)">click me</a>',
    '<iframe srcdoc="<script>parent.__xss(8)</script>"></iframe>',
    "<details open ontoggle=__xss(9)>",
    "{{constructor.constructor('__xss(10)')()}}",
    "<body onload=__xss(11)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss(12)>",
    "</textarea><script>__xss(13)</script>",
    "</title><script>__xss(14)</script>",
    '<div hx-get="/" hx-trigger="load" hx-on::after-request="__xss(15)">htmx</div>',
    "<input autofocus onfocus=__xss(16)>",
    '<object data="javascript:__xss(17)"></object>',
    "<style>*{background:url(javascript:__xss(18))}</style>",
    "${__xss(19)}",
    "<scr<script>ipt>__xss(20)</scr</script>ipt>",
]

# Elements or attributes that only exist in the page if a payload was parsed as markup (data
# blocks, <script type="application/json">, are our own and never run).
INJECTED_SELECTOR = (
    "[onerror], [onload], [ontoggle], [onfocus], iframe[srcdoc], object[data], "
    "[hx-on\\:\\:after-request], a[href^='javascript:'], "
    "script:not([src]):not([type='application/json'])"
)
