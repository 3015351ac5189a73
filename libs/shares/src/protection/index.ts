// Protected links: unlocking by password or e-mailed code, the limits of docs/PROTOCOL.md's threat model
// (unlock-rules.ts), the bounded key derivations, and how a protection is shown to administrators.
export { ShareUnlock } from './share-unlock';
export type { UnlockResult } from './share-unlock';
export { hashSharePassword } from './share-secrets';
export { toProtectionView } from './share-protection-view';
export type { ShareProtectionView } from './share-protection-view';
