/** The HTTP API under /api/ (fastify, routes generated from the operation table), its SSE stream and OpenAPI document. @module */
export { API_PREFIX, HttpApi, type HttpApiOptions, type LoginHandler } from './api.js';
export { openApiDocument, type OpenApiOptions } from './openapi.js';
export { methodsOf, opNameOf, pathOf } from './paths.js';
export { paramsFromQuery } from './query.js';
