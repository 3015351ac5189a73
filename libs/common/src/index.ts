// The public surface of @app/common: what the app and the other libs import, by name (knip checks that each is used).
export { ConfigError } from './config/config-error';
export { readSetting } from './config/settings';
export type { Env } from './config/settings';
export { boolSetting, enumSetting, intSetting, listSetting, urlSetting } from './config/parsers';
export {
  coreConfig,
  dataDirSetting,
  loadCoreConfig,
  portSetting,
  prefixSetting,
  signingKeysConfig,
} from './config/core.config';
export type { CoreConfig, SigningKeys } from './config/core.config';
export { removeStaleTempFiles, writeFileAtomic, writeFileAtomicAsync } from './fs/atomic-write';
export { IS_PUBLIC, Public } from './auth/public.decorator';
export type { Caller } from './auth/caller';
export { BasicCredentials } from './auth/basic-credentials';
export { LoginBackoff } from './auth/login-backoff';
export { BasicAuthGuard } from './auth/basic-auth.guard';
export {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
} from './errors/domain-error';
export { ERROR_SCHEMA, errorBody } from './http/error-body';
export { AllExceptionsFilter, sendError, toErrorResponse } from './http/all-exceptions.filter';
export { hardenFastify, jsonDepthExceeds } from './http/fastify-setup';
export { addressGroup, ClientAddress } from './http/client-address';
export { CommonModule } from './common.module';
export { createRootLogger, PinoNestLogger } from './logging/logger';
export type { LogFormat } from './logging/logger';
export { requestIdOf } from './logging/request-context';
export { MetricsModule, MetricsService } from './metrics/metrics.service';
export { CounterSeries, HistogramSeries } from './metrics/bound-metrics';
export { ByteBoundedMap, stringBytes } from './cache/byte-bounded-map';
