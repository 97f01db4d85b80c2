/**
 * `npm start`: the main job on embedded defaults.
 * Today (foundation stage) the cloud, gateway and virtual MCUs do not exist yet; this prints what is
 * there and how to use it. It grows into cloud + gateway + three virtual MCUs training (issue 6).
 */
const lines = [
  'TinyFleet 0.1.0 - foundation stage',
  '',
  'What exists today:',
  '  protocol/spec/PROTOCOL.md  the v1 wire contract (MQTT, serial link, CBOR messages, model artifact)',
  '  @tinyfleet/protocol        TypeScript codecs, link-layer state machine, artifact reader/writer',
  '  protocol/vectors/          golden vectors (npm run gen:vectors)',
  '',
  'Try:',
  '  npm run -s bench:link -- --json   link layer over an emulated UART (256 KiB, 115200/921600 baud)',
  '  npm test                          type-check, lint and every test suite',
  '',
  'Not yet: the cloud API/broker, the gateway daemon and the virtual MCUs (see README "Status").',
];
console.log(lines.join('\n'));
