export * from './request-context';
export * from './redaction';
export * from './logger';
