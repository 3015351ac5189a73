// The public surface of @app/meddream: what the app and the other libs import, by name (knip checks that each is used).
export { medDreamConfig } from './meddream.config';
export type { MedDreamConfig } from './meddream.config';
export { MedDreamModule } from './meddream.module';
