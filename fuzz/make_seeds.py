#!/usr/bin/env python3
"""Writes the seed corpus under fuzz/seeds/ from fixtures/ and the example config.

Run from the repository root: python3 fuzz/make_seeds.py
"""
import base64, glob, hashlib, hmac, json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
NOW = 1_700_000_000
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def lines(headers):
    return "".join(f"{k}: {v}\n" for k, v in headers.items()).encode()


def hexmac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def signed(body):
    """One header set per scheme, each signed right, so the fuzzer starts past the checks."""
    sw_key = base64.b64decode(SW_SECRET[len("whsec_"):])
    sw = base64.b64encode(hmac.new(sw_key, b"msg_1.%d." % NOW + body, hashlib.sha256).digest())
    return {
        "github": {"X-Hub-Signature-256": "sha256=" + hexmac(SW_SECRET.encode(), body)},
        "stripe": {"Stripe-Signature": f"t={NOW},v1=" + hexmac(SW_SECRET.encode(), b"%d." % NOW + body)},
        "shopify": {"X-Shopify-Hmac-Sha256": base64.b64encode(
            hmac.new(SW_SECRET.encode(), body, hashlib.sha256).digest()).decode()},
        "slack": {"X-Slack-Request-Timestamp": str(NOW),
                  "X-Slack-Signature": "v0=" + hexmac(SW_SECRET.encode(), b"v0:%d:" % NOW + body)},
        "hmac": {"X-Signature": hexmac(SW_SECRET.encode(), body)},
        "standard": {"webhook-id": "msg_1", "webhook-timestamp": str(NOW),
                     "webhook-signature": "v1," + sw.decode()},
        "svix": {"svix-id": "msg_1", "svix-timestamp": str(NOW),
                 "svix-signature": "v1," + sw.decode()},
    }


def main():
    # One fixture per provider keeps the corpus small.
    seen = set()
    for path in sorted(glob.glob(str(ROOT / "fixtures" / "*" / "*.json"))):
        provider = pathlib.Path(path).parent.name
        if provider in seen:
            continue
        seen.add(provider)
        fx = json.loads(pathlib.Path(path).read_text())
        body = json.dumps(fx.get("body", {})).encode()
        name = pathlib.Path(path).parent.name + "-" + pathlib.Path(path).stem
        schemes = signed(body).items() if len(seen) <= 3 else []
        for scheme, extra in schemes:
            headers = dict(fx.get("headers", {}), **extra)
            write("signature_headers", f"{name}-{scheme}", SW_SECRET.encode() + b"\0" + lines(headers) + b"\0" + body)
        loc = b"body:/type|body:/event|header:X-GitHub-Event|query:event"
        write("locators", name, loc + b"\0" + lines(fx.get("headers", {})) + b"\0event=x&id=1\0" + body)
    for i, chain in enumerate([b"1.2.3.4", b"6.6.6.6, 10.0.0.2", b"garbage, 6.6.6.6\n10.0.0.3",
                               b"[2001:db8::1]:443, 127.0.0.1:80", b"1.2.3.4\n\n5.6.7.8, ::1"]):
        write("forwarded_for", f"chain-{i}", chain)
    for path in [ROOT / "listeners.toml", ROOT / "fuzz" / "fuzz_targets" / "gateway.toml"]:
        write("config_parse", path.name, path.read_bytes())
    write("config_parse", "minimal.toml", b'[store]\nurl = "sqlite://x.db"\n[[listener]]\nid = "l"\n'
          b'provider = "smoobu"\naccount_id = "a"\n[[listener.receiver]]\nurl = "https://r.example/x"\n')

    request_path_seeds()
    listener_input_seeds()
    body_fields_seeds()


def fixture(provider, name):
    fx = json.loads((ROOT / "fixtures" / provider / f"{name}.json").read_text())
    return fx.get("headers", {}), json.dumps(fx.get("body", {})).encode()


def http1(method, path, headers, body=b""):
    """A raw HTTP/1.1 request; Content-Length is added for a body."""
    head = f"{method} {path} HTTP/1.1\r\nHost: gateway.example\r\n"
    if body:
        headers = dict(headers, **{"Content-Length": str(len(body))})
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + body


