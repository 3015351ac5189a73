import { Body, Controller, Get, Header, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EmailsService, SendEmailDto } from '@app/emails';
import type { SendEmailAnswer } from '@app/emails';

/** OE2's "share by e-mail" (PROTOCOL.md section 9). A 404 JSON says so when ENABLE_EMAILS is off. */
@Controller('emails')
export class EmailsController {
  constructor(private readonly emails: EmailsService) {}

  /** The names of the templates (`*.html` files of EMAILS_TEMPLATES_ROOT, without the extension). */
  @Get('templates')
  templates(): Promise<string[]> {
    return this.emails.listTemplates();
  }

  /** One template's HTML; the name is a file name (".html" optional), never a path. */
  @Get('templates/:name')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  template(@Param('name') name: string): Promise<string> {
    return this.emails.readTemplate(name);
  }

  /** `200 {"success": true, "details": null}` or `400 {"success": false, "details": "..."}`. */
  @Post('send')
  @HttpCode(200)
  async send(@Body() body: SendEmailDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SendEmailAnswer> {
    const answer = await this.emails.send(body);
    if (!answer.success) void reply.status(400);
    return answer;
  }
}
