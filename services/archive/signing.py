"""Signing archives (LAW-5, §22 of the regulation): XAdES-BES, detached, made with the school's
certificate and key from a PKCS#12 file, verifiable by standard tools::

    xmlsec1 --verify --trusted-pem ca.pem dziennik-….xades.xml     (in the archive's folder)
    signxml: XAdESVerifier().verify(sig, ca_pem_file=…, uri_resolver=…)

The signature is a separate file (``<base>.xades.xml``) whose first reference points at the
archive XML by its file name, with the SHA-256 of the file's bytes (no transforms: the bytes
themselves are signed, however large, computed by streaming). It also signs the XAdES
SignedProperties (signing time, the signing certificate's digest) and the KeyInfo.

The key: the administrator uploads a PKCS#12 file and its password once. The service opens it,
checks it, and stores it re-encrypted with the service's own secret (``DZIENNIK_ARCHIVE_SECRET``,
else a random secret made on first use in ``<data>/archive/keys/.secret``) in a file readable
only by the service's user (0600, folder 0700). The administrator's password is never stored
nor logged (the RPC declares it sensitive)."""
import base64
import datetime as dt
import hashlib
import os
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, VerifyResult, methods
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature, SignXMLException
from signxml.xades import XAdESDataObjectFormat, XAdESSigner, XAdESVerifier
from signxml.xades.xades import XAdESSignatureConfiguration

from services.common.sealing import local_secret

DS = "http://www.w3.org/2000/09/xmldsig#"
FORMAT = "XAdES-BES (podpis zewnętrzny, detached)"


class CertificateProblem(Exception):
    """A PKCS#12 file that cannot be used (the message is for the administrator, in Polish)."""


# ------------------------------------------------------------------------------------- keys

def keys_dir(data_dir):
    path = os.path.join(data_dir, "archive", "keys")
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def service_secret(data_dir):
    """The secret the stored keys are encrypted with: ``DZIENNIK_ARCHIVE_SECRET`` or a random
    one kept beside the keys (0600)."""
    return local_secret("DZIENNIK_ARCHIVE_SECRET", keys_dir(data_dir))


def load_pkcs12(data, password):
    """(key, certificate, chain) from a PKCS#12 file, or ``CertificateProblem``."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode() if isinstance(password, str) and password else (password or None))
    except ValueError:
        raise CertificateProblem("Nie można otworzyć pliku PKCS#12: złe hasło lub uszkodzony plik.")
    if key is None or cert is None:
        raise CertificateProblem("Plik PKCS#12 musi zawierać certyfikat i klucz prywatny.")
    return key, cert, list(chain or [])


def check_certificate(cert, key, now=None):
    """Problems with a certificate for signing archives (Polish), or an empty list."""
    now = now or dt.datetime.now(dt.timezone.utc)
    problems = []
    if cert.not_valid_after_utc < now:
        problems.append(f"Certyfikat wygasł {cert.not_valid_after_utc:%d.%m.%Y}.")
    if cert.not_valid_before_utc > now:
        problems.append(f"Certyfikat jest ważny dopiero od {cert.not_valid_before_utc:%d.%m.%Y}.")
    if cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        problems.append("Klucz prywatny nie pasuje do certyfikatu.")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            problems.append("Certyfikat nie pozwala na składanie podpisu (KeyUsage).")
    except x509.ExtensionNotFound:
        pass
    return problems


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def describe(cert):
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"), "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc, "fingerprint": fingerprint(cert),
            "cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode()}


def store_key(data_dir, school_id, key, cert, chain):
    """Write the key re-encrypted with the service's secret; returns the file's path."""
    blob = pkcs12.serialize_key_and_certificates(
        b"dziennik-archiwum", key, cert, chain or None,
        serialization.BestAvailableEncryption(service_secret(data_dir)))
    path = os.path.join(keys_dir(data_dir), f"{school_id}.p12")
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def load_key(data_dir, path):
    with open(path, "rb") as fh:
        return load_pkcs12(fh.read(), service_secret(data_dir).decode())


# ------------------------------------------------------------------------------------- signing

def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def sign_detached(xml_path, sig_path, key, cert, chain, description="Archiwum dziennika elektronicznego"):
    """Write the detached XAdES-BES signature of the file ``xml_path`` to ``sig_path``; returns
    ``{"signed_at", "subject", "fingerprint", "format"}``."""
    digest = base64.b64encode(file_digest(xml_path)).decode()

    def external_reference(sig_root, signing_settings):
        # signxml digests an XML node for a detached reference; the archive is a file: sign its
        # bytes (a reference with no transforms is an octet stream for every XMLDSig verifier).
        ref = sig_root.find(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
        transforms = ref.find(f"{{{DS}}}Transforms")
        if transforms is not None:
            ref.remove(transforms)
        ref.find(f"{{{DS}}}DigestValue").text = digest

    signer = XAdESSigner(method=methods.detached, c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
                         data_object_format=XAdESDataObjectFormat(Description=description, MimeType="application/xml"))
    signer.signature_annotators.insert(0, external_reference)
    signature = signer.sign(etree.Element("dokument"), key=key, cert=[cert] + list(chain or []),
                            reference_uri=os.path.basename(xml_path))
    with open(sig_path, "wb") as fh:
        fh.write(etree.tostring(signature, xml_declaration=True, encoding="UTF-8"))
    return {"signed_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "subject": cert.subject.rfc4514_string(), "fingerprint": fingerprint(cert), "format": FORMAT}


def signing_certificate(sig_path):
    """The first certificate in the signature's KeyInfo (not yet trusted), or None."""
    try:
        root = etree.parse(sig_path, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (OSError, etree.XMLSyntaxError):
        return None
    el = root.find(f".//{{{DS}}}X509Certificate")
    if el is None or not el.text:
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(el.text.split())))
    except ValueError:
        return None


