// Lantian's actor key: the web app and the CLI sign every change a person makes to an obligation
// (domain/actor-proof.ts), and the worker tells its workflows which public keys to trust. The
// private key lives in a file only the server's own user can read (mode 0600).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClientInterceptors, WorkflowClientInterceptor } from '@temporalio/client';
import { PROVEN_UPDATES, TRUSTING_WORKFLOWS, proofMessage, type ActorProof } from '../domain/actor-proof';
import type { Env } from '../config/env';
import { actorKeyFromText } from '../config/actor-key';

export interface ActorKeyConfig {
  /** The private key file (PEM, PKCS#8); created with mode 0600 when it does not exist. */
  keyFile: string;
  /** The private key itself (LANTIAN_ACTOR_KEY), used instead of the file. */
  key?: string;
  /** Public keys (hex, comma-separated) obligations launched now also trust, while a key is being replaced. */
  publicKeys?: string;
}

/** From the environment: LANTIAN_ACTOR_KEY_FILE (default <data dir>/actor-key.pem), LANTIAN_ACTOR_PUBLIC_KEYS. */
export function actorKeyConfig(
  env: Pick<Env, 'LANTIAN_DATA_DIR' | 'LANTIAN_ACTOR_KEY_FILE' | 'LANTIAN_ACTOR_KEY' | 'LANTIAN_ACTOR_PUBLIC_KEYS'>,
): ActorKeyConfig {
  return {
    keyFile: env.LANTIAN_ACTOR_KEY_FILE ?? path.join(env.LANTIAN_DATA_DIR, 'actor-key.pem'),
    ...(env.LANTIAN_ACTOR_KEY ? { key: env.LANTIAN_ACTOR_KEY } : {}),
    ...(env.LANTIAN_ACTOR_PUBLIC_KEYS ? { publicKeys: env.LANTIAN_ACTOR_PUBLIC_KEYS } : {}),
  };
}

function signingKey(c: ActorKeyConfig): crypto.KeyObject {
  if (c.key === undefined) return privateKey(c.keyFile);
  const key = actorKeyFromText(c.key);
  if (key instanceof Error) throw new Error(`LANTIAN_ACTOR_KEY: ${key.message}`);
  return key;
}

function privateKey(file: string): crypto.KeyObject {
  if (!fs.existsSync(file)) {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // wx: two processes starting at once must not each write a different key.
    try {
      fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return crypto.createPrivateKey(fs.readFileSync(file));
}

function publicHex(key: crypto.KeyObject): string {
  // The SPKI DER of an Ed25519 key ends with its raw 32 bytes.
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(-32).toString('hex');
}

/** The public keys an obligation launched now trusts: this key's, and any named beside it (a key being replaced). */
export function trustedActorKeys(c: ActorKeyConfig): string[] {
  const named = (c.publicKeys ?? '')
    .split(',')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
  return [...new Set([publicHex(signingKey(c)), ...named])];
}

/**
 * Signs the Updates a client sends to obligations and problems, and tells each one it launches which
 * keys to trust (its input's `actorKeys`, in history for anyone to read: they are public).
 */
export function actorProofInterceptors(c: ActorKeyConfig): ClientInterceptors {
  let key: crypto.KeyObject | undefined;
  let trusted: string[] | undefined;
  const trust: WorkflowClientInterceptor['start'] = async (input, next) => {
    const [arg, ...rest] = input.options.args;
    if (!TRUSTING_WORKFLOWS.includes(input.workflowType) || !arg || typeof arg !== 'object' || 'actorKeys' in arg)
      return next(input);
    return next({
      ...input,
      options: { ...input.options, args: [{ ...arg, actorKeys: (trusted ??= trustedActorKeys(c)) }, ...rest] },
    });
  };
  const sign: WorkflowClientInterceptor['startUpdate'] = async (input, next) => {
    const arg = input.args[0];
    if (!PROVEN_UPDATES.includes(input.updateName) || !arg || typeof arg !== 'object') return next(input);
    key ??= signingKey(c);
    const issuedAt = new Date().toISOString();
    const message = proofMessage(input.workflowExecution.workflowId, input.updateName, issuedAt, arg);
    const proof: ActorProof = {
      issuedAt,
      signatures: [{ key: publicHex(key), sig: crypto.sign(null, message, key).toString('hex') }],
    };
    return next({ ...input, args: [{ ...arg, proof }, ...input.args.slice(1)] });
  };
  return { workflow: [{ start: trust, startUpdate: sign }] };
}
