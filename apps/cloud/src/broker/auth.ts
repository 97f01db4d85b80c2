/**
 * Who may connect (PROTOCOL.md §2.2, §2.6): gateways with the credentials the API issued, the cloud's own
 * service client with the service secret, and monitors with an API token as password (read-only).
 */
import { timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import { checkClientId, type Identity, identityFromUsername } from '@tinyfleet/protocol/mqtt';
import { hashSecret, type Store } from '../store/index.js';

export interface Authenticator {
  /** The identity of a CONNECT, or throws ProtocolError UNAUTHORIZED. */
  authenticate(clientId: string, username: string | undefined, password: Uint8Array | undefined): Identity;
}

function sameSecret(a: string, b: string): boolean {
  // Compare hashes so lengths match and timing says nothing about the secret.
  return timingSafeEqual(Buffer.from(hashSecret(a), 'hex'), Buffer.from(hashSecret(b), 'hex'));
}

export function storeAuthenticator(store: Store, serviceSecret: string): Authenticator {
  return {
    authenticate(clientId, username, password) {
      const identity = identityFromUsername(username); // throws UNAUTHORIZED for an unknown form
      const secret = password === undefined ? '' : Buffer.from(password).toString('utf8');
      const ok =
        identity.role === 'gateway'
          ? store.gateways.checkPassword(identity.gatewayId, secret)
          : identity.role === 'service'
            ? secret.length > 0 && sameSecret(secret, serviceSecret)
            : store.tokens.verify(secret) !== undefined;
      if (!ok) throw new ProtocolError('UNAUTHORIZED', `bad credentials for ${username ?? '(none)'}`);
      checkClientId(identity, clientId); // PROTOCOL.md §2.6: one session per gateway, no takeover
      return identity;
    },
  };
}
