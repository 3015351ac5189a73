// The public surface of @app/shares: what the app and the other libs import, by name (knip checks that each is used).
// Three homes: the registry (this folder and store/: shares, revocations, listing), protection/ (protected links'
// unlocking and limits) and trail/ (the access trail), each with its own index.
export { ShareUnlock, hashSharePassword, toProtectionView } from './protection';
export type { ShareProtectionView, UnlockResult } from './protection';
export { toAccessView } from './trail';
export type { ShareAccessEvent, ShareAccessView } from './trail';
export { sharesConfig } from './shares.config';
export type { SharesConfig } from './shares.config';
export { loadUnlockLimits } from './shares.config';
export { notRevocableReason } from './share-record';
export type { NewShare, ShareQuery, ShareRecord } from './share-record';
export type { ProtectionState } from './share-record';
export { toShareView } from './share-view';
export type { ShareView } from './share-view';
export { ShareAdmin, TokenNotRecognisedError } from './share-admin';
export { decodeCursor, encodeCursor } from './list-cursor';
export type { ShareStore } from './store/share-store';
export { SqliteShareStore } from './store/sqlite-share.store';
export { PgShareStore, REVOCATION_LOCK } from './store/pg-share.store';
export { openShareStore } from './store/open-share-store';
export { ListSharesQuery } from './dto/list-shares.query';
export { RevokeTokenDto } from './dto/revoke-token.dto';
export { SharesService } from './shares.service';
export { SharesModule } from './shares.module';
