/** The route table: every route of the API, in documentation order. */
import type { Route } from '../route.js';
import { campaignRoutes } from './campaigns.js';
import { deviceRoutes } from './devices.js';
import { fleetRoutes } from './fleets.js';
import { gatewayRoutes } from './gateways.js';
import { gradientRoutes } from './gradients.js';
import { jobRoutes } from './jobs.js';
import { keyRoutes } from './keys.js';
import { modelRoutes } from './models.js';
import { sessionRoutes } from './sessions.js';
import { streamRoutes } from './stream.js';
import { tokenRoutes } from './tokens.js';

export const ROUTES: readonly Route[] = [
  ...fleetRoutes,
  ...gatewayRoutes,
  ...deviceRoutes,
  ...sessionRoutes,
  ...gradientRoutes,
  ...keyRoutes,
  ...modelRoutes,
  ...campaignRoutes,
  ...jobRoutes,
  ...tokenRoutes,
  ...streamRoutes,
];
