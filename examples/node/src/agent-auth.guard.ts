import { CanActivate, createParamDecorator, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common'

import { AgentSession, AgentSessions } from './agent-sessions.service'

interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>
  agentSession?: AgentSession
  agentToken?: string
}

/**
 * Every desk endpoint: `Authorization: Bearer <session>` from `POST /agents/login`, or 401.
 * The request then acts as that session's agent — there is no other way to name one.
 */
@Injectable()
export class AgentAuthGuard implements CanActivate {
  constructor(private readonly sessions: AgentSessions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>()
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
    const session = match ? this.sessions.resolve(match[1]) : undefined
    if (!match || !session) throw new UnauthorizedException('a desk session is required: Authorization: Bearer <session> from POST /agents/login')
    request.agentSession = session
    request.agentToken = match[1]
    return true
  }
}

/** The guarded request's session. */
export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext): AgentSession => {
  return context.switchToHttp().getRequest<AuthedRequest>().agentSession!
})

/** The guarded request's bearer token (for logout). */
export const CurrentToken = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<AuthedRequest>().agentToken!
})
