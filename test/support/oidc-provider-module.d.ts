// oidc-provider ships no type declarations (and @types/oidc-provider lags behind v9): the few members the test
// support uses, typed by hand.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface ClientCredentialsToken {
    clientId: string;
    isExpired: boolean;
  }

  interface Client {
    clientId: string;
  }

  interface AccessToken {
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
    ClientCredentials: { find(value: string): Promise<ClientCredentialsToken | undefined> };
    Client: { find(id: string): Promise<Client | undefined> };
    AccessToken: {
      new (payload: { accountId: string; client?: Client; scope?: string; expiresIn?: number }): AccessToken;
      find(value: string): Promise<AccessToken | undefined>;
    };
  }
}
