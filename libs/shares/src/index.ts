// The public surface of @app/shares: what the app and the other libs import, by name (knip checks that each is used).
export { loadSharesConfig, sharesConfig } from './shares.config';
export type { SharesConfig } from './shares.config';
export { notRevocableReason } from './share-record';
export type { NewShare, ShareQuery, ShareRecord } from './share-record';
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
