#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Regenerate the Apple .mobileconfig fixtures of test-mobileconfig (tests/properties/mobileconfig/)
and the seeds of fuzz/fuzz-mobileconfig.  Not run by the tests: its output is committed (as
make-fixtures.sh does for the .sswan ones).  Needs python3 (plistlib) and openssl.  Test names
only: 198.18.0.0/15, 2001:db8::/32, example.test.  The keys are throw-away EC P-256 keys made
here; the certificates are valid for 100 years.  Each bad-*.mobileconfig has one problem, unless
its name says several."""
import copy
import os
import plistlib
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "mobileconfig")
seeds = os.path.join(here, "..", "..", "fuzz", "seeds", "fuzz-mobileconfig")


def sh(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(tmp):
    ec = ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
    sh(*ec, "ca.key", cwd=tmp)
    sh("openssl", "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "36500",
       "-subj", "/O=example.test/CN=uipsec test CA",
       "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem", cwd=tmp)
    sh(*ec, "ca2.key", cwd=tmp)
    sh("openssl", "req", "-x509", "-new", "-key", "ca2.key", "-sha256", "-days", "36500",
       "-subj", "/O=example.test/CN=uipsec second test CA",
       "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca2.pem", cwd=tmp)
    sh("openssl", "x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der", cwd=tmp)
    sh(*ec, "client.key", cwd=tmp)
    sh("openssl", "req", "-new", "-key", "client.key", "-subj",
       "/O=example.test/CN=client@example.test", "-out", "client.csr", cwd=tmp)
    with open(os.path.join(tmp, "client.ext"), "w") as f:
        f.write("subjectAltName=email:client@example.test\nextendedKeyUsage=clientAuth\n")
    sh("openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-sha256", "-days", "36500", "-extfile", "client.ext",
       "-out", "client.pem", cwd=tmp)
    # with a password (what Apple Configurator and MDMs write), and without one
    sh("openssl", "pkcs12", "-export", "-inkey", "client.key", "-in", "client.pem",
       "-passout", "pass:correct horse", "-out", "client-pw.p12", cwd=tmp)
    sh("openssl", "pkcs12", "-export", "-inkey", "client.key", "-in", "client.pem",
       "-passout", "pass:", "-out", "client.p12", cwd=tmp)
    read = lambda n: open(os.path.join(tmp, n), "rb").read()
    return {n: read(n) for n in ("ca.der", "ca.pem", "ca2.pem", "client-pw.p12", "client.p12",
                                 "ca.key")}


U_PROFILE = "0C2F7B1E-6A4D-4E1B-9C3A-2B1D0E0F1A01"
U_VPN = "0C2F7B1E-6A4D-4E1B-9C3A-2B1D0E0F1A02"
U_CA = "0C2F7B1E-6A4D-4E1B-9C3A-2B1D0E0F1A03"
U_CA2 = "0C2F7B1E-6A4D-4E1B-9C3A-2B1D0E0F1A04"
U_P12 = "0C2F7B1E-6A4D-4E1B-9C3A-2B1D0E0F1A05"
PSK = "a pre-shared key of 32 characters"[:32]


def payload(ptype, uuid, **keys):
    p = {"PayloadType": ptype, "PayloadUUID": uuid, "PayloadVersion": 1,
         "PayloadIdentifier": "test.example." + uuid.lower(),
         "PayloadDisplayName": ptype.rsplit(".", 1)[-1]}
    p.update(keys)
    return p


def profile(*payloads, **keys):
    p = {"PayloadType": "Configuration", "PayloadUUID": U_PROFILE, "PayloadVersion": 1,
         "PayloadIdentifier": "test.example.profile", "PayloadDisplayName": "Example profile",
         "PayloadDescription": "uipsec test profile", "PayloadOrganization": "example.test",
         "PayloadRemovalDisallowed": False, "ConsentText": {"default": "Test only"},
         "PayloadContent": list(payloads)}
    p.update(keys)
    return p


def vpn(uuid=U_VPN, name="Example PSK", vpn_type="IKEv2", **ikev2):
    p = payload("com.apple.vpn.managed", uuid, VPNType=vpn_type, IKEv2=ikev2)
    if name:
        p["UserDefinedName"] = name
    return p


def main():
    with tempfile.TemporaryDirectory() as tmp:
        c = make_certs(tmp)
        root = payload("com.apple.security.root", U_CA, PayloadContent=c["ca.der"],
                       PayloadCertificateFileName="ca.cer")
        pem2 = payload("com.apple.security.pem", U_CA2, PayloadContent=c["ca2.pem"])
        # a PEM payload with a chain (two CAs in one payload)
        chain = payload("com.apple.security.pem", U_CA2, PayloadContent=c["ca2.pem"] + c["ca.pem"])
        p12_pw = payload("com.apple.security.pkcs12", U_P12, PayloadContent=c["client-pw.p12"],
                         Password="correct horse")
        p12 = payload("com.apple.security.pkcs12", U_P12, PayloadContent=c["client.p12"])
        files = {}

        psk = dict(RemoteAddress="198.18.0.1", RemoteIdentifier="vpn.example.test",
                   LocalIdentifier="client.example.test", AuthenticationMethod="SharedSecret",
                   ExtendedAuthEnabled=0, SharedSecret=PSK, DeadPeerDetectionRate="High",
                   NATKeepAliveInterval=30, NATKeepAliveOffloadEnable=1, MTU=1400,
                   DisableMOBIKE=1, DisableRedirect=0, EnablePFS=1, OnDemandEnabled=0,
                   IKESecurityAssociationParameters=dict(
                       EncryptionAlgorithm="AES-256-GCM", IntegrityAlgorithm="SHA2-384",
                       DiffieHellmanGroup=20, LifeTimeInMinutes=60),
                   ChildSecurityAssociationParameters=dict(
                       EncryptionAlgorithm="AES-256", IntegrityAlgorithm="SHA2-256",
                       DiffieHellmanGroup=19, LifeTimeInMinutes=30))
        files["good-psk"] = profile(vpn(**psk), root)
        eap = dict(RemoteAddress="vpn.example.test", RemoteIdentifier="vpn.example.test",
                   AuthenticationMethod="None", ExtendedAuthEnabled=True, AuthName="alice",
                   AuthPassword="alice's password", DeadPeerDetectionRate="Low",
                   IKESecurityAssociationParameters=dict(
                       EncryptionAlgorithm="AES-128", IntegrityAlgorithm="SHA2-256",
                       DiffieHellmanGroup=14),
                   ChildSecurityAssociationParameters=dict(
                       EncryptionAlgorithm="ChaCha20Poly1305", DiffieHellmanGroup=31,
                       IntegrityAlgorithm="SHA1-96"))  # unused with an AEAD cipher
        eap_vpn = vpn(name="Example EAP", **eap)
        eap_vpn["DNS"] = {"ServerAddresses": ["198.18.0.53", "2001:db8::53"],
                          "SearchDomains": ["corp.example.test"], "DNSProtocol": "Cleartext"}
        files["good-eap"] = profile(eap_vpn, root, pem2)
        # EnablePFS without child SA parameters: Apple's defaults with group 14
        files["good-minimal"] = profile(vpn(uuid="not a uuid", name=None,
                                            RemoteAddress="2001:db8::1", EnablePFS=True))
        cert = dict(RemoteAddress="198.18.0.1", RemoteIdentifier="vpn.example.test",
                    LocalIdentifier="client@example.test", AuthenticationMethod="Certificate",
                    PayloadCertificateUUID=U_P12, CertificateType="ECDSA256",
                    DeadPeerDetectionRate="None")
        files["good-cert"] = profile(vpn(name="Example certificate", **cert), root, p12_pw)
        files["good-eap-tls"] = profile(
            vpn(name="Example EAP-TLS", ExtendedAuthEnabled=1,
                **{k: v for k, v in cert.items() if k != "DeadPeerDetectionRate"}),
            chain, p12)

        # ---- bad ones: one problem each unless the name says otherwise
        def bad(name, base="psk", payloads=None, drop=(), top=None, vpn_keys=None, **changes):
            src = {"psk": psk, "eap": eap, "cert": cert}[base]
            ik = copy.deepcopy(src)
            for k in drop:
                del ik[k]
            ik.update(changes)
            v = vpn(**ik)
            v.update(vpn_keys or {})
            extra = payloads if payloads is not None else ([root, p12_pw] if base == "cert"
                                                           else [root])
            files["bad-" + name] = profile(v, *extra, **(top or {}))

        bad("short-psk", SharedSecret="only 12 char")
        bad("redirect", DisableRedirect=1)
        bad("on-demand-several", OnDemandEnabled=1,
            OnDemandRules=[{"Action": "Connect"}], IncludeAllNetworks=True)
        bad("exclude-local", ExcludeLocalNetworks=1)
        bad("server-cn", base="cert", ServerCertificateCommonName="vpn.example.test")
        bad("tls-version", base="cert", TLSMinimumVersion="1.2")
        bad("revocation", base="cert", EnableCertificateRevocationCheck=1)
        bad("fallback", EnableFallback=True)
        bad("proxies", vpn_keys={"Proxies": {"HTTPEnable": 1, "HTTPProxy": "198.18.0.80"}})
        bad("dns-https", vpn_keys={"DNS": {"ServerAddresses": ["198.18.0.53"],
                                           "DNSProtocol": "HTTPS"}})
        bad("dns-address", vpn_keys={"DNS": {"ServerAddresses": ["dns.example.test"]}})
        bad("dns-search-only", vpn_keys={"DNS": {"SearchDomains": ["corp.example.test"]}})
        bad("unknown-keys", Bogus=1, vpn_keys={"Colour": "blue"},
            IKESecurityAssociationParameters=dict(psk["IKESecurityAssociationParameters"],
                                                  Extra=1))
        bad("3des", IKESecurityAssociationParameters=dict(EncryptionAlgorithm="3DES"))
        bad("sha1", ChildSecurityAssociationParameters=dict(IntegrityAlgorithm="SHA1-96"))
        bad("dh-group", IKESecurityAssociationParameters=dict(DiffieHellmanGroup=2))
        bad("lifetime", IKESecurityAssociationParameters=dict(LifeTimeInMinutes=2000))
        bad("mtu", MTU=100)
        bad("dpd-value", DeadPeerDetectionRate="Sometimes")
        bad("string-type", RemoteAddress=198)
        bad("bool-type", DisableMOBIKE="yes")
        bad("no-address", drop=["RemoteAddress"])
        bad("none-no-eap", AuthenticationMethod="None", drop=["SharedSecret"])
        bad("psk-eap", ExtendedAuthEnabled=1)
        bad("cert-eap-name", base="cert", ExtendedAuthEnabled=1, AuthName="alice")
        bad("psk-on-cert", base="cert", SharedSecret=PSK)
        bad("no-cert-uuid", base="cert", drop=["PayloadCertificateUUID"])
        bad("cert-uuid-not-p12", base="cert", PayloadCertificateUUID=U_CA)
        bad("p12-wrong-password", base="cert", payloads=[root, dict(p12_pw, Password="wrong")])
        bad("p12-no-password", base="cert",
            payloads=[root, {k: v for k, v in p12_pw.items() if k != "Password"}])
        bad("no-eap-name", base="eap", drop=["AuthName"])
        bad("vpn-type", vpn_keys={"VPNType": "IPSec"})
        bad("applayer", payloads=[root, payload("com.apple.vpn.managed.applayer", U_CA2,
                                                VPNType="IKEv2")])
        bad("encrypted", top={"EncryptedPayloadContent": b"\x30\x00"})
        files["bad-two-vpns"] = profile(vpn(**psk), vpn(uuid=U_CA2, name="Second", **psk))
        files["bad-no-vpn"] = profile(root)
        files["bad-not-configuration"] = dict(profile(vpn(**psk)), PayloadType="Something")

        os.makedirs(out, exist_ok=True)
        os.makedirs(seeds, exist_ok=True)
        for f in os.listdir(out):
            if f.endswith(".mobileconfig"):
                os.unlink(os.path.join(out, f))
        for name, p in files.items():
            with open(os.path.join(out, name + ".mobileconfig"), "wb") as f:
                plistlib.dump(p, f, fmt=plistlib.FMT_XML, sort_keys=True)

        def raw(name, data):
            with open(os.path.join(out, name + ".mobileconfig"), "wb") as f:
                f.write(data)

        good_psk = plistlib.dumps(files["good-psk"], fmt=plistlib.FMT_XML)
        raw("bad-binary", plistlib.dumps(files["good-psk"], fmt=plistlib.FMT_BINARY))
        raw("bad-truncated", good_psk[: len(good_psk) // 2])
        raw("bad-not-plist", b'<?xml version="1.0"?>\n<html><body>VPN</body></html>\n')
        raw("bad-duplicate-key", b'<?xml version="1.0"?>\n<plist version="1.0"><dict>'
            b"<key>PayloadType</key><string>Configuration</string>"
            b"<key>PayloadType</key><string>Configuration</string></dict></plist>\n")
        raw("bad-deep", b"<plist>" + b"<array>" * 100 + b"</array>" * 100 + b"</plist>\n")
        raw("bad-empty", b"")

        # signed (CMS SignedData with the content inside, DER), as MDMs serve them
        with open(os.path.join(tmp, "psk.xml"), "wb") as f:
            f.write(good_psk)
        sh("openssl", "cms", "-sign", "-nodetach", "-binary", "-outform", "DER",
           "-in", "psk.xml", "-signer", "ca.pem", "-inkey", "ca.key", "-out", "signed.der",
           cwd=tmp)
        signed = open(os.path.join(tmp, "signed.der"), "rb").read()
        raw("good-signed", signed)
        at = signed.find(b"a pre-shared key")
        raw("bad-signed-tampered", signed[:at] + b"A" + signed[at + 1:])

        for f in sorted(os.listdir(seeds)):
            os.unlink(os.path.join(seeds, f))
        for f in sorted(os.listdir(out)):
            if f.startswith("good-") or f in ("bad-unknown-keys.mobileconfig",
                                              "bad-on-demand-several.mobileconfig",
                                              "bad-p12-wrong-password.mobileconfig"):
                with open(os.path.join(seeds, f), "wb") as s:
                    s.write(open(os.path.join(out, f), "rb").read())


if __name__ == "__main__":
    sys.exit(main())
