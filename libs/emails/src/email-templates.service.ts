import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '@app/common';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { emailsConfig, EmailsConfig } from './emails.config';

/** A template is named by its file name, with or without ".html"; nothing that could reach another folder. */
const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HTML = '.html';
/** Templates are small HTML files; a bigger one is a mistake, not a template. */
const MAX_TEMPLATE_BYTES = 1024 * 1024;

class InvalidTemplateNameError extends InvalidInputError {
  constructor(field: string) {
    super([
      `${field} must be the name of a template file of EMAILS_TEMPLATES_ROOT (letters, digits, ".", "-", "_"; no path)`,
    ]);
  }
}

/** The name without ".html", or null when it is not a plain file name. */
export function templateBaseName(name: string): string | null {
  if (!TEMPLATE_NAME.test(name) || name.includes('..')) return null;
  const base = name.endsWith(HTML) ? name.slice(0, -HTML.length) : name;
  return base ? base : null;
}

/** The HTML templates of EMAILS_TEMPLATES_ROOT. Only plain file names are served, never a path. */
@Injectable()
export class EmailTemplatesService {
  constructor(@Inject(emailsConfig.KEY) private readonly config: EmailsConfig) {}

  /** The names (without ".html") of the templates, sorted. */
  async list(): Promise<string[]> {
    const entries = await readdir(this.config.templatesRoot, { withFileTypes: true });
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith(HTML) && templateBaseName(e.name) !== null)
      .map((e) => e.name.slice(0, -HTML.length))
      .sort();
  }

  /** The HTML of one template. 400 for a name that is not a plain file name, 404 for a missing template. */
  async read(name: string, field = 'name'): Promise<string> {
    const base = templateBaseName(name);
    if (base === null) throw new InvalidTemplateNameError(field);
    const root = await realpath(this.config.templatesRoot);
    let file: string;
    try {
      file = await realpath(join(root, base + HTML));
    } catch {
      throw new NotFoundError(`${field}: there is no template "${base}" in EMAILS_TEMPLATES_ROOT`);
    }
    // A symbolic link inside the folder must not lead outside it; a folder named x.html is not a template.
    if (!file.startsWith(root + sep) || !(await stat(file)).isFile()) {
      throw new NotFoundError(`${field}: there is no template "${base}" in EMAILS_TEMPLATES_ROOT`);
    }
    const content = await readFile(file);
    if (content.byteLength > MAX_TEMPLATE_BYTES) {
      throw new InvalidInputError([`${field}: the template "${base}" is larger than ${MAX_TEMPLATE_BYTES} bytes`]);
    }
    return content.toString('utf8');
  }
}
