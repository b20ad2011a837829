/** RFC 8414 authorization server metadata. */
import type { FastifyInstance } from 'fastify'
import type { ServiceContext } from '../context.js'

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post']

/** The metadata document for an issuer; every endpoint is an absolute URL under it. */
export function serverMetadata(issuer: string) {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    // No authorization endpoint: users sign in at /auth/login, so there is no response type.
    response_types_supported: [] as string[],
    grant_types_supported: ['refresh_token', 'client_credentials'],
    // "none": public clients refresh with their client_id alone.
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
    // Public clients revoke their own tokens with their client_id alone too.
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
  }
}

export async function metadataRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const document = serverMetadata(context.config.issuer)
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600')
    return document
  })
}
