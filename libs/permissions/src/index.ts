export * from './permissions';
export * from './role-mapping';
