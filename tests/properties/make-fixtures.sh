#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the .sswan fixtures of test-import-export (tests/properties/fixtures/) and the
# seeds of fuzz/fuzz-import.  Not run by the tests: its output is committed.  Needs openssl
# and python3.  Test names only: 198.18.0.0/15, 2001:db8::/32, example.test.  The keys are
# throw-away EC P-256 keys made here; the certificates are valid for 100 years.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD/fixtures
seeds=$PWD/../../fuzz/seeds/fuzz-import
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec_key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/O=example.test/CN=uipsec test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -out ca.pem
ec_key client.key
openssl req -new -key client.key -subj "/O=example.test/CN=client@example.test" -out client.csr
printf 'subjectAltName=email:client@example.test\nextendedKeyUsage=clientAuth\n' >client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 36500 \
  -extfile client.ext -out client.pem 2>/dev/null
openssl x509 -in ca.pem -outform DER -out ca.der

# no password, current algorithms (AES-256, PBKDF2), with the CA in the bundle
openssl pkcs12 -export -inkey client.key -in client.pem -certfile ca.pem -passout pass: \
  -out client.p12
# no password, legacy algorithms (RC2/3DES): needs OpenSSL's legacy provider
openssl pkcs12 -export -legacy -inkey client.key -in client.pem -passout pass: \
  -out client-legacy.p12
# with a password: refused
openssl pkcs12 -export -inkey client.key -in client.pem -passout pass:secret \
  -out client-password.p12