class _FileVerifier(XAdESVerifier):
    """signxml's XAdES verifier, except that the reference to the archive file is checked by
    streaming the file through SHA-256: signxml would read the whole file into memory and parse
    it as XML, and an archive may be large. Every other reference (SignedProperties, KeyInfo)
    and the signature itself are verified by signxml as usual."""

    def __init__(self, path):
        super().__init__()
        self._path, self._name = path, os.path.basename(path)
        self.file_checked = False

    def _verify_reference(self, reference, index, root, uri_resolver, c14n_algorithm, signature,
                          signature_key_used):
        if reference.get("URI") != self._name:
            return super()._verify_reference(reference, index, root, uri_resolver, c14n_algorithm, signature,
                                             signature_key_used)
        if self._find(reference, "Transforms", require=False) is not None:
            raise InvalidInput("The reference to the archive file must have no transforms")
        algorithm = DigestAlgorithm(self._find(reference, "DigestMethod").get("Algorithm"))
        if algorithm != DigestAlgorithm.SHA256:
            raise InvalidInput(f"Unexpected digest algorithm {algorithm.value}")
        if base64.b64decode(self._find(reference, "DigestValue").text) != file_digest(self._path):
            raise InvalidDigest(f"Digest mismatch for reference {index} ({self._name})")
        self.file_checked = True
        key = signature_key_used if isinstance(signature_key_used, bytes) else signature_key_used.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return VerifyResult(b"", None, signature, signature_key=key)


def verify_detached(sig_path, xml_path, *, cert_pem=None, ca_pem=None, at=None):
    """Verify the detached signature of ``xml_path``. Trust comes from ``ca_pem`` (a chain to
    that authority) or ``cert_pem`` (exactly that certificate). ``at``: the time the
    certificate must have been valid (the signing time, so an archive stays verifiable after
    its certificate expired). Returns ``(ok, message)``; the message says what is wrong. The
    archive file is read by streaming (memory does not grow with its size)."""
    try:
        with open(sig_path, "rb") as fh:
            signature = fh.read()
    except OSError:
        return False, "Brak pliku podpisu."
    config = XAdESSignatureConfiguration(verification_time=at) if at else XAdESSignatureConfiguration()
    verifier = _FileVerifier(xml_path)
    ca_file = None
    try:
        kwargs = {"uri_resolver": lambda uri: None, "expect_config": config}
        if ca_pem:
            fd, ca_file = tempfile.mkstemp(suffix=".pem")
            with os.fdopen(fd, "w") as fh:
                fh.write(ca_pem)
            kwargs["ca_pem_file"] = ca_file
        elif cert_pem:
            kwargs["x509_cert"] = cert_pem
        else:
            return False, "Brak certyfikatu, względem którego można sprawdzić podpis."
        verifier.verify(signature, **kwargs)
        if not verifier.file_checked:
            return False, "Podpis nie obejmuje pliku archiwum."
        return True, "Podpis XAdES jest prawidłowy."
    except InvalidDigest:
        return False, "Podpis nie zgadza się z zawartością pliku archiwum (plik został zmieniony po podpisaniu)."
    except InvalidCertificate as exc:
        return False, f"Certyfikat podpisu nie jest zaufany lub nie był ważny: {exc}"
    except InvalidSignature as exc:
        return False, f"Podpis jest nieprawidłowy: {exc}"
    except (InvalidInput, SignXMLException, etree.XMLSyntaxError, ValueError) as exc:
        return False, f"Plik podpisu jest uszkodzony lub niepoprawny: {exc}"
    finally:
        if ca_file:
            os.remove(ca_file)
