//! Signed JWTs the client makes itself: the RFC 7523 `private_key_jwt` client
//! assertion, and the signing under DPoP proofs ([`crate::oauth::dpop`]).
//!
//! Signing is `ring`'s, already in the tree for TLS: no second crypto library.
//! A key arrives as PEM (PKCS#8, or the PKCS#1 RSA and SEC1 EC forms that
//! `openssl genrsa`/`ecparam` write), is held only inside [`SigningKey`] (no
//! `Debug` of its bytes, no `Serialize`) and is read from the keychain or the
//! file the person named each time it is needed; a signed assertion is a
//! [`Secret`] like any credential.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::vault::secret::Secret;

/// The JWS algorithms a key can sign with (RFC 7518).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es256,
    Es384,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 9] = [
        SigningAlg::Es256,
        SigningAlg::Es384,
        SigningAlg::Rs256,
        SigningAlg::Rs384,
        SigningAlg::Rs512,
        SigningAlg::Ps256,
        SigningAlg::Ps384,
        SigningAlg::Ps512,
        SigningAlg::EdDsa,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Es384 => "ES384",
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Rs384 => "RS384",
            SigningAlg::Rs512 => "RS512",
            SigningAlg::Ps256 => "PS256",
            SigningAlg::Ps384 => "PS384",
            SigningAlg::Ps512 => "PS512",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|a| a.as_str()).collect();
            Error::InvalidInput(format!("unknown signing algorithm {s:?} (use one of {})", known.join(", ")))
        })
    }

    fn rsa_padding(self) -> Option<&'static dyn signature::RsaEncoding> {
        Some(match self {
            SigningAlg::Rs256 => &signature::RSA_PKCS1_SHA256,
            SigningAlg::Rs384 => &signature::RSA_PKCS1_SHA384,
            SigningAlg::Rs512 => &signature::RSA_PKCS1_SHA512,
            SigningAlg::Ps256 => &signature::RSA_PSS_SHA256,
            SigningAlg::Ps384 => &signature::RSA_PSS_SHA384,
            SigningAlg::Ps512 => &signature::RSA_PSS_SHA512,
            _ => return None,
        })
    }
}

enum KeyPairKind {
    Ec(EcdsaKeyPair, SigningAlg),
    Rsa(RsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A private key that signs JWTs.
pub struct SigningKey {
    pair: KeyPairKind,
    alg: SigningAlg,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, ***)", self.alg.as_str())
    }
}

fn unreadable(why: &str) -> Error {
    Error::InvalidInput(format!("the private key could not be read: {why}"))
}

impl SigningKey {
    /// Read a PEM private key. `alg` picks among those the key can do (an RSA
    /// key signs RS256 unless told otherwise; an EC key's curve fixes it).
    pub fn from_pem(pem: &Secret, alg: Option<SigningAlg>) -> Result<Self> {
        let der = PrivateKeyDer::from_pem_slice(pem.expose().as_bytes())
            .map_err(|_| unreadable("it is not a PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"))?;
        let rng = SystemRandom::new();
        let pair = match &der {
            PrivateKeyDer::Pkcs8(p) => Self::from_pkcs8(p.secret_pkcs8_der(), &rng)?,
            PrivateKeyDer::Pkcs1(p) => KeyPairKind::Rsa(
                RsaKeyPair::from_der(p.secret_pkcs1_der()).map_err(|_| unreadable("the RSA key is malformed or too small"))?,
            ),
            PrivateKeyDer::Sec1(p) => Self::from_sec1(p.secret_sec1_der(), &rng)?,
            _ => return Err(unreadable("unsupported key format")),
        };
        let alg = match (&pair, alg) {
            (KeyPairKind::Ec(_, curve), Some(a)) if a != *curve => {
                return Err(Error::InvalidInput(format!("this EC key signs {}, not {}", curve.as_str(), a.as_str())))
            }
            (KeyPairKind::Ec(_, curve), _) => *curve,
            (KeyPairKind::Ed(_), Some(a)) if a != SigningAlg::EdDsa => {
                return Err(Error::InvalidInput(format!("this Ed25519 key signs EdDSA, not {}", a.as_str())))
            }
            (KeyPairKind::Ed(_), _) => SigningAlg::EdDsa,
            (KeyPairKind::Rsa(_), Some(a)) if a.rsa_padding().is_none() => {
                return Err(Error::InvalidInput(format!("an RSA key cannot sign {}", a.as_str())))
            }
            (KeyPairKind::Rsa(_), a) => a.unwrap_or(SigningAlg::Rs256),
        };
        Ok(SigningKey { pair, alg })
    }

