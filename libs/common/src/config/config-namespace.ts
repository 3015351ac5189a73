import type { ValueProvider } from '@nestjs/common';

/**
 * One module's configuration as its providers inject it (`@Inject(tokensConfig.KEY)`), without a way to load it: the
 * application reads and checks the whole environment once, at its edge (main.ts, the CLI), and hands each module its
 * part with `provide(value)`. Nothing here reads `process.env`.
 */
export interface ConfigNamespace<T> {
  readonly KEY: string;
  /** The namespace bound to an already loaded value. */
  provide(value: T): ValueProvider<T>;
}

export function configNamespace<T>(name: string): ConfigNamespace<T> {
  const KEY = `CONFIGURATION(${name})`;
  return { KEY, provide: (value: T) => ({ provide: KEY, useValue: value }) };
}
