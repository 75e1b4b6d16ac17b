// Types of the Hono app: the services it is built with and the per-request variables.
import type { HttpBindings } from '@hono/node-server';
import type { Services } from '../services.js';

export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    services: Services;
    /** Set by requireAdmin: who is changing an experiment (a token label or "local"). */
    adminActor?: string;
  };
}
