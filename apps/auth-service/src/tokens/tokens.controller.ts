import { Body, Controller, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Caller } from '@app/common';
import { EmailsService } from '@app/emails';
import { CreateTokenDto, DecodeTokenDto, TokensService } from '@app/tokens';
import type { CreateTokenAnswer, DecodeAnswer } from '@app/tokens';
import { TOKEN_TYPES } from '@app/tokens';
import { CREATE_TOKEN_ANSWER_SCHEMA, DECODE_ANSWER_SCHEMA, ERROR_SCHEMA } from '../openapi/answer-schemas';
import { bearerPermissionForTokenType } from './token-bearer-permission';
import { AllowBearer } from '../auth/allow-bearer.decorator';
import { TokenCreationLimiter } from './token-creation-limit';

/** Creation and decoding; `POST /tokens/validate`, the hot path, is a plain fastify route (validate.route.ts). */
@ApiTags('tokens')
@Controller('tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly emails: EmailsService,
    private readonly limiter: TokenCreationLimiter,
  ) {}

  /** Creates a share token (and its link) for the resources of the body. */
  @Put(':type')
  @AllowBearer(bearerPermissionForTokenType)
  @ApiOperation({
    summary: 'Create a share token',
    description:
      'A token (and its link, for publications and instant links) granting access to the resources of the body.\n\n' +
      "With a Keycloak user's bearer token: the user needs `share` or `all`, and authorized labels that include `*` " +
      "(this service cannot see a study's labels: other users share through Orthanc, whose plugin knows them); the " +
      'token lives at most BEARER_SHARE_MAX_VALIDITY (30 days by default), which is also its life when none is asked. ' +
      'Creations are limited per caller and per minute (TOKEN_CREATION_LIMIT_BASIC, TOKEN_CREATION_LIMIT_BEARER); ' +
      'only tokens created count: a refused body uses up nothing.',
  })
  @ApiParam({ name: 'type', enum: TOKEN_TYPES })
  @ApiBody({
    type: CreateTokenDto,
    examples: {
      publication: {
        summary: 'a study shared for a week',
        value: {
          id: 'share-1',
          type: 'stone-viewer-publication',
          resources: [
            {
              'dicom-uid': '1.2.840.113619.2.55.3.1',
              'orthanc-id': 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
              level: 'study',
            },
          ],
          'validity-duration': 604800,
        },
      },
    },
  })
  @ApiOkResponse({
    description: 'the token and its link',
    schema: CREATE_TOKEN_ANSWER_SCHEMA,
    example: {
      request: {
        id: 'share-1',
        resources: [
          {
            'dicom-uid': '1.2.840.113619.2.55.3.1',
            'orthanc-id': 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
            url: null,
            level: 'study',
          },
        ],
        type: 'stone-viewer-publication',
        'expiration-date': null,
        'validity-duration': 604800,
      },
      token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
      url: 'https://pacs.example.org/ui/app/token-landing.html?token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
    },
  })
  @ApiBadRequestResponse({
    description:
      'the body is invalid (the field is named in message), the type needs a setting that is missing, or a Keycloak user asked for a life over BEARER_SHARE_MAX_VALIDITY',
    schema: ERROR_SCHEMA,
  })
  @ApiForbiddenResponse({
    description: 'a Keycloak user without `share`/`all`, or whose authorized labels do not include `*`',
    schema: ERROR_SCHEMA,
  })
  @ApiTooManyRequestsResponse({
    description: 'too many tokens created by this caller in the last minute (`Retry-After`: seconds to wait)',
    schema: ERROR_SCHEMA,
  })
  @ApiResponse({ status: 502, description: 'MedDream types: the MedDream token service failed', schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 504,
    description: 'MedDream types: the MedDream token service did not answer in time',
    schema: ERROR_SCHEMA,
  })
  create(
    @Param('type') type: string,
    @Body() body: CreateTokenDto,
    @Req() req: { user?: Caller },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreateTokenAnswer> {
    // Counted here, after validation: a body refused with a 400 costs the caller nothing.
    return this.limiter.within(req.user, reply, () =>
      this.tokens.create(type, body, req.user ?? null, { emailsEnabled: this.emails.enabled }),
    );
  }

  /** What is this token? (OE2's landing page, the plugin's DICOMweb filtering.) */
  @Post('decode')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Decode a share token',
    description:
      'Its type, its resources, an error code (expired, invalid, unknown) and, for publications, where to redirect.',
  })
  @ApiBody({
    type: DecodeTokenDto,
    examples: {
      token: {
        summary: 'a token from a link',
        value: { 'token-key': 'token', 'token-value': 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' },
      },
    },
  })
  @ApiOkResponse({
    description: 'what the token is',
    schema: DECODE_ANSWER_SCHEMA,
    example: {
      'token-type': 'stone-viewer-publication',
      'error-code': null,
      'redirect-url': 'https://pacs.example.org/stone-webviewer/index.html?study=1.2.840.113619.2.55.3.1&token=...',
      resources: [{ 'dicom-uid': '1.2.840.113619.2.55.3.1', 'orthanc-id': null, url: null, level: 'study' }],
    },
  })
  @ApiBadRequestResponse({ description: 'the body is invalid (the field is named in message)', schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 502,
    description: 'a MedDream token: the MedDream token service failed',
    schema: ERROR_SCHEMA,
  })
  @ApiResponse({
    status: 504,
    description: 'a MedDream token: the MedDream token service did not answer in time',
    schema: ERROR_SCHEMA,
  })
  decode(@Body() body: DecodeTokenDto): Promise<DecodeAnswer> {
    return this.tokens.decode(body);
  }
}