    fn from_pkcs8(der: &[u8], rng: &SystemRandom) -> Result<KeyPairKind> {
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, rng) {
            return Ok(KeyPairKind::Ec(k, SigningAlg::Es256));
        }
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, der, rng) {
            return Ok(KeyPairKind::Ec(k, SigningAlg::Es384));
        }
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            return Ok(KeyPairKind::Rsa(k));
        }
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(KeyPairKind::Ed(k));
        }
        Err(unreadable("not a P-256, P-384, RSA (2048 bits or more) or Ed25519 key"))
    }

    /// SEC1 (`EC PRIVATE KEY`), wrapped in the PKCS#8 envelope ring reads.
    fn from_sec1(sec1: &[u8], rng: &SystemRandom) -> Result<KeyPairKind> {
        // id-ecPublicKey, then the curve: prime256v1 / secp384r1.
        const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
        for (curve, alg, ring_alg) in [
            (P256, SigningAlg::Es256, &signature::ECDSA_P256_SHA256_FIXED_SIGNING),
            (P384, SigningAlg::Es384, &signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        ] {
            let algorithm = der(0x30, &[EC_PUBLIC_KEY, curve].concat());
            let pkcs8 = zeroize::Zeroizing::new(der(0x30, &[&[0x02, 0x01, 0x00][..], &algorithm, &der(0x04, sec1)].concat()));
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(ring_alg, &pkcs8, rng) {
                return Ok(KeyPairKind::Ec(k, alg));
            }
        }
        Err(unreadable("not a P-256 or P-384 EC key with its public key"))
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public half as a JWK (RFC 7517), for a DPoP proof's header.
    pub fn public_jwk(&self) -> Value {
        match &self.pair {
            KeyPairKind::Ec(k, alg) => {
                let point = k.public_key().as_ref();
                let n = (point.len() - 1) / 2;
                let crv = if *alg == SigningAlg::Es256 { "P-256" } else { "P-384" };
                json!({"kty": "EC", "crv": crv, "x": b64(&point[1..1 + n]), "y": b64(&point[1 + n..])})
            }
            KeyPairKind::Rsa(k) => {
                let public = k.public();
                let components = signature::RsaPublicKeyComponents::<Vec<u8>>::from(public);
                json!({"kty": "RSA", "n": b64(&components.n), "e": b64(&components.e)})
            }
            KeyPairKind::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.public_key().as_ref())})
            }
        }
    }

    /// A compact JWS of `claims` with `header` (its `alg` is set here).
    pub fn sign(&self, mut header: Value, claims: &Value) -> Result<Secret> {
        header["alg"] = Value::String(self.alg.as_str().to_string());
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let rng = SystemRandom::new();
        let failed = |_| Error::InvalidInput("the private key could not sign".into());
        let sig = match &self.pair {
            KeyPairKind::Ec(k, _) => k.sign(&rng, input.as_bytes()).map_err(failed)?.as_ref().to_vec(),
            KeyPairKind::Ed(k) => k.sign(input.as_bytes()).as_ref().to_vec(),
            KeyPairKind::Rsa(k) => {
                let mut out = vec![0; k.public().modulus_len()];
                let padding = self.alg.rsa_padding().expect("an RSA key's alg is an RSA alg");
                k.sign(padding, &rng, input.as_bytes(), &mut out).map_err(failed)?;
                out
            }
        };
        Ok(Secret::new(format!("{input}.{}", b64(&sig))))
    }
}

