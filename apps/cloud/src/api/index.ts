/** The cloud HTTP API: route table, validation, OpenAPI, SSE stream. */
export { createApi } from './app.js';
export type { ApiDeps, Commander, GatewayCommand, SessionCommand } from './deps.js';
export { HttpError, type HttpErrorCode, toHttpError } from './errors.js';
export { API_VERSION, buildOpenApi } from './openapi.js';
export type { Route, RouteSpec } from './route.js';
export { ROUTES } from './routes/index.js';