def request_path_seeds():
    """`peer selector byte, raw request` for the listeners of fuzz/fuzz_targets/gateway.toml
    (peers: 0 inside allowed_ips, 1 outside, 2 a trusted proxy, 3 ::1), signed at NOW."""
    base = "/api/v1/listener/"
    basic = "Basic " + base64.b64encode(b"hostaway:hostaway-password").decode()
    h, body = fixture("hostaway", "reservation.created")
    ip_listener = dict(h, **{"X-Hostaway-Token": "hostaway-token", "Authorization": basic})
    seeds = {
        "hostaway-accepted": (0, http1("POST", base + "hostaway/acc-ip", ip_listener, body)),
        "hostaway-outside": (1, http1("POST", base + "hostaway/acc-ip", ip_listener, body)),
        "hostaway-proxied": (2, http1("POST", base + "hostaway/acc-ip",
                                      dict(ip_listener, **{"X-Forwarded-For": "203.0.113.9, 10.0.0.5"}), body)),
        "hostaway-no-token": (0, http1("POST", base + "hostaway/acc-ip", dict(h, Authorization=basic), body)),
        "hostaway-filtered": (3, http1("POST", base + "hostaway/acc-basic/", dict(h, Authorization=basic),
                                       fixture("hostaway", "ping")[1])),
        "wrong-method": (0, http1("PUT", base + "stripe/acct_1", {}, b"{}")),
        "no-listener": (0, http1("POST", base + "stripe/acct_%32", {}, b"{}")),
        "too-large": (0, http1("POST", base + "smoobu/1306068", {"Content-Length": "70000"})),
        "healthz": (0, http1("GET", "/healthz", {})),
        "meta-get": (3, http1("GET", base + "github/meta-org?hub.mode=subscribe&hub.verify_token=verify-me"
                                          "&hub.challenge=1158201444", {})),
    }
    h, body = fixture("smoobu", "newReservation")
    seeds["smoobu"] = (3, http1("POST", base + "smoobu/1306068", dict(h, **{"X-Api-Key": "smoobu-key"}), body))
    seeds["smoobu-not-json"] = (3, http1("POST", base + "smoobu/1306068", {"X-Api-Key": "smoobu-key"}, b"{\"action\":"))
    for provider, name, tail, scheme in [("stripe", "charge.refunded", "stripe/acct_1", "stripe"),
                                         ("github", "push", "github/octo-org", "github"),
                                         ("github", "issues", "github/meta-org", "github"),
                                         ("slack", "event_callback-app_mention", "slack/T1", "slack"),
                                         ("standard-webhooks", "invoice.paid", "standard-webhooks/sw", "standard")]:
        h, body = fixture(provider, name)
        seeds[f"{provider}-{name}"] = (3, http1("POST", base + tail, dict(h, **signed(body)[scheme]), body))
    challenge = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"}).encode()
    seeds["slack-challenge"] = (3, http1("POST", base + "slack/T1", signed(challenge)["slack"], challenge))
    for name, (peer, raw) in seeds.items():
        write("request_path", name, bytes([peer]) + raw)


def listener_input_seeds():
    """Listener bodies of the management API: small, full, and with the shorthands."""
    full = {
        "name": "demo", "provider": "hostaway", "integrationAccountId": "acc-9",
        "workspaceId": "w", "integrationDefinitionId": "d", "enabled": True, "apiSupport": False,
        "allowedIps": ["203.0.113.0/24", "2001:db8::/32"], "headers": {"X-Token": "t0k"},
        "basicAuth": {"username": "u", "password": "p"},
        "rateLimit": {"perSecond": 10, "burst": 20},
        "eventSubscription": {"reservation.created": True, "reservation.deleted": False},
        "response": {"status": 202, "contentType": "text/plain", "body": "OK", "headers": {"X-A": "b"}},
        "receivers": [{
            "url": "http://127.0.0.1:9/a", "headers": {"X-Env": "demo"}, "events": ["reservation.created"],
            "format": "envelope", "maxRetryCount": 3, "signingSecret": SW_SECRET,
            "authorization": "Bearer x", "rateLimit": {"perSecond": 5}, "forwardHeaders": ["X-Env"],
            "timeout": "5s", "orderBy": "body:/data/id", "filter": ".data.status == \"new\"",
            "transform": "{id: .data.id}",
        }, {
            "url": "http://127.0.0.1:9/b",
            "oauth": {"tokenUrl": "http://127.0.0.1:9/token", "clientId": "c", "clientSecret": "s",
                      "credentialsLocation": "basic_auth_header", "scope": "x"},
        }],
    }
    seeds = {
        "full": full,
        "small": {"provider": "smoobu", "integrationAccountId": "1", "receiverUrl": "http://127.0.0.1:9/x"},
        "shorthand-ip": {"provider": "stripe", "integrationAccountId": "acct", "verifySecret": SW_SECRET,
                         "ipAddress": "203.0.113.7", "receiverUrl": "http://127.0.0.1:9/x"},
        "handshake": {"provider": "github", "integrationAccountId": "o", "verifySecret": "s",
                      "handshake": "meta", "handshakeSecret": "v", "receivers": [{"url": "http://127.0.0.1:9/x"}]},
        "masked": {"provider": "smoobu", "integrationAccountId": "1",
                   "receivers": [{"url": "http://127.0.0.1:9/x", "signingSecret": "***"}]},
        "wrong-types": {"provider": 1, "integrationAccountId": [], "receivers": {"url": None}, "extra": True},
    }
    for name, doc in seeds.items():
        write("listener_input", name, json.dumps(doc).encode())


def body_fields_seeds():
    """`pointer \0 body`: provider payloads with the pointers presets read, and odd ones."""
    cases = [("/event", "hostaway", "reservation.created"), ("/data/id", "smoobu", "newReservation"),
             ("/type", "stripe", "charge.refunded"), ("/event/type", "slack", "event_callback-app_mention"),
             ("/commits/0/id", "github", "push"), ("", "lodgify", "booking_change")]
    for pointer, provider, name in cases:
        write("body_fields", f"{provider}-{name}", pointer.encode() + b"\0" + fixture(provider, name)[1])
    odd = {"escapes": (b"/a~1b/~0c", b'{"a/b":{"~c":"\\u00e9"}}'), "numbers": (b"/n/1", b'{"n":[1e400,-0,12.50]}'),
           "repeated": (b"/a/b", b'{"a":{"b":2},"a":1}'), "empty": (b"/x", b'{"x":""}')}
    for name, (pointer, body) in odd.items():
        write("body_fields", name, pointer + b"\0" + body)


main()
