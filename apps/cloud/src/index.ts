/** TinyFleet cloud. The HTTP API, broker and store land with the cloud-core issue. */
export const CLOUD_VERSION = '0.1.0';
