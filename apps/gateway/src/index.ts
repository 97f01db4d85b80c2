/** TinyFleet gateway daemon. Device links and the uplink land with the gateway issue. */
export const GATEWAY_VERSION = '0.1.0';