mkdir -p "$out" "$seeds"
rm -f "$out"/*.sswan
OUT=$out SEEDS=$seeds python3 - <<'PY'
import base64, json, os
out, seeds = os.environ["OUT"], os.environ["SEEDS"]
b64 = lambda f: base64.b64encode(open(f, "rb").read()).decode()
ca_der, ca_pem = b64("ca.der"), b64("ca.pem")
p12, p12_legacy, p12_pw = b64("client.p12"), b64("client-legacy.p12"), b64("client-password.p12")

def write(name, obj=None, raw=None):
    data = raw if raw is not None else (json.dumps(obj, indent=2) + "\n").encode()
    open(os.path.join(out, name), "wb").write(data)

# ---- good profiles
eap = {
    "uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e01", "name": "Example EAP",
    "type": "ikev2-eap",
    "remote": {"addr": "198.18.0.1", "port": 4500, "id": "vpn.example.test", "cert": ca_der},
    "local": {"eap_id": "alice"},
    "ike-proposal": "aes256gcm16-prfsha256-ecp256", "esp-proposal": "aes256gcm16",
    "mtu": 1400, "nat-keepalive": 30,
}
write("good-eap.sswan", eap)
write("good-cert.sswan", {
    "uuid": "7F1B8A62-3C1E-4B7E-9D55-0A1B2C3D4E02", "name": "Example certificate",
    "type": "ikev2-cert",
    "remote": {"addr": "vpn.example.test", "id": "vpn.example.test", "cert": ca_pem,
               "certreq": True},
    "local": {"id": "client@example.test", "p12": p12, "rsa-pss": False},
    "split-tunneling": {"subnets": ["198.18.10.0/24", "2001:db8:10::/48"],
                        "block-ipv4": False, "block-ipv6": False},
    "dns-servers": ["198.18.0.53", "2001:db8::53"],
})
write("good-eap-tls.sswan", {
    "uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e03", "name": "Example EAP-TLS (legacy p12)",
    "type": "ikev2-eap-tls",
    "remote": {"addr": "2001:db8::1", "revocation": {"crl": False, "ocsp": False,
                                                     "strict": False}},
    "local": {"p12": p12_legacy},
    "split-tunneling": {"subnets": "198.18.20.0/24 198.18.21.0/24"},
    "dns-servers": "198.18.0.53",
})
write("good-minimal.sswan", {
    "uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e04", "name": "Minimal",
    "type": "ikev2-eap", "remote": {"addr": "vpn.example.test", "id": None},
    "local": {"eap_id": "bob"}, "apps": [], "split-tunneling": {"excluded": []},
})

# ---- bad profiles: one problem each
def bad(fname, **changes):
    p = json.loads(json.dumps(eap))
    for path, value in changes.items():
        keys = path.replace("__", ".").split(".")
        o = p
        for k in keys[:-1]:
            o = o.setdefault(k, {})
        if value is KeyError:
            del o[keys[-1]]
        else:
            o[keys[-1]] = value
    write("bad-" + fname + ".sswan", p)

write("bad-empty.sswan", raw=b"")
write("bad-json-truncated.sswan", raw=b'{"uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e01", "name": ')
write("bad-json-trailing-comma.sswan", raw=b'{"uuid": "x", "name": "n",}\n')
write("bad-not-object.sswan", raw=b'["ikev2-eap"]\n')
write("bad-not-utf8.sswan", raw=b'{"uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e01", "name": "\xff"}\n')
write("bad-nul.sswan", raw=b'{"uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e01", "name": "a\\u0000b"}\n')
write("bad-deep.sswan", raw=b'{"uuid": ' + b"[" * 200 + b"]" * 200 + b"}\n")
bad("unknown-fields", colour="blue", remote__bogus=1, local__extra={"x": 1})
bad("no-uuid", uuid=KeyError)
bad("uuid", uuid="not-a-uuid")
bad("no-name", name=KeyError)
bad("no-addr", remote__addr=KeyError)
bad("type-unknown", type="ikev2-psk")
bad("type-cert-eap", type="ikev2-cert-eap")
bad("type-byod", type="ikev2-byod-eap")
bad("port-string", remote__port="500")
bad("port-range", remote__port=70000)
bad("mtu-float", mtu=1400.5)
bad("mtu-range", mtu=100)
bad("remote-object", remote="198.18.0.1")
bad("subnets-numbers", **{"split-tunneling.subnets": [1, 2]})
bad("subnets-range", **{"split-tunneling.subnets": ["198.18.1.1 - 198.18.1.9"]})
bad("excluded", **{"split-tunneling.excluded": ["198.18.30.0/24"]})
bad("block-ipv4", **{"split-tunneling.block-ipv4": True})
bad("block-ipv6", **{"split-tunneling.block-ipv6": True})
bad("certreq", remote__certreq=False)
bad("strict-revocation", remote__revocation={"strict": True})
bad("bool-string", remote__certreq="yes")
bad("apps", apps=["org.example.app"])
bad("excluded-apps", **{"excluded-apps": ["org.example.app"]})
bad("proxy", proxy={"host": "198.18.0.80", "port": 8080})
bad("no-eap-id", local__eap_id=KeyError)
bad("p12-on-eap", local__p12=p12)
bad("base64", remote__cert="!!not base64!!")
bad("cert-garbage", remote__cert=base64.b64encode(b"hello, world").decode())
bad("gateway", remote__addr="vpn..example.test")
bad("proposal", **{"ike-proposal": "aes256-"})
bad("dns", **{"dns-servers": ["dns.example.test"]})
cert = {"uuid": "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e05", "name": "c", "type": "ikev2-cert",
        "remote": {"addr": "198.18.0.1"}}
write("bad-cert-no-p12.sswan", cert)
write("bad-p12-password.sswan", dict(cert, local={"p12": p12_pw}))
write("bad-p12-garbage.sswan", dict(cert, local={"p12": ca_der}))
write("bad-eap-id-on-cert.sswan", dict(cert, local={"p12": p12, "eap_id": "alice"}))
write("bad-rsa-pss.sswan", dict(cert, local={"p12": p12, "rsa-pss": True}))

# ---- fuzz seeds: the good ones and a few bad ones
for f in sorted(os.listdir(out)):
    if f.startswith("good-") or f in ("bad-unknown-fields.sswan", "bad-deep.sswan",
                                      "bad-p12-password.sswan"):
        open(os.path.join(seeds, f), "wb").write(open(os.path.join(out, f), "rb").read())
PY
ls "$out" | wc -l
