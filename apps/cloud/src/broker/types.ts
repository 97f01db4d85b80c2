/**
 * The cloud's side of MQTT as one interface, so the rest of the cloud does not care whether the broker
 * is embedded (aedes, in-process) or external (a broker URL, reached with MQTT.js as the `service`).
 */
export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

export interface CloudMqtt {
  readonly mode: 'embedded' | 'external';
  /** Where gateways connect over TCP. */
  readonly mqttUrl: string;
  /** Where browsers connect over WebSocket, if anywhere. */
  readonly wsUrl: string | undefined;
  /** Publish as the service (downlink, PROTOCOL.md §2.2). Resolves once the broker accepted it. */
  publish(topic: string, payload: Uint8Array, opts: PublishOptions): Promise<void>;
  /** Drop a gateway's connection (after its credentials were revoked, PROTOCOL.md §2.3 item 6). */
  disconnectGateway(gatewayId: string): Promise<void>;
  close(): Promise<void>;
}

export type Log = (level: 'info' | 'warn' | 'error', msg: string, err?: unknown) => void;