/// A PEM private key from a file the person named: a regular file of at most
/// 64 KiB that holds a key this module can sign with. Errors name the file,
/// never its content.
pub fn read_private_key_file(path: &std::path::Path, alg: Option<SigningAlg>) -> Result<Secret> {
    use std::io::Read;
    let refuse = |why: String| Error::InvalidInput(format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| refuse(format!("cannot be read ({})", e.kind())))?;
    if !file.metadata().map_err(|e| refuse(format!("cannot be read ({})", e.kind())))?.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    let mut text = zeroize::Zeroizing::new(String::new());
    file.take(64 * 1024 + 1).read_to_string(&mut text).map_err(|_| refuse("is not a PEM text file".into()))?;
    if text.len() > 64 * 1024 {
        return Err(refuse("is larger than 64 KiB; it does not hold one private key".into()));
    }
    let pem = Secret::new(text.as_str());
    SigningKey::from_pem(&pem, alg).map_err(|e| refuse(e.to_string()))?;
    Ok(pem)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One DER element (definite length).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend([0x81, len as u8]),
        _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A random `jti` (RFC 7519 §4.1.7): 128 bits, URL-safe.
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    b64(&bytes)
}

/// The RFC 7523 §2.2 client assertion: this client (`iss` = `sub` = its id)
/// to this authorization server (`aud` = its issuer, as RFC 7523bis settles),
/// good for one minute, never reused (`jti`).
pub fn client_assertion(key: &SigningKey, client_id: &str, audience: &str, now: u64) -> Result<Secret> {
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": new_jti(),
        "iat": now,
        "exp": now + 60,
    });
    key.sign(json!({"typ": "JWT"}), &claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::UnparsedPublicKey;

    /// A P-256 key in PKCS#8, as WebCrypto (and so the conformance suite) exports it.
    fn p256_pem() -> Secret {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(doc.as_ref());
        Secret::new(format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"))
    }

    /// The uncompressed P-256 point a key's JWK names.
    fn ec_point(key: &SigningKey) -> Vec<u8> {
        let jwk = key.public_jwk();
        let coord = |c: &str| URL_SAFE_NO_PAD.decode(jwk[c].as_str().unwrap()).unwrap();
        [vec![4u8], coord("x"), coord("y")].concat()
    }

    fn parts(jws: &Secret) -> (Value, Value, Vec<u8>, String) {
        let s = jws.expose();
        let mut it = s.split('.');
        let (h, c, sig) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        let dec = |p: &str| URL_SAFE_NO_PAD.decode(p).unwrap();
        (serde_json::from_slice(&dec(h)).unwrap(), serde_json::from_slice(&dec(c)).unwrap(), dec(sig), format!("{h}.{c}"))
    }

    #[test]
    fn a_client_assertion_verifies_with_the_public_key() {
        let key = SigningKey::from_pem(&p256_pem(), None).unwrap();
        assert_eq!(key.alg(), SigningAlg::Es256);
        let jws = client_assertion(&key, "client-1", "https://as.example", 1_000).unwrap();
        let (header, claims, sig, input) = parts(&jws);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert_eq!(claims["aud"], "https://as.example");
        assert_eq!(claims["exp"], 1_060);
        let point = ec_point(&key);
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(input.as_bytes(), &sig).expect("the signature verifies");
        // A second assertion is never the first one again.
        let (_, again, _, _) = parts(&client_assertion(&key, "client-1", "https://as.example", 1_000).unwrap());
        assert_ne!(claims["jti"], again["jti"]);
    }

    #[test]
    fn a_tampered_assertion_does_not_verify() {
        let key = SigningKey::from_pem(&p256_pem(), None).unwrap();
        let (_, _, sig, input) = parts(&client_assertion(&key, "c", "https://as", 1).unwrap());
        let point = ec_point(&key);
        let tampered = input.replacen('.', ".e", 1);
        assert!(UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(tampered.as_bytes(), &sig).is_err());
    }

    #[test]
    fn an_ec_key_refuses_an_algorithm_of_another_kind() {
        let err = SigningKey::from_pem(&p256_pem(), Some(SigningAlg::Rs256)).unwrap_err();
        assert!(err.to_string().contains("ES256"), "{err}");
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        let err =
            SigningKey::from_pem(&Secret::new("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n"), None)
                .unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("c2VjcmV0"), "{text}");
        assert!(SigningKey::from_pem(&Secret::new("not a key"), None).is_err());
    }

    #[test]
    fn the_debug_form_hides_the_key() {
        let key = SigningKey::from_pem(&p256_pem(), None).unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(ES256, ***)");
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(a.as_str()).unwrap(), a);
        }
        assert!(SigningAlg::parse("HS256").is_err());
    }
}
