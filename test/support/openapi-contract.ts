import { Ajv } from 'ajv';
import { onAnswer } from './app';
import type { ValidateFunction } from 'ajv';

/** The parts of an OpenAPI 3.0 document the contract reads. */
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
  components?: { schemas?: Record<string, unknown> };
}
interface OpenApiResponse {
  content?: Record<string, { schema?: object }>;
}

/** One real answer, as a suite received it. */
export interface RealAnswer {
  method: string;
  /** The path under the service's prefix, with its query if any. */
  path: string;
  status: number;
  contentType: string | null;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

/**
 * The published OpenAPI document (`/docs-json`) as a contract: `problems(answer)` lists how a real answer differs from
 * what the document promises for its route and status (an undocumented route or status, a JSON answer the schema
 * refuses: a missing required field, one not described, a wrong type or value). Checked with ajv (OpenAPI 3.0's
 * `nullable` included); formats are not checked.
 */
export class OpenApiContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly validators = new Map<object, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp }>;
  /** `METHOD template` of every operation a checked answer matched. */
  readonly exercised = new Set<string>();

  constructor(readonly document: OpenApiDocument) {
    // Literal paths before templated ones (`/shares/revoke-token` before `/shares/{id}`).
    this.templates = Object.keys(document.paths)
      .sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')))
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }));
    this.ajv.addSchema({ components: document.components ?? {} }, 'openapi');
  }

  static async fetch(base: string): Promise<OpenApiContract> {
    const res = await fetch(`${base}/docs-json`);
    if (res.status !== 200) throw new Error(`${base}/docs-json answered ${res.status}`);
    return new OpenApiContract((await res.json()) as OpenApiDocument);
  }

  /** Every `METHOD template` the document describes. */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${template}`),
    );
  }

  problems(answer: RealAnswer): string[] {
    const where = `${answer.method} ${answer.path} → ${answer.status}`;
    const path = answer.path.split('?')[0];
    const template = this.templates.find((t) => t.pattern.test(path))?.template;
    const operation = template ? this.document.paths[template][answer.method.toLowerCase()] : undefined;
    if (!template || !operation) return [`${where}: the route is not in the OpenAPI document`];
    this.exercised.add(`${answer.method.toUpperCase()} ${template}`);
    const response = operation.responses[String(answer.status)] ?? operation.responses.default;
    if (!response) return [`${where}: the status is not documented for ${answer.method} ${template}`];
    if (answer.body === undefined) return [];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return [`${where}: a JSON answer, but no JSON schema is documented for it`];
    const validate = this.validatorOf(schema);
    if (validate(answer.body)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${where}: ${e.instancePath || '(the answer)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
  }

  private validatorOf(schema: object): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(withRefsTo('openapi', schema) as object);
      this.validators.set(schema, validate);
    }
    return validate;
  }
}

/** The schema with its `#/components/...` references pointing into the document registered as `id`. */
function withRefsTo(id: string, schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withRefsTo(id, s));
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${id}${value}` : withRefsTo(id, value),
    ]),
  );
}

/**
 * Checks every answer this suite receives through `call` against the OpenAPI document its service publishes (fetched
 * once per service, while it runs; a service without docs is not checked): after the suite, the list of differences
 * must be empty. One line in a suite: `const contract = checkAnswersAgainstOpenApi();`.
 */
export function checkAnswersAgainstOpenApi(): { exercised(): Set<string>; operations(): string[] } {
  const contracts = new Map<string, Promise<OpenApiContract | null>>();
  const problems: string[] = [];
  const exercised = new Set<string>();
  const operations = new Set<string>();
  let off: (() => void) | undefined;
  beforeAll(() => {
    off = onAnswer(async (base, method, path, res) => {
      if (path.startsWith('/docs')) return;
      let contract = contracts.get(base);
      if (!contract) {
        contract = OpenApiContract.fetch(base).catch(() => null);
        contracts.set(base, contract);
      }
      const known = await contract;
      if (!known) return;
      const contentType = res.headers.get('content-type');
      const json = contentType?.startsWith('application/json') ?? false;
      // The document's paths carry the service's URL_PREFIX, as the base does.
      const full = `${new URL(base).pathname.replace(/\/$/, '')}${path}`;
      const body = json ? res.body : undefined;
      problems.push(...known.problems({ method, path: full, status: res.status, contentType, body }));
      for (const op of known.exercised) exercised.add(op);
      for (const op of known.operations()) operations.add(op);
    });
  });
  afterAll(() => {
    off?.();
    expect(problems).toEqual([]);
  });
  return { exercised: () => exercised, operations: () => [...operations] };
}
