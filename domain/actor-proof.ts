// Who made a change is part of the change. The web app and the CLI sign each Update's arguments
// with Lantian's actor key (Ed25519); the obligation workflow verifies the signature before it
// accepts the Update, so a client that reaches Temporal directly cannot act as a made-up user.
import { ed25519 } from '@noble/curves/ed25519';

export interface ActorProof {
  issuedAt: string;
  /** One signature per key the signer holds (more than one while a key is being replaced). */
  signatures: { key: string; sig: string }[];
}

/** The Updates whose actor must be proven: every change a person makes to an obligation or a problem. */
export const PROVEN_UPDATES = [
  'submitEvidence',
  'reviewEvidence',
  'extendDeadline',
  'correctDueDate',
  'waiveObligation',
  'acknowledgeNotice',
  'assignProblem',
  'submitProblemPlan',
  'submitProblemEvidence',
  'verifyProblem',
  'reportSimilarProblems',
];

/** The workflows a client tells which actor keys to trust when it starts them (their input's `actorKeys`). */
export const TRUSTING_WORKFLOWS = ['obligationWorkflow', 'problemWorkflow'];

/** What is signed: the workflow, the Update and its argument exactly as sent (without the proof). */
export function proofMessage(workflowId: string, update: string, issuedAt: string, arg: unknown): Uint8Array {
  return utf8(`lantian-actor-proof-v1\n${workflowId}\n${update}\n${issuedAt}\n${JSON.stringify(arg)}`);
}

/** True when one of the proof's signatures is by a trusted key (hex, raw 32 bytes) and verifies. */
export function proofHolds(
  workflowId: string,
  update: string,
  arg: { proof?: ActorProof },
  trusted: readonly string[],
): boolean {
  const { proof, ...rest } = arg;
  if (!proof || typeof proof.issuedAt !== 'string' || !Array.isArray(proof.signatures)) return false;
  const message = proofMessage(workflowId, update, proof.issuedAt, rest);
  return proof.signatures.some((s) => {
    if (!trusted.includes(s?.key) || typeof s.sig !== 'string') return false;
    try {
      return ed25519.verify(s.sig, message, s.key);
    } catch {
      return false;
    }
  });
}

/** UTF-8 without TextEncoder, which workflow code cannot count on. */
function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}
