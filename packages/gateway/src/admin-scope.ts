import { forbidden } from './errors.js';
import type { GatewayApp } from './typed-app.js';

/**
 * The one admin check: registers `routes` in an encapsulated scope whose requests need the admin key
 * (the caller is set by `buildApp`'s authentication hook, which runs first). Open mode's local caller is admin.
 */
export const adminScope =
  (routes: (admin: GatewayApp) => Promise<void> | void) =>
  async (scope: GatewayApp): Promise<void> => {
    scope.addHook('onRequest', async (request) => {
      if (!request.caller?.admin) throw forbidden('this route needs the admin key (ADMIN_KEY)');
    });
    await routes(scope);
  };
