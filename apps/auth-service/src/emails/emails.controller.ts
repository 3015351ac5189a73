import { Body, Controller, Get, Header, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ERROR_SCHEMA, SEND_EMAIL_ANSWER_SCHEMA } from '../openapi/answer-schemas';
import { DomainError } from '@app/common';
import type { Caller } from '@app/common';
import { EMAIL_ADDRESS, EmailsService, parseRecipients, SendEmailDto } from '@app/emails';
import { TokensService } from '@app/tokens';
import { bindShareLinks } from './bound-links';
import type { SendEmailAnswer } from '@app/emails';

const JSON_ERROR = { 'application/json': { schema: ERROR_SCHEMA } };

/** OE2's "share by e-mail" (PROTOCOL.md section 9). A 404 JSON says so when ENABLE_EMAILS is off. */
@ApiTags('emails')
@ApiNotFoundResponse({ description: 'ENABLE_EMAILS is off (or no such template)', schema: ERROR_SCHEMA })
@Controller('emails')
export class EmailsController {
  constructor(
    private readonly emails: EmailsService,
    private readonly tokens: TokensService,
  ) {}

  /** The names of the templates (`*.html` files of EMAILS_TEMPLATES_ROOT, without the extension). */
  @Get('templates')
  @ApiOperation({ summary: 'List the e-mail templates' })
  @ApiOkResponse({
    description: 'template names',
    schema: { type: 'array', items: { type: 'string' } },
    example: ['share-link', 'layout'],
  })
  templates(): Promise<string[]> {
    return this.emails.listTemplates();
  }

  /** One template's HTML; the name is a file name (".html" optional), never a path. */
  @Get('templates/:name')
  @ApiOperation({ summary: 'One e-mail template (HTML)' })
  @ApiParam({ name: 'name', description: 'a template name (".html" optional), never a path', example: 'share-link' })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: "the template's HTML",
    schema: { type: 'string' },
    example: '<html><body>{email-content}</body></html>',
  })
  // The errors are JSON, as everywhere (only the template is HTML).
  @ApiResponse({ status: 400, description: 'not a template name (a path)', content: JSON_ERROR })
  @ApiResponse({ status: 404, description: 'ENABLE_EMAILS is off, or no such template', content: JSON_ERROR })
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  template(@Param('name') name: string): Promise<string> {
    return this.emails.readTemplate(name);
  }

  /** `200 {"success": true, "details": null}` or `400 {"success": false, "details": "..."}`. */
  @Post('send')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a share e-mail' })
  @ApiBody({
    type: SendEmailDto,
    examples: {
      share: {
        summary: 'a link sent to a patient',
        value: {
          'destination-email': 'patient@example.org',
          'email-title': 'Your images',
          'email-content': '<p><a href="https://pacs.example.org/share?token=...">Open your images</a></p>',
          'layout-template': null,
        },
      },
    },
  })
  @ApiOkResponse({ description: 'sent', schema: SEND_EMAIL_ANSWER_SCHEMA, example: { success: true, details: null } })
  @ApiResponse({
    status: 400,
    description: 'not sent (success false, details saying why), or the body is invalid (the error body)',
    schema: { oneOf: [SEND_EMAIL_ANSWER_SCHEMA, ERROR_SCHEMA] },
    example: { success: false, details: 'the SMTP server refused the recipient' },
  })
  async send(
    @Body() body: SendEmailDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Req() req: { user?: Caller },
  ): Promise<SendEmailAnswer> {
    this.emails.assertEnabled();
    const recipients = parseRecipients(body['destination-email']);
    // Bound only for a valid list of recipients: send() refuses the others as before.
    if (this.emails.bindsShareLinks && recipients.length > 0 && recipients.every((r) => EMAIL_ADDRESS.test(r))) {
      try {
        // A plain copy of the validated body with the bound content; nothing reads its prototype after this.
        // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
        body = {
          // eslint-disable-next-line @typescript-eslint/no-misused-spread
          ...body,
          'email-content': await bindShareLinks(body['email-content'], recipients, this.tokens, req.user ?? null),
        };
      } catch (err) {
        // A link that cannot be bound (the lib's refusal, a 4xx): not sent, said so; anything else is the filter's.
        if (!(err instanceof DomainError) || err.status >= 500) throw err;
        void reply.status(400);
        return { success: false, details: `not sent: ${err.messages.join('; ')}` };
      }
    }
    const answer = await this.emails.send(body);
    if (!answer.success) void reply.status(400);
    return answer;
  }
}
