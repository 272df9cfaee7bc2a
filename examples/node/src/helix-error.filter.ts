import { ArgumentsHost, Catch, HttpStatus } from '@nestjs/common'
import { BaseExceptionFilter } from '@nestjs/core'
import type { ErrorCode, HelixError } from '@helix-engage/native'

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'AUTH',
  'API',
  'RATE_LIMITED',
  'TIMEOUT',
  'TRANSPORT',
  'PROTOCOL',
  'CLOSED',
  'AGENT_STATE',
])

export function isHelixError(error: unknown): error is HelixError {
  return error instanceof Error && CODES.has((error as { code?: unknown }).code as string)
}

/**
 * The HTTP status for an upstream failure. The sidecar used to answer 200 with an empty list
 * or swallow these; now a caller can tell "your request is wrong" from "Ozonetel is down".
 */
export function httpStatusOf(error: HelixError): number {
  switch (error.code) {
    case 'INVALID_INPUT':
      return HttpStatus.BAD_REQUEST
    case 'API':
      // Ozonetel understood and refused (call not found, bad campaign) vs. its gateway failing.
      return error.httpStatus !== undefined && error.httpStatus >= 500
        ? HttpStatus.BAD_GATEWAY
        : HttpStatus.UNPROCESSABLE_ENTITY
    case 'RATE_LIMITED':
      return HttpStatus.TOO_MANY_REQUESTS
    case 'TIMEOUT':
      return HttpStatus.GATEWAY_TIMEOUT
    case 'TRANSPORT':
      return HttpStatus.SERVICE_UNAVAILABLE
    case 'CLOSED':
    case 'AGENT_STATE': // the agent's state refuses it (in ACW, not logged in): `refusal` says why
      return HttpStatus.CONFLICT
    case 'AUTH': // the sidecar's credentials were refused upstream: not the caller's fault
    case 'PROTOCOL':
      return HttpStatus.BAD_GATEWAY
  }
}

interface HttpResponse {
  status(code: number): { json(body: unknown): void }
  setHeader(name: string, value: string): void
}

/** Maps native-module errors to HTTP answers; everything else goes to Nest's default filter. */
@Catch()
export class HelixErrorFilter extends BaseExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http' || !isHelixError(exception)) {
      super.catch(exception, host)
      return
    }
    const response = host.switchToHttp().getResponse<HttpResponse>()
    const status = httpStatusOf(exception)
    if (exception.retryAfterMs !== undefined) {
      response.setHeader('Retry-After', String(Math.ceil(exception.retryAfterMs / 1000)))
    }
    response.status(status).json({
      statusCode: status,
      code: exception.code,
      message: exception.message,
      ...(exception.refusal ? { refusal: exception.refusal } : {}),
    })
  }
}
