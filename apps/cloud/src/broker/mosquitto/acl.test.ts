import { readFileSync } from 'node:fs';
import {
  aclRules,
  gatewayIdentity,
  KIND_MESSAGE,
  mayPublish,
  SERVICE_USERNAME,
  topicMatches,
} from '@tinyfleet/protocol/mqtt';
import { describe, expect, it } from 'vitest';
import { MOSQUITTO_MAX_PACKET_SIZE, mosquittoAcl, mosquittoConf } from './acl.js';
import { ACL_FILE } from './gen-acl.js';

/**
 * mosquitto's reading of an ACL file for one user, reduced to what our file uses: `user` blocks, `topic`
 * and `pattern` lines with `read`/`write`/`readwrite`, `%u` substitution, MQTT wildcard matching.
 */
function mosquittoAccess(acl: string, username: string, access: 'read' | 'write', topic: string): boolean {
  let user: string | undefined;
  for (const line of acl.split('\n')) {
    const [word, kind, filter] = line.trim().split(/\s+/);
    if (word === 'user') user = kind;
    if ((word !== 'topic' && word !== 'pattern') || !kind || !filter) continue;
    if (word === 'topic' && user !== username) continue;
    if (kind !== access && kind !== 'readwrite') continue;
    if (topicMatches(word === 'pattern' ? filter.replaceAll('%u', username) : filter, topic)) return true;
  }
  return false;
}

const gw = 'gw_a';
const other = 'gw_b';
/** Topic names around the tree: every kind at every place, for us and for another gateway, and junk. */
function topics(): string[] {
  const out = ['tf/v1/admin', 'tf/v2/gw/gw_a/status', 'x/y', `tf/v1/gw/${gw}`, `tf/v1/gw/${gw}/up`];
  for (const g of [gw, other]) {
    out.push(`tf/v1/gw/${g}/status`, `tf/v1/gw/${g}/up/status`, `tf/v1/gw/${g}/dev/d1/status`);
    for (const kind of [...Object.keys(KIND_MESSAGE), 'nope']) {
      for (const dir of ['up', 'down']) {
        out.push(`tf/v1/gw/${g}/${dir}/${kind}`, `tf/v1/gw/${g}/dev/d1/${dir}/${kind}`);
        out.push(`tf/v1/gw/${g}/dev/d1/${dir}/${kind}/extra`);
      }
    }
  }
  return out;
}

describe('mosquitto ACL', () => {
  it('is committed in infra/mosquitto, up to date', () => {
    expect(
      readFileSync(ACL_FILE, 'utf8'),
      `${ACL_FILE} is stale: run npx tsx apps/cloud/src/broker/mosquitto/gen-acl.ts`,
    ).toBe(mosquittoAcl());
  });

  it("gives a gateway exactly the publish topics of the protocol's mayPublish (PROTOCOL.md §2.2)", () => {
    const acl = mosquittoAcl();
    const identity = gatewayIdentity(gw);
    for (const t of topics()) expect(mosquittoAccess(acl, gw, 'write', t), t).toBe(mayPublish(identity, t));
  });

  it('delivers to a gateway exactly the topics its subscribe rules cover', () => {
    const acl = mosquittoAcl();
    const rules = aclRules(gatewayIdentity(gw)).subscribe;
    for (const t of topics()) {
      const expected = rules.some((r) => topicMatches(r, t));
      expect(mosquittoAccess(acl, gw, 'read', t), t).toBe(expected);
    }
  });

  it('lets the service read and write the whole protocol root and nothing else', () => {
    const acl = mosquittoAcl();
    for (const t of topics()) {
      const expected = t.startsWith('tf/v1/');
      expect(mosquittoAccess(acl, SERVICE_USERNAME, 'write', t), t).toBe(expected);
      expect(mosquittoAccess(acl, SERVICE_USERNAME, 'read', t), t).toBe(expected);
    }
  });

  it('configures a listener without anonymous access and with the payload limit', () => {
    const conf = mosquittoConf({ port: 1883, passwordFile: '/p', aclFile: '/a' });
    expect(conf).toContain('allow_anonymous false');
    expect(conf).toContain('password_file /p\nacl_file /a');
    expect(conf).toContain(`max_packet_size ${MOSQUITTO_MAX_PACKET_SIZE}`);
    expect(conf).toContain('listener 1883\n');
  });
});

describe('infra/mosquitto/mosquitto.conf', () => {
  it('uses the same files and packet limit as the tested configuration', () => {
    const conf = readFileSync(
      new URL('../../../../../infra/mosquitto/mosquitto.conf', import.meta.url),
      'utf8',
    );
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(conf).toMatch(/^acl_file \/etc\/mosquitto\/tinyfleet\.acl$/m);
    expect(conf).toContain(`\nmax_packet_size ${MOSQUITTO_MAX_PACKET_SIZE}\n`);
  });
});
