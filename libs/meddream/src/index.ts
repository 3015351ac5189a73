export * from './meddream.config';
export * from './meddream-token.client';
export * from './meddream-links.service';
export * from './meddream.module';
