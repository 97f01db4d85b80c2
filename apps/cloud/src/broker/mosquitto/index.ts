/** Debian's mosquitto as the external broker (infra/mosquitto/README.md): its ACL and configuration. */
export { MOSQUITTO_MAX_PACKET_SIZE, type MosquittoConfOptions, mosquittoAcl, mosquittoConf } from './acl.js';
