// The actor key given as text (LANTIAN_ACTOR_KEY): an Ed25519 private key as base64 PKCS#8 DER,
// one line for an environment variable or a secret store, or as PEM.
import crypto from 'node:crypto';

/** The key, or an Error saying why the text is not one. */
export function actorKeyFromText(text: string): crypto.KeyObject | Error {
  try {
    const t = text.trim();
    const key = t.includes('-----BEGIN')
      ? crypto.createPrivateKey(t)
      : crypto.createPrivateKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'pkcs8' });
    return key.asymmetricKeyType === 'ed25519' ? key : new Error(`a ${key.asymmetricKeyType} key, not Ed25519`);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export const isEd25519PrivateKey = (text: string) => !(actorKeyFromText(text) instanceof Error);
