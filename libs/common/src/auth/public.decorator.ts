import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'orthanc-auth:public';

/** The route needs no caller credentials (health, readiness). Every other route is protected by default. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
