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
    for path in [ROOT / "listeners.toml"]:
        write("config_parse", path.name, path.read_bytes())
    write("config_parse", "minimal.toml", b'[store]\nurl = "sqlite://x.db"\n[[listener]]\nid = "l"\n'
          b'provider = "smoobu"\naccount_id = "a"\n[[listener.receiver]]\nurl = "https://r.example/x"\n')


main()
