/** A configuration value is missing or wrong. The message names the variable and what it expects. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expectation: string,
  ) {
    super(`Configuration error: ${variable} ${expectation}`);
    this.name = 'ConfigError';
  }
}
