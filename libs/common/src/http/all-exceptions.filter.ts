import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { errorBody, ErrorBody, fastifyClientError, newErrorId } from './error-body';

const BASIC_CHALLENGE = 'Basic realm="orthanc-auth", charset="UTF-8"';

/**
 * Maps any error to one JSON shape: a lib's DomainError by its kind (the one place a kind becomes a status), Nest's
 * HttpException (the app's routes, guards and pipes) by its status. 5xx answers carry an error id that is logged with
 * the cause.
 */
export function toErrorResponse(exception: unknown, logger: Logger, reqId?: string): ErrorBody {
  if (exception instanceof DomainError) {
    const status = exception.status;
    if (status < 500) return errorBody(status, exception.messages);
    const errorId = newErrorId();
    logger.error(
      { msg: `${status} errorId=${errorId}: ${exception.message}`, reqId },
      exception.cause instanceof Error ? exception.cause.stack : undefined,
    );
    return errorBody(status, exception.messages, errorId);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let message: string | string[] = exception.message;
    // getResponse() may be null at run time (a thrown HttpException built with null), whatever its type says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (typeof response === 'object' && response && 'message' in response) {
      message = (response as { message: string | string[] }).message;
    } else if (typeof response === 'string') {
      message = response;
    }
    // Nest's router echoes the URL ("Cannot GET /x?token=..."): never send a query string back.
    if (typeof message === 'string' && message.startsWith('Cannot ')) message = message.replace(/\?.*$/, '');
    if (status >= 500) {
      const errorId = newErrorId();
      logger.error(
        { msg: `${status} errorId=${errorId}: ${exception.message}`, reqId },
        exception.cause instanceof Error ? exception.cause.stack : undefined,
      );
      return errorBody(status, message, errorId);
    }
    return errorBody(status, message);
  }
  const client = fastifyClientError(exception);
  if (client) return errorBody(client.statusCode, client.message);
  const errorId = newErrorId();
  logger.error(
    { msg: `500 errorId=${errorId}: ${exception instanceof Error ? exception.message : String(exception)}`, reqId },
    exception instanceof Error ? exception.stack : undefined,
  );
  return errorBody(500, 'Internal error; the log holds its cause under this errorId', errorId);
}

export function sendError(reply: FastifyReply, body: ErrorBody): void {
  if (body.statusCode === 401) reply.header('WWW-Authenticate', BASIC_CHALLENGE);
  void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    sendError(reply, toErrorResponse(exception, this.logger, http.getRequest<{ id?: string }>().id));
  }
}
