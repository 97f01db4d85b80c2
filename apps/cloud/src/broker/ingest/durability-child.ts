/**
 * Child process of durability.test.ts: an embedded broker with ingestion over the SQLite file given as
 * argv[2] (argv[3] = 'offload': in the worker thread); prints its MQTT URL as one JSON line, then runs
 * until it is killed.
 */
import { decodeMessage } from '@tinyfleet/protocol/messages';
import { LiveBus, Store } from '../../store/index.js';
import { storeAuthenticator } from '../auth.js';
import { EmbeddedBroker } from '../embedded.js';
import { Ingestor } from './ingestor.js';

const file = process.argv[2];
if (!file) throw new Error('usage: durability-child.ts DB_FILE [offload]');
const store = Store.open(file);
const offload = process.argv[3] === 'offload';
const ingestor = new Ingestor({ store, bus: new LiveBus(), decode: (b) => decodeMessage(b), offload });
const broker = await EmbeddedBroker.start({
  mqttPort: 0,
  wsPort: null,
  authenticator: storeAuthenticator(store, 'durability-test-service-secret'),
  ingestor,
  store,
});
console.log(JSON.stringify({ url: broker.mqttUrl, offloading: ingestor.offloading }));
setInterval(() => {}, 1 << 30);
