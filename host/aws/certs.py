"""Per-run certificates for the local AWS IoT stand-in (PC side only, never firmware).

One call makes, as PEM files in a folder:
- a CA standing in for Amazon Root CA 1, and a server certificate it signed for
  localhost / 127.0.0.1 (serverAuth), as AWS IoT's ATS endpoint presents;
- the device certificate and key of the Thing (CN = the Thing name, clientAuth), as AWS issues
  them; the broker takes the CN as the MQTT user name, so the ACL can hold the device to its own
  shadow topics, as an AWS IoT policy does;
- the same for a second Thing (for refusal tests: its certificate is valid, its policy is not
  for the first Thing's topics);
- a wrong CA with a device certificate it signed (the broker refuses it) and the shadow
  service's own client certificate.

Keys are RSA 2048, as AWS issues them and as Amazon Root CA 1 is.
"""

import datetime
import ipaddress
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_NAME = "aws-shadow-service"  # the shadow service's CN, i.e. its MQTT user name
DEFAULT_THING = "TestThing23"  # the seed's Thing
DEFAULT_OTHER_THING = "OtherThing42"


@dataclass
class CertSet:
    """Paths of the PEM files (every attribute but `folder`, `thing`, `other_thing` is a path)."""

    folder: str
    thing: str
    other_thing: str
    ca: str  # the stand-in's root CA: the device's "CA Certificate"
    server_cert: str
    server_key: str
    cert: str  # the Thing's device certificate
    key: str  # the Thing's private key
    other_cert: str
    other_key: str
    wrong_ca: str  # a CA the broker does not trust
    wrong_cert: str  # a device certificate (CN = thing) signed by the wrong CA
    wrong_key: str
    service_cert: str
    service_key: str


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn, org="AWS IoT stand-in"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(subject, key, issuer, issuer_key, *, ca=False, san=None, eku=None, days=30):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=not ca,
            content_commitment=False,
            key_encipherment=not ca,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, obj):
    if isinstance(obj, x509.Certificate):
        data = obj.public_bytes(serialization.Encoding.PEM)
    else:  # AWS hands out the device key as "-----BEGIN RSA PRIVATE KEY-----" (PKCS#1)
        data = obj.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    with open(path, "wb") as f:
        f.write(data)
    return path


def make_certs(folder, thing=DEFAULT_THING, other_thing=DEFAULT_OTHER_THING):
    """Make a fresh set of certificates in `folder` (created if missing); returns a CertSet."""
    os.makedirs(folder, exist_ok=True)
    p = lambda name: os.path.join(folder, name)  # noqa: E731
    ca_key = _key()
    ca_name = _name("AWS IoT stand-in Root CA")
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    wrong_key = _key()
    wrong_name = _name("Not the stand-in's CA", org="Elsewhere")
    wrong_ca = _cert(wrong_name, wrong_key, wrong_name, wrong_key, ca=True)

    server_key = _key()
    server = _cert(
        _name("localhost"),
        server_key,
        ca_name,
        ca_key,
        san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        eku=[ExtendedKeyUsageOID.SERVER_AUTH],
    )

    def device(cn, issuer_name, issuer_key):
        key = _key()
        cert = _cert(
            _name(cn, org="AWS IoT stand-in device"),
            key,
            issuer_name,
            issuer_key,
            eku=[ExtendedKeyUsageOID.CLIENT_AUTH],
        )
        return cert, key

    dev, dev_key = device(thing, ca_name, ca_key)
    other, other_key = device(other_thing, ca_name, ca_key)
    stray, stray_key = device(thing, wrong_name, wrong_key)
    service, service_key = device(SERVICE_NAME, ca_name, ca_key)
    return CertSet(
        folder=str(folder),
        thing=thing,
        other_thing=other_thing,
        ca=_write(p("ca.pem"), ca),
        server_cert=_write(p("server.crt"), server),
        server_key=_write(p("server.key"), server_key),
        cert=_write(p(thing + ".crt"), dev),
        key=_write(p(thing + ".key"), dev_key),
        other_cert=_write(p(other_thing + ".crt"), other),
        other_key=_write(p(other_thing + ".key"), other_key),
        wrong_ca=_write(p("wrong-ca.pem"), wrong_ca),
        wrong_cert=_write(p("wrong-ca-" + thing + ".crt"), stray),
        wrong_key=_write(p("wrong-ca-" + thing + ".key"), stray_key),
        service_cert=_write(p("service.crt"), service),
        service_key=_write(p("service.key"), service_key),
    )


def device_file_names(thing):
    """The seed's names for the three files on the card (AWS's download names for the Thing).

    The CA file keeps the seed's name AmazonRootCA1.pem, so the seed's block loads with only
    Server and Port changed, but it holds the stand-in's CA, not Amazon's.
    """
    return "AmazonRootCA1.pem", thing + "_DevCert.crt", thing + "_Private.key"


def copy_device_files(certs, folder):
    """Copy the Thing's CA, certificate and key into `folder` under the seed's names."""
    os.makedirs(folder, exist_ok=True)
    out = []
    for src, name in zip((certs.ca, certs.cert, certs.key), device_file_names(certs.thing)):
        with open(src, "rb") as f:
            data = f.read()
        dst = os.path.join(folder, name)
        with open(dst, "wb") as f:
            f.write(data)
        out.append(dst)
    return out
